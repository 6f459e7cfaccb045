"""Search structures for `knowledge_base.matching`, different per database (see docs/matching.md).

PostgreSQL: pg_trgm; a stored generated `search_vector` column (weighted tsvector) on known errors
and articles with a GIN index, and trigram GIN indexes on titles. The column is not a model field:
the database computes it on every insert and update, so nothing can forget to refresh it.

SQLite: one FTS5 table per model (rowid = the model's id), filled here from existing rows and
kept in step by `knowledge_base.search_index` afterwards, and an fts5vocab table over each (the
index's words, for spelling corrections).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

PG_FORWARD = [
    """
    ALTER TABLE knowledge_base_knownerror ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(symptoms, '') || ' ' || coalesce(affected_service, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(workaround, '')), 'C') ||
        setweight(to_tsvector('english'::regconfig, coalesce(root_cause, '')), 'D')
    ) STORED
    """,
    "CREATE INDEX kb_knownerror_search ON knowledge_base_knownerror USING gin (search_vector)",
    "CREATE INDEX kb_knownerror_title_trgm ON knowledge_base_knownerror USING gin (title gin_trgm_ops)",
    """
    ALTER TABLE knowledge_base_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX kb_article_search ON knowledge_base_article USING gin (search_vector)",
    "CREATE INDEX kb_article_title_trgm ON knowledge_base_article USING gin (title gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS kb_article_title_trgm",
    "DROP INDEX IF EXISTS kb_article_search",
    "ALTER TABLE knowledge_base_article DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS kb_knownerror_title_trgm",
    "DROP INDEX IF EXISTS kb_knownerror_search",
    "ALTER TABLE knowledge_base_knownerror DROP COLUMN IF EXISTS search_vector",
]

# Porter stemming over unicode61 words, accents folded: "printers" finds "printer", "café" finds "cafe".
SQLITE_TOKENIZE = "porter unicode61 remove_diacritics 2"
SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS kb_knownerror_fts USING fts5(
        title, symptoms, workaround, root_cause, tokenize = '{SQLITE_TOKENIZE}')""",
    """INSERT INTO kb_knownerror_fts (rowid, title, symptoms, workaround, root_cause)
       SELECT id, title, symptoms || ' ' || affected_service, workaround, root_cause FROM knowledge_base_knownerror""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS kb_article_fts USING fts5(title, body, tokenize = '{SQLITE_TOKENIZE}')""",
    "INSERT INTO kb_article_fts (rowid, title, body) SELECT id, title, body FROM knowledge_base_article",
    # The index's words and their document counts, for spelling corrections.
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_knownerror_fts_vocab USING fts5vocab(kb_knownerror_fts, 'row')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_article_fts_vocab USING fts5vocab(kb_article_fts, 'row')",
]
SQLITE_BACKWARD = [
    "DROP TABLE IF EXISTS kb_article_fts_vocab",
    "DROP TABLE IF EXISTS kb_knownerror_fts_vocab",
    "DROP TABLE IF EXISTS kb_article_fts",
    "DROP TABLE IF EXISTS kb_knownerror_fts",
]


class EnableTrigram(TrigramExtension):
    """pg_trgm, created on PostgreSQL only. Never dropped on the way back: other indexes may use it
    (and Django's own backwards step would query pg_extension on SQLite too)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge_base", "0001_initial")]

    operations = [
        EnableTrigram(),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
