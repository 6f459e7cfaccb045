"""Cursor pages: a forged cursor is a 404 "invalid cursor", never a server error."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from core.tests.api_support import actors, assert_error  # noqa: F401


def forged(position: str) -> str:
    return base64.b64encode(urlencode({"o": "0", "r": "0", "p": position}).encode()).decode()


@pytest.mark.parametrize("url", ["/api/v1/incidents/?ordering=id", "/api/v1/incidents/?ordering=-priority",
                                 "/api/v1/known-errors/?ordering=id", "/api/v1/action-items/?ordering=priority"])
def test_a_cursor_with_text_where_a_number_goes_is_404(actors, url):  # noqa: F811
    response = actors.client("incident_manager").get(f"{url}&cursor={forged('abc')}")
    assert_error(response, 404, "not_found")

