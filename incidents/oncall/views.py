"""The acknowledgement link of a page (mounted at /pages/ by itsm.urls, through `urls`)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import paging


@require_http_methods(["GET", "POST"])
def acknowledge_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a page. GET shows a button (mail scanners follow links); POST acknowledges."""
    page = paging.page_from_token(token)
    if page is None:
        raise Http404("This acknowledgement link is not valid, or has expired.")
    done = False
    if request.method == "POST":
        done = paging.acknowledge(page)
        page.refresh_from_db()
    return render(request, "incidents/page_ack.html", {"page": page, "incident": page.incident, "done": done})
