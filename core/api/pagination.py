"""Cursor pagination for every API list: a page costs the same at row 50 and at row 100,000 (no
COUNT, no OFFSET), and a page does not shift when rows are added while a client walks the list."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # A list's own `ordering` (and OrderingFilter's `?ordering=`) take precedence; ids break ties.
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        # DRF decodes the cursor but does not check its position's type against the ordering: a
        # crafted cursor with text where an id goes raised ValueError (500) in the query.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, ValidationError):
            raise NotFound(self.invalid_cursor_message) from None

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # OpenAPI 3.1 spells "may be null" as a type list; DRF's `nullable` is the 3.0 keyword.
        link = {"type": ["string", "null"], "format": "uri",
                "description": f"The next or previous page (`?{self.cursor_query_param}=...`), or null."}
        return {"type": "object", "required": ["next", "previous", "results"],
                "properties": {"next": link, "previous": link, "results": schema}}
