import uuid

from django.db import migrations, models


def first_stamp(apps, schema_editor):
    apps.get_model("incidents", "SlaConfigStamp").objects.using(schema_editor.connection.alias).create(pk=1)


class Migration(migrations.Migration):
    """The token that tells every process when the SLA configuration it loaded has changed."""

    dependencies = [
        ("incidents", "0009_drop_incident_fk_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.CreateModel(
            name="SlaConfigStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.UUIDField(default=uuid.uuid4)),
            ],
            options={
                "verbose_name": "SLA configuration stamp",
            },
        ),
        migrations.RunPython(first_stamp, migrations.RunPython.noop),
    ]
