"""The ceilings of the portal benchmark, mounted only by `bench.settings`.

- `bare_form`: the cheapest logged-in page that carries a form (the CSRF token, a one-time key):
  what the report form's GET is measured against.
- `write_one_row`: the cheapest authenticated, CSRF-checked POST that writes one row.
- `bare_list`: the rows of a list page (`?ids=` in the page's order) rendered through a plain
  template with the same columns, behind the same middleware and login: what the admin's list
  machinery costs over fetching and printing the same 50 rows.
- `bare_admin_page`: the admin's base template with the site's context (its sidebar of models),
  behind the admin's login: what any admin page costs, the ceiling of the staff home.
- `write_same_rows`: a POST that writes the rows a portal submission writes (the reference counter,
  the incident, its history row, the timeline event and the outbox row of the acknowledgement) in
  one transaction, with no form, classification, SLA clock or task: what the product's own work
  is measured against. `?outbox=0` leaves the outbox row out, to show what the outbox costs.
"""

from __future__ import annotations

import uuid

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from incidents.models import Channel, EventKind, Incident, IncidentEvent, Notification, Sequence

ROW_PREFIX = "bench-"
_FORM = engines["django"].from_string(
    "<!doctype html><title>Report</title><form method=post>{% csrf_token %}"
    '<input type="hidden" name="submission" value="{{ key }}"><input name="summary"><textarea name="description">'
    "</textarea><button>Send</button></form>"
)


_LIST = engines["django"].from_string(
    "<!doctype html><title>Incidents</title><table>{% for i in rows %}<tr><td><a href=\"/admin/incidents/incident/"
    '{{ i.pk }}/change/">{{ i.reference }}</a></td><td>{{ i.summary }}</td><td>P{{ i.priority }}</td>'
    "<td>{{ i.resolve_by|default_if_none:'' }}</td><td>{{ i.get_state_display }}</td><td>{{ i.team|default_if_none:'' }}"
    "</td><td>{{ i.assignee|default_if_none:'' }}</td><td>{{ i.opened_at|timesince }}</td></tr>{% endfor %}</table>"
)


@login_required
@require_GET
def bare_list(request: HttpRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk]
    rows = Incident.objects.filter(pk__in=ids).select_related("team", "assignee").in_bulk(ids)
    return HttpResponse(_LIST.render({"rows": [rows[pk] for pk in ids if pk in rows]}, request))


@require_GET
def bare_admin_page(request: HttpRequest) -> HttpResponse:
    # Mounted behind `admin.site.admin_view` (bench/urls.py): the admin's login and its headers.
    return TemplateResponse(request, "admin/base_site.html", {**admin.site.each_context(request), "title": "Bench"})


@login_required
@require_GET
def bare_form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_FORM.render({"key": uuid.uuid4()}, request))


@login_required
@require_POST
def write_one_row(request: HttpRequest) -> HttpResponse:
    # A tiny table every installation has; the harness deletes these rows afterwards.
    Sequence.objects.create(name=f"{ROW_PREFIX}{uuid.uuid4().hex[:20]}", value=len(request.POST.get("summary", "")))
    return HttpResponseRedirect("/portal/")


def write_submission_rows(user, *, summary: str, description: str, outbox: bool = True) -> Incident:
    """The rows a submission writes, in one transaction (also the API ceiling's, bench/api_views.py)."""
    with transaction.atomic():
        incident = Incident(reporter=user, summary=summary[:200], description=description, channel=Channel.PORTAL,
                            submission_key=uuid.uuid4(), priority=4)
        incident.save()  # the counter, the incident and its history row
        event = IncidentEvent.objects.create(incident=incident, kind=EventKind.CREATED, actor=user,
                                             public=True, message="Opened via Portal")
        if outbox:
            Notification.objects.create(event=event, channel="email", recipient=user.email)
    return incident


@login_required
@require_POST
def write_same_rows(request: HttpRequest) -> HttpResponse:
    # The harness deletes these incidents (and their rows) afterwards, as it does the portal's.
    write_submission_rows(request.user, summary=request.POST.get("summary", ""),
                          description=request.POST.get("description", ""), outbox=request.GET.get("outbox") != "0")
    return HttpResponseRedirect("/portal/")
