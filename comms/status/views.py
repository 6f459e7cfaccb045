"""The status page, its JSON and "me too": no sign-in to read, a POST with its CSRF token to follow.

Every read is the cached snapshot (`selectors`): a constant number of queries whatever the number
of incidents, none at all while it is cached, plus the session's for a signed-in user.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Incident

from .. import services
from . import selectors, statuspage

JSON_MAX_AGE = 60


def following(request: HttpRequest, snapshot: selectors.Snapshot) -> set[int]:
    """The ongoing incidents on the page that this user is counted among the affected of."""
    if not request.user.is_authenticated:
        return set()
    return {i.id for i in snapshot.ongoing if request.user.pk in i.affected_user_ids}


@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    snapshot = selectors.snapshot()
    return TemplateResponse(request, "comms/status/page.html", {
        "snapshot": snapshot, "following": following(request, snapshot), "page_name": statuspage.PAGE_NAME,
        "history_days": selectors.HISTORY_DAYS,
    })


def _page_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("status:page"))


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    # Read by aggregators and by dashboards in other sites' pages, as Statuspage's is.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={JSON_MAX_AGE}"
    return response


@require_GET
def summary_json(request: HttpRequest) -> JsonResponse:
    page = _page_url(request)
    snapshot = selectors.snapshot()
    return _json(statuspage.summary(snapshot, page, lambda incident: f"{page}#{incident.reference.lower()}"))


@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    snapshot = selectors.snapshot()
    return _json({"page": statuspage.page(snapshot, _page_url(request)), "status": statuspage.status(snapshot)})


def _back(request: HttpRequest, reference: str):
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return redirect(wanted)
    return redirect(f"{reverse('status:page')}#{reference.lower()}")


def _followable(reference: str) -> Incident:
    incident = selectors.followable_incident(reference)
    if incident is None:
        raise Http404("No ongoing incident of the status page has this reference.")
    return incident


@require_POST
@login_required
def follow(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _followable(reference)
    try:
        added = services.follow(incident=incident, user=request.user)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, f"You are affected too: we will keep you posted on {incident.reference}."
                         if added else f"You already hear about {incident.reference}.")
    return _back(request, incident.reference)


@require_POST
@login_required
def unfollow(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _followable(reference)
    if services.unfollow(incident=incident, user=request.user):
        messages.success(request, f"You no longer follow {incident.reference}.")
    else:
        messages.info(request, f"You hear about {incident.reference} because you reported it, or the desk added "
                               "you; ask the desk to take you off.")
    return _back(request, incident.reference)
