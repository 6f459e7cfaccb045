"""The ceilings of the API benchmarks (`bench.api_load`), mounted only by `bench.settings`.

Both are plain DRF function views (`@api_view`), so they sit behind what the API's own views do:
the same middleware, the Bearer token authentication, the permission and throttle classes, the
JSON parser and renderer, the error handler.

- `bare_api_list`: the incidents `?ids=` names (in that order), fetched with the same joins as the
  API's list and returned through a plain `serializers.Serializer` with the same fields and the
  same output: no filter set, ordering, cursor pagination or visibility rule. What the list's
  machinery costs over fetching and serialising the same 50 rows.
- `bare_api_create`: a JSON POST that writes the rows a submission writes, through the portal
  ceiling's own `write_submission_rows` (the counter, the incident, its history row, the timeline
  event, the outbox row) in one transaction, and answers 201 with the incident's id and reference:
  no validation, classification, SLA clock, idempotency or representation.
"""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors
from incidents.api.views import INCIDENT_RELATED, with_children_count
from incidents.models import Incident

from .views import write_submission_rows


class NamedField(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PersonField(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return selectors.display_name(user)


class SlaFields(serializers.Serializer):
    respond_by = serializers.DateTimeField()
    resolve_by = serializers.DateTimeField()
    response_breached = serializers.BooleanField()
    resolution_breached = serializers.BooleanField()
    at_risk_from = serializers.DateTimeField()
    clock_paused_at = serializers.DateTimeField()


class BareIncidentSerializer(serializers.Serializer):
    """The fields of `IncidentSerializer` (the staff shape: the benchmark's desk agents read the
    rows they list for their work), in its order and with its output, declared by hand."""

    access = serializers.SerializerMethodField()
    id = serializers.IntegerField()
    reference = serializers.CharField()
    summary = serializers.CharField()
    description = serializers.CharField()
    state = serializers.CharField()
    priority = serializers.IntegerField()
    impact = serializers.CharField()
    urgency = serializers.CharField()
    channel = serializers.CharField()
    category = NamedField(allow_null=True)
    service = NamedField(allow_null=True)
    team = NamedField(allow_null=True)
    assignee = PersonField(allow_null=True)
    reporter = PersonField()
    confidential = serializers.BooleanField()
    is_major = serializers.BooleanField()
    exercise = serializers.BooleanField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    parent_reference = serializers.CharField(source="parent.reference", allow_null=True)
    children_count = serializers.IntegerField()
    commander = PersonField(allow_null=True)
    comms_lead = PersonField(allow_null=True)
    major_since = serializers.DateTimeField()
    hold_kind = NamedField(allow_null=True)
    hold_reason = serializers.CharField()
    resolution_code = serializers.CharField()
    resolution_notes = serializers.CharField()
    workaround = serializers.CharField()
    verification = serializers.CharField()
    reopen_count = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    triaged_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sla = SlaFields(source="*")
    version = serializers.IntegerField()
    runbook = serializers.SerializerMethodField()

    def get_access(self, incident) -> str:
        return "staff"

    def get_runbook(self, incident) -> dict | None:
        runbook = selectors.runbook_of(incident)
        if runbook is None:
            return None
        url = self.context["request"].build_absolute_uri(f"/api/v1/articles/{runbook.pk}/")
        return {"id": runbook.pk, "title": runbook.title, "url": url}


@api_view(["GET"])
def bare_api_list(request: Request) -> Response:
    ids = [int(pk) for pk in request.query_params.get("ids", "").split(",") if pk.isdigit()]
    rows = with_children_count(Incident.objects.filter(pk__in=ids).select_related(*INCIDENT_RELATED)).in_bulk(ids)
    data = BareIncidentSerializer([rows[pk] for pk in ids if pk in rows], many=True,
                                  context={"request": request}).data
    return Response({"next": None, "previous": None, "results": data})


@api_view(["POST"])
def bare_api_create(request: Request) -> Response:
    # The harness deletes these incidents (and their rows) afterwards, as it does the API's.
    incident = write_submission_rows(request.user, summary=str(request.data.get("summary", "")),
                                     description=str(request.data.get("description", "")))
    return Response({"id": incident.pk, "reference": incident.reference}, status=status.HTTP_201_CREATED)
