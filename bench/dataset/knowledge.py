"""Known errors and articles for the data set (10,000 known errors at 100k incidents)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.apps import apps

from . import text
from .rows import RowWriter, next_id, reset_sequences

STATE_WEIGHTS = {"published": 80, "draft": 12, "retired": 8}


def knowledge_models() -> tuple | None:
    """(KnownError, Article, Category) when the knowledge base has them, else None."""
    try:
        return (apps.get_model("knowledge_base", "KnownError"), apps.get_model("knowledge_base", "Article"),
                apps.get_model("knowledge_base", "Category"))
    except LookupError:
        return None


def generate_knowledge(*, known_errors: int, articles: int, rng: random.Random, anchor: datetime,
                       authors: list[int]) -> int:
    """Create the known errors and articles; returns the number of rows written."""
    found = knowledge_models()
    if found is None:
        return 0
    KnownError, Article, KbCategory = found
    categories = [KbCategory.objects.get_or_create(name=name)[0].pk for name, *_ in text.CATEGORIES]
    states, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    written = 0

    def lifecycle(row: dict) -> dict:
        state = rng.choices(states, weights)[0]
        created = anchor - timedelta(seconds=rng.randint(86400, 4 * 365 * 86400))
        row.update(state=state, created_at=created, updated_at=created, created_by_id=rng.choice(authors),
                   category_id=rng.choice(categories))
        if state in ("published", "retired"):
            row["published_at"] = created + timedelta(days=rng.randint(1, 10))
        if state == "retired":
            row["retired_at"] = row["published_at"] + timedelta(days=rng.randint(30, 400))
        return row

    def known_error(pk: int) -> dict:
        title, symptoms, cause, workaround = (text.fill(part, rng) for part in rng.choice(text.KNOWN_ERROR_TEMPLATES))
        return lifecycle({"id": pk, "title": title, "symptoms": symptoms, "root_cause": cause,
                          "workaround": workaround, "affected_service": rng.choice(text.SERVICES),
                          "public": rng.random() < 0.6})

    def article(pk: int) -> dict:
        title, body = (text.fill(part, rng) for part in rng.choice(text.ARTICLE_TEMPLATES))
        kind = "faq" if title.startswith("FAQ") else "how_to"
        return lifecycle({"id": pk, "title": title, "body": body, "kind": kind,
                          "audience": "public" if rng.random() < 0.7 else "internal"})

    for model, count, make in ((KnownError, known_errors, known_error), (Article, articles, article)):
        fields = {f.attname for f in model._meta.concrete_fields}
        start = next_id(model)
        history = model.history.model
        rows = [{k: v for k, v in make(pk).items() if k in fields} for pk in range(start, start + count)]
        history_start = next_id(history)
        history_rows = [
            {**row, "history_id": history_start + i, "history_date": row["created_at"],
             "history_change_reason": "Created", "history_type": "+", "history_user_id": row.get("created_by_id")}
            for i, row in enumerate(rows)
        ]
        written += RowWriter(model).insert(rows) + RowWriter(history).insert(history_rows)
        reset_sequences([model, history])
    _rebuild_search_index()
    return written


def _rebuild_search_index() -> None:
    """Rows written without save() bypass the signals that keep the SQLite FTS tables in step."""
    try:
        from knowledge_base import search_index
    except ImportError:
        return
    rebuild = getattr(search_index, "rebuild", None)
    if rebuild is not None:
        rebuild()
