from django.db import migrations


class Migration(migrations.Migration):
    """The SOP conformance report's admin page and view permission: a proxy of the incident, no table."""

    dependencies = [
        ('compliance', '0003_audit_chain'),
        ('incidents', '0025_security_exercise_participants_verification'),
    ]

    operations = [
        migrations.CreateModel(
            name='ConformanceReport',
            fields=[
            ],
            options={
                'verbose_name': 'SOP conformance',
                'verbose_name_plural': 'SOP conformance',
                'proxy': True,
                'default_permissions': ('view',),
                'indexes': [],
                'constraints': [],
            },
            bases=('incidents.incident',),
        ),
    ]
