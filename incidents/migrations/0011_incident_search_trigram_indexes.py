"""Trigram indexes for the admin's incident search, on PostgreSQL.

The admin searches with `icontains`, which PostgreSQL runs as `UPPER(col::text) LIKE UPPER(...)`;
GIN trigram indexes on exactly those expressions let it answer from the indexes instead of reading
every incident (docs/performance.md). Built CONCURRENTLY, so a deploy does not block writes to a
large incident table while they build; hence a non-atomic migration. SQLite has no trigram index:
its search stays a scan, which is fine at the sizes SQLite serves.
"""

from django.db import migrations

COLUMNS = ("reference", "summary", "description")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS incident_{column}_trgm ON incidents_incident "
            f"USING gin (upper({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS incident_{column}_trgm")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0010_sla_config_stamp"),
    ]

    operations = [migrations.RunPython(create, drop)]
