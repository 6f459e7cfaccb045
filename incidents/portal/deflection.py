"""Deflection on the portal: before reporting, the user is shown public known errors and articles
that may solve their problem, can read each in full, and "This solved it" records a deflection and
opens no incident. The portal's home lists the public answers that solved the most problems.

Only what an end user may see is ever offered: published known errors with a public workaround and
published public articles (`suggest(public_only=True)`, checked again when one is chosen).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from knowledge_base import selectors as kb_selectors
from knowledge_base import services as kb_services
from knowledge_base.models import Article, KnownError
from knowledge_base.rendering import plain_text
from knowledge_base.selectors import ARTICLE, KNOWN_ERROR, Suggestion

SUGGESTION_LIMIT = 5
COMMON_ANSWERS = 5
# What is searched is a problem description, not an essay: longer input is cut, not refused.
MAX_QUERY = 500


def portal_suggestions(text: str) -> list[Suggestion]:
    """The public known errors and articles that look like `text`, best first."""
    return kb_selectors.suggest((text or "")[:MAX_QUERY], limit=SUGGESTION_LIMIT, public_only=True)


def report_text(data) -> str:
    """What the user typed on the report form, as one text to search and to record."""
    return "\n".join(part for part in ((data.get("summary") or "").strip(),
                                       (data.get("description") or "").strip()) if part)


@login_required
@require_GET
def kb_suggest(request: HttpRequest) -> JsonResponse:
    """JSON for the report form's script. Title and excerpt are HTML-escaped, so they are safe
    wherever the client puts them."""
    results = [
        {"kind": s.kind, "id": s.id, "title": escape(s.title), "excerpt": escape(s.excerpt),
         "url": reverse("portal:answer", args=[s.kind, s.id])}
        for s in portal_suggestions(request.GET.get("q", ""))
    ]
    return JsonResponse({"results": results})


def common_answers() -> list[dict]:
    """The home's "Common problems and fixes": the most used public answers, each with what the
    template needs to link to it (`answer`)."""
    return [
        {"kind": KNOWN_ERROR if isinstance(item, KnownError) else ARTICLE, "id": item.pk, "title": item.title,
         "excerpt": plain_text(item.workaround if isinstance(item, KnownError) else item.body, limit=160),
         "uses": item.uses}
        for item in kb_selectors.most_used_public_answers(limit=COMMON_ANSWERS)
    ]


def _public_item(kind: str, pk: str) -> KnownError | Article:
    item = kb_selectors.public_item(kind, pk)
    if item is None:
        # Drafts, retired and internal items are "not found" to end users.
        raise Http404("No such item.")
    return item


@login_required
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A public answer in full, formatted, with "This solved it". A suggestion on the report form
    opens it with a POST that carries what was typed (kept out of the address, and so out of
    logs), so that the deflection records it; the home links to it with a GET."""
    item = _public_item(kind, str(pk))
    text = request.POST.get("text", "") if request.method == "POST" else ""
    return render(request, "portal/answer.html", {"item": item, "kind": kind, "is_known_error": kind == KNOWN_ERROR,
                                                  "kb_text": text})


@login_required
@require_POST
def deflect(request: HttpRequest) -> HttpResponse:
    """"This solved it": credit the item, open no incident, and show the answer again."""
    kind = request.POST.get("kind", "")
    item = _public_item(kind, request.POST.get("id", ""))
    text = request.POST.get("text", "")
    if kind == KNOWN_ERROR:
        kb_services.record_deflection(request.user, text, known_error=item)
    else:
        kb_services.record_deflection(request.user, text, article=item)
    return render(request, "portal/deflected.html", {"item": item, "is_known_error": kind == KNOWN_ERROR})
