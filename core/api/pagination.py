"""Cursor pagination for every API list: a page costs the same at row 50 and at row 100,000 (no
COUNT, no OFFSET), and a page does not shift when rows are added while a client walks the list."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # A list's own `ordering` (and OrderingFilter's `?ordering=`) take precedence; ids break ties.
    ordering = "-id"

    def get_paginated_response_schema(self, schema: dict) -> dict:
        # OpenAPI 3.1 spells "may be null" as a type list; DRF's `nullable` is the 3.0 keyword.
        link = {"type": ["string", "null"], "format": "uri",
                "description": f"The next or previous page (`?{self.cursor_query_param}=...`), or null."}
        return {"type": "object", "required": ["next", "previous", "results"],
                "properties": {"next": link, "previous": link, "results": schema}}
