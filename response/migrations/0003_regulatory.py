"""Regulatory clocks: the regulations, the clock on an incident and the thresholds it passed."""

import datetime

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("response", "0002_security"),
        ("incidents", "0025_security_exercise_participants_verification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Regulation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('code', models.SlugField(help_text='Short unique code, e.g. gdpr.', max_length=32, unique=True)),
                ('window', models.DurationField(help_text='Time allowed from awareness to the notice, e.g. 72:00:00 or 60 days.')),
                ('authority', models.CharField(blank=True, help_text='Who is to be notified.', max_length=200)),
                ('description', models.TextField(blank=True)),
                ('active', models.BooleanField(default=True, help_text='Inactive regulations are not offered for new clocks.')),
            ],
            options={
                'ordering': ('name',),
                'constraints': [models.CheckConstraint(condition=models.Q(('window__gt', datetime.timedelta(0))), name='regulation_window_positive')],
            },
        ),
        migrations.CreateModel(
            name='RegulatoryClock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('aware_at', models.DateTimeField(help_text='When the organisation became aware of the breach.')),
                ('window', models.DurationField()),
                ('due_at', models.DateTimeField()),
                ('state', models.CharField(choices=[('running', 'Running'), ('notified', 'Notice sent'), ('not_notifiable', 'Not notifiable')], default='running', max_length=20)),
                ('next_threshold_at', models.DateTimeField(blank=True, null=True)),
                ('applied_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('stopped_at', models.DateTimeField(blank=True, null=True)),
                ('notified_to', models.CharField(blank=True, max_length=300)),
                ('notified_at', models.DateTimeField(blank=True, null=True)),
                ('notice_reference', models.TextField(blank=True)),
                ('not_notifiable_reason', models.TextField(blank=True)),
                ('applied_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='regulatory_clocks', to='incidents.incident')),
                ('regulation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='clocks', to='response.regulation')),
                ('stopped_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'regulatory clock',
                'ordering': ('due_at', 'pk'),
            },
        ),
        migrations.CreateModel(
            name='RegulatoryThreshold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('percent', models.PositiveSmallIntegerField()),
                ('due_at', models.DateTimeField()),
                ('fired_at', models.DateTimeField()),
                ('notified', models.BooleanField(default=False)),
                ('outcome', models.CharField(blank=True, max_length=300)),
                ('clock', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='thresholds', to='response.regulatoryclock')),
                ('event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='incidents.incidentevent')),
            ],
            options={
                'ordering': ('clock', 'percent'),
            },
        ),
        migrations.AddIndex(
            model_name='regulatoryclock',
            index=models.Index(condition=models.Q(('state', 'running')), fields=['next_threshold_at'], name='regulatory_clock_next_due'),
        ),
        migrations.AddIndex(
            model_name='regulatoryclock',
            index=models.Index(condition=models.Q(('state', 'running')), fields=['due_at'], name='regulatory_clock_running_due'),
        ),
        migrations.AddConstraint(
            model_name='regulatoryclock',
            constraint=models.UniqueConstraint(fields=('incident', 'regulation'), name='regulatory_clock_once_per_incident'),
        ),
        migrations.AddConstraint(
            model_name='regulatorythreshold',
            constraint=models.UniqueConstraint(fields=('clock', 'percent'), name='regulatory_threshold_once'),
        ),
    ]
