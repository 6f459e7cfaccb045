from django.db import migrations


class Migration(migrations.Migration):
    """The SLA metrics' admin page and view permission: a proxy of the incident, no table."""

    dependencies = [
        ('compliance', '0001_access_history'),
        ('incidents', '0025_security_exercise_participants_verification'),
    ]

    operations = [
        migrations.CreateModel(
            name='SlaMetrics',
            fields=[
            ],
            options={
                'verbose_name': 'SLA metrics',
                'verbose_name_plural': 'SLA metrics',
                'proxy': True,
                'default_permissions': ('view',),
                'indexes': [],
                'constraints': [],
            },
            bases=('incidents.incident',),
        ),
    ]
