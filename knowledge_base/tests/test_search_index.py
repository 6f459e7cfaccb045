"""The SQLite full-text index follows every write; bulk loads are indexed explicitly. On
PostgreSQL the search vector is a generated column and these checks go through matching."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from knowledge_base import matching, search_index
from knowledge_base.fixtures_gen import generate_known_errors
from knowledge_base.models import KnownError
from knowledge_base.relevance import evaluate, load_fixture_set, with_typos
from knowledge_base.workflow import State

from .factories import KnownErrorFactory

pytestmark = pytest.mark.django_db


def _indexed_titles() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid, title FROM kb_knownerror_fts")
        return dict(cursor.fetchall())


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 tables exist on SQLite only")


def test_saving_and_deleting_keep_the_fts_table_in_step(sqlite_only):
    item = KnownErrorFactory(title="Scanner jams on tray 3")
    assert _indexed_titles()[item.pk] == "Scanner jams on tray 3"
    item.title = "Scanner jams on tray 4"
    item.save()
    assert _indexed_titles()[item.pk] == "Scanner jams on tray 4"
    pk = item.pk
    item.delete()
    assert pk not in _indexed_titles()


def test_rebuild_restores_an_index_that_fell_behind(sqlite_only):
    item = KnownErrorFactory(title="Badge reader offline")
    KnownError.objects.filter(pk=item.pk).update(title="Badge reader offline at gate 7")  # no signal
    call_command("kb_reindex", stdout=StringIO())
    assert _indexed_titles()[item.pk] == "Badge reader offline at gate 7"


def test_generated_known_errors_are_published_searchable_and_reproducible():
    ids = generate_known_errors(40, seed=3)
    assert len(ids) == 40
    items = KnownError.objects.filter(pk__in=ids)
    assert set(items.values_list("state", flat=True)) == {State.PUBLISHED}
    assert all(item.history.count() == 1 for item in items[:5])
    first = items.order_by("pk").first()
    assert (matching.KNOWN_ERROR, first.pk) in [(s.kind, s.id) for s in matching.suggest(first.title, limit=10)]
    again = generate_known_errors(40, seed=3)
    titles = list(KnownError.objects.filter(pk__in=ids).order_by("pk").values_list("title", flat=True))
    assert titles == list(KnownError.objects.filter(pk__in=again).order_by("pk").values_list("title", flat=True))
    if search_index.enabled():
        assert set(ids) <= set(_indexed_titles())


def test_load_fixture_set_is_idempotent_and_evaluate_reports_the_figures():
    cases = load_fixture_set()
    assert load_fixture_set() == cases
    assert KnownError.objects.count() >= 200
    figures = evaluate(cases[:20])
    assert set(figures) >= {"recall_at_1", "recall_at_3", "mrr"}
    assert 0 <= figures["recall_at_1"] <= figures["recall_at_3"] <= 1
    assert figures["cases"] == 20


def test_typo_variant_changes_words_but_keeps_labels():
    cases = [("outlook keeps asking for the password", 1)]
    changed = with_typos(cases, rate=1.0, seed=1)
    assert changed[0].known_error_id == 1 and changed[0].text != cases[0][0]
