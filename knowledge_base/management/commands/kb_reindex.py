"""Rebuild the knowledge base's search index: re-index on SQLite; refresh the GIN indexes and the
planner's statistics on PostgreSQL."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from knowledge_base import search_index
from knowledge_base.matching import vocabulary


class Command(BaseCommand):
    help = "Re-index every known error and article (after a raw import or a restore)."

    def handle(self, *args, **options):
        search_index.rebuild()
        vocabulary.clear()
        self.stdout.write("Knowledge base search index rebuilt.")
