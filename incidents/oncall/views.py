"""The acknowledgement link of a page (mounted at /pages/ by itsm.urls, through `urls`).

The link goes by e-mail and to a paging service, so it can reach other people's hands and inboxes
(a forwarded mail, a shared channel, a mail scanner). It acknowledges only for the person it was
sent to, signed in as themselves, and shows nothing of the incident before they are.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import paging


@require_http_methods(["GET", "POST"])
def acknowledge_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the page and a button (mail scanners follow links); POST acknowledges."""
    page = paging.page_from_token(token)
    if page is None:
        raise Http404("This acknowledgement link is not valid, or has expired.")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != page.user_id:
        # Said without the incident: whoever holds someone else's link learns nothing from it.
        return render(request, "incidents/page_ack_not_yours.html", {"page": page}, status=403)
    done = False
    if request.method == "POST":
        done = paging.acknowledge(page, by=request.user)
        page.refresh_from_db()
    return render(request, "incidents/page_ack.html", {"page": page, "incident": page.incident, "done": done})
