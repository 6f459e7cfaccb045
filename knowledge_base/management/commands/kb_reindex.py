"""Rebuild the SQLite full-text index of the knowledge base (nothing to do on PostgreSQL)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from knowledge_base import search_index
from knowledge_base.matching import vocabulary


class Command(BaseCommand):
    help = "Re-index every known error and article (after a raw import or a restore)."

    def handle(self, *args, **options):
        if not search_index.enabled():
            self.stdout.write("PostgreSQL computes the search vectors itself; nothing to rebuild.")
            return
        search_index.rebuild()
        vocabulary.clear()
        self.stdout.write("Knowledge base search index rebuilt.")
