"""Signal wiring: what follows every save and delete of a known error or article."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from . import search_index
from .matching import vocabulary
from .models import Article, KnownError


def connect() -> None:
    search_index.connect_signals()
    for model in (KnownError, Article):
        name = model._meta.model_name
        post_save.connect(vocabulary.clear, sender=model, dispatch_uid=f"kb_vocabulary_save_{name}")
        post_delete.connect(vocabulary.clear, sender=model, dispatch_uid=f"kb_vocabulary_delete_{name}")
