"""The security response: containment checklists (per category, and each incident's own steps),
evidence with its chain of custody, notices to legal and compliance with the e-mails they owe,
forensics engagements and affected customers."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import response.models.security


class Migration(migrations.Migration):

    dependencies = [
        ("response", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("comms", "0003_status_page"),
        ("incidents", "0025_security_exercise_participants_verification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('file', 'File'), ('note', 'Note')], max_length=10)),
                ('title', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('file', models.FileField(blank=True, max_length=300, upload_to=response.models.security.evidence_path)),
                ('original_name', models.CharField(blank=True, max_length=255)),
                ('content_type', models.CharField(blank=True, max_length=100)),
                ('note', models.TextField(blank=True, help_text='The note itself, for evidence that is not a file.')),
                ('size', models.PositiveBigIntegerField(help_text="In bytes (a note's: of its UTF-8 text).")),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('collected_at', models.DateTimeField(help_text='When it was collected (in the field, if before it was recorded).')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('holder', models.CharField(help_text='Who holds it now (changed by a hand-over).', max_length=200)),
                ('supersede_reason', models.TextField(blank=True)),
                ('collected_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='incidents.incident')),
                ('superseded_by', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='supersedes', to='response.evidence')),
            ],
            options={
                'verbose_name_plural': 'evidence',
                'ordering': ['incident', 'recorded_at', 'pk'],
                'default_permissions': ('add', 'change', 'view'),
            },
        ),
        migrations.CreateModel(
            name='CustodyEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('collected', 'Collected'), ('viewed', 'Viewed'), ('downloaded', 'Downloaded (hash verified)'), ('refused', 'Download refused (hash mismatch)'), ('handed_over', 'Handed over'), ('superseded', 'Superseded')], max_length=20)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('from_holder', models.CharField(blank=True, max_length=200)),
                ('to_holder', models.CharField(blank=True, max_length=200)),
                ('reason', models.TextField(blank=True)),
                ('sha256', models.CharField(blank=True, max_length=64, verbose_name='SHA-256 computed')),
                ('hash_ok', models.BooleanField(blank=True, null=True, verbose_name='hash matched')),
                ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('evidence', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='custody', to='response.evidence')),
            ],
            options={
                'verbose_name': 'custody entry',
                'verbose_name_plural': 'chain of custody',
                'ordering': ['evidence', 'at', 'pk'],
                'default_permissions': ('view',),
            },
        ),
        migrations.CreateModel(
            name='ForensicsEngagement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('firm', models.CharField(max_length=200)),
                ('contact', models.CharField(blank=True, max_length=200)),
                ('reference', models.CharField(blank=True, help_text="The firm's case or contract reference.", max_length=100)),
                ('engaged_at', models.DateTimeField()),
                ('notes', models.TextField(blank=True)),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('engaged_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='forensics', to='incidents.incident')),
            ],
            options={
                'verbose_name': 'forensics engagement',
                'ordering': ['incident', 'engaged_at', 'pk'],
                'default_permissions': ('add', 'view'),
            },
        ),
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('legal', 'Legal'), ('compliance', 'Compliance')], max_length=20)),
                ('subject', models.CharField(max_length=300)),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notices', to='incidents.incident')),
                ('sent_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('template', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='comms.template')),
            ],
            options={
                'ordering': ['incident', 'created_at', 'pk'],
                'default_permissions': ('add', 'view'),
            },
        ),
        migrations.CreateModel(
            name='NoticeMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('recipient', models.CharField(max_length=254)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('notice', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='response.notice')),
            ],
            options={
                'default_permissions': ('view',),
            },
        ),
        migrations.CreateModel(
            name='NoticeRecipient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('legal', 'Legal'), ('compliance', 'Compliance')], max_length=20)),
                ('name', models.CharField(max_length=100)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('active', models.BooleanField(default=True)),
                ('group', models.ForeignKey(blank=True, help_text='Every active member with an address hears it.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='auth.group')),
            ],
            options={
                'verbose_name': 'notice recipient',
                'ordering': ['role', 'name', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='AffectedCustomer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200)),
                ('email', models.EmailField(max_length=254)),
                ('added_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='affected_customers', to='incidents.incident')),
            ],
            options={
                'verbose_name': 'affected customer',
                'ordering': ['incident', 'name', 'pk'],
                'default_permissions': ('add', 'view', 'delete'),
                'constraints': [models.UniqueConstraint(fields=('incident', 'email'), name='affected_customer_once')],
            },
        ),
        migrations.CreateModel(
            name='ContainmentItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=200)),
                ('position', models.PositiveSmallIntegerField(default=0, help_text='Steps are listed by position.')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.category')),
            ],
            options={
                'verbose_name': 'containment checklist item',
                'ordering': ['category__name', 'position', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('category', 'label'), name='containment_item_once')],
            },
        ),
        migrations.CreateModel(
            name='ContainmentStep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('label', models.CharField(max_length=200)),
                ('done', models.BooleanField(default=False)),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('note', models.TextField(blank=True)),
                ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='containment_steps', to='incidents.incident')),
            ],
            options={
                'verbose_name': 'containment step',
                'ordering': ['incident', 'position'],
                'constraints': [models.UniqueConstraint(fields=('incident', 'position'), name='containment_step_once')],
            },
        ),
        migrations.AddIndex(
            model_name='evidence',
            index=models.Index(fields=['incident', 'recorded_at'], name='evidence_incident'),
        ),
        migrations.AddConstraint(
            model_name='evidence',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'file'), models.Q(('file', ''), _negated=True)), models.Q(('kind', 'note'), ('file', '')), _connector='OR'), name='evidence_file_or_note'),
        ),
        migrations.AddIndex(
            model_name='custodyentry',
            index=models.Index(fields=['evidence', 'at'], name='custody_evidence'),
        ),
        migrations.AddIndex(
            model_name='forensicsengagement',
            index=models.Index(fields=['incident', 'engaged_at'], name='forensics_incident'),
        ),
        migrations.AddIndex(
            model_name='notice',
            index=models.Index(fields=['incident', 'created_at'], name='notice_incident'),
        ),
        migrations.AddIndex(
            model_name='noticemessage',
            index=models.Index(condition=models.Q(('sent_at__isnull', True)), fields=['created_at'], name='notice_message_unsent'),
        ),
        migrations.AddConstraint(
            model_name='noticemessage',
            constraint=models.UniqueConstraint(fields=('notice', 'recipient'), name='notice_message_once'),
        ),
        migrations.AddConstraint(
            model_name='noticerecipient',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(models.Q(('email', ''), _negated=True), ('group__isnull', True)), models.Q(('email', ''), ('group__isnull', False)), _connector='OR'), name='notice_recipient_address_or_group'),
        ),
    ]
