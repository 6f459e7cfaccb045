"""Matching finds the right known error for incident texts as people write them."""

from __future__ import annotations

import pytest

from knowledge_base.relevance import evaluate, load_fixture_set
from knowledge_base.relevance_set import INCIDENT_TEXTS, KNOWN_ERRORS


def test_fixture_set_is_large_enough_and_fully_labelled():
    keys = {row.key for row in KNOWN_ERRORS}
    assert len(KNOWN_ERRORS) >= 200
    assert len(INCIDENT_TEXTS) >= 100
    assert len(keys) == len(KNOWN_ERRORS)
    assert len({row.title for row in KNOWN_ERRORS}) == len(KNOWN_ERRORS)
    assert {case.expected for case in INCIDENT_TEXTS} <= keys


def _report(figures):
    print(f"\nrecall@1={figures['recall_at_1']:.3f} recall@3={figures['recall_at_3']:.3f} "
          f"mrr={figures['mrr']:.3f} over {figures['cases']} texts")
    for text in figures["misses"]:
        print("  miss:", text[:100])


@pytest.mark.django_db
def test_recall_at_3_is_at_least_90_percent_on_postgresql(require_postgres):
    figures = evaluate(load_fixture_set())
    _report(figures)
    assert figures["recall_at_3"] >= 0.9


@pytest.mark.django_db
def test_recall_at_3_is_at_least_80_percent_on_sqlite(settings):
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the SQLite floor is measured on SQLite")
    figures = evaluate(load_fixture_set())
    _report(figures)
    assert figures["recall_at_3"] >= 0.8
