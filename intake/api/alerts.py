"""POST /api/v1/intake/alertmanager/ and /api/v1/intake/alerts/: monitoring alerts in.

Each is called with a token of an alert source's own account (`AlertSource.service_user`): the
token says which source is calling, so its label rules and defaults apply, and revoking it (or
deactivating the source) cuts the source off. Any other account's token is refused with 403.

Answers: 201 when the post opened an incident, 200 when it updated the open one of its key (or had
nothing to do: a clearing with nothing open), always with the incident's reference.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.schema import ErrorSerializer
from core.api.throttling import PerTokenThrottle
from core.api.views import RequestChecksMixin

from ..alerts import ingest, signals
from ..models import AlertSource, GroupStatus, SourceKind

MAX_ALERTS = 1000
MAX_LABELS = 100
LABEL_VALUE = 2000
TEXT = 20_000

def _check_labels(value: dict) -> dict:
    if len(value) > MAX_LABELS:
        raise serializers.ValidationError(f"At most {MAX_LABELS} labels.")
    for name in value:
        if not name or len(name) > 200:
            raise serializers.ValidationError("A label name has 1 to 200 characters.")
    return value


class LabelsField(serializers.DictField):
    child = serializers.CharField(max_length=LABEL_VALUE, allow_blank=True, trim_whitespace=False)

    def __init__(self, **kwargs):
        if not kwargs.get("required"):
            kwargs.setdefault("required", False)
            kwargs.setdefault("default", dict)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return _check_labels(super().to_internal_value(data))


class AlertmanagerAlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=GroupStatus.choices)
    labels = LabelsField(required=True)
    annotations = LabelsField()
    startsAt = serializers.DateTimeField(required=False, allow_null=True)
    endsAt = serializers.DateTimeField(required=False, allow_null=True)
    generatorURL = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    fingerprint = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "AlertmanagerAlert"


class AlertmanagerPayloadSerializer(serializers.Serializer):
    """Prometheus Alertmanager's webhook payload, version 4, as Alertmanager sends it."""

    version = serializers.CharField(max_length=10)
    groupKey = serializers.CharField(max_length=5000)
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0, default=0)
    status = serializers.ChoiceField(choices=GroupStatus.choices)
    receiver = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    groupLabels = LabelsField()
    commonLabels = LabelsField()
    commonAnnotations = LabelsField()
    externalURL = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    alerts = AlertmanagerAlertSerializer(many=True, allow_empty=False, max_length=MAX_ALERTS)

    class Meta:
        ref_name = "AlertmanagerPayload"

    def validate_version(self, value: str) -> str:
        if value != "4":
            raise serializers.ValidationError(f"Alertmanager's webhook payload version 4 is accepted, not {value!r}.")
        return value


class LinkSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "AlertLink"


class GenericAlertSerializer(serializers.Serializer):
    """One alert from any monitoring system or script."""

    title = serializers.CharField(max_length=200, help_text="The incident's summary.")
    description = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    severity = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text="critical, high, warning, info (or any value a label rule of the source maps).",
    )
    dedup_key = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="",
        help_text="Posts with the same key update one open incident. Default: the title and service.",
    )
    service = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    team = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                 help_text="A team's slug, or a value a label rule maps.")
    status = serializers.ChoiceField(choices=GroupStatus.choices, default=GroupStatus.FIRING)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    links = LinkSerializer(many=True, required=False, default=list, max_length=20)
    labels = LabelsField(help_text="More labels for the source's label rules.")

    class Meta:
        ref_name = "GenericAlert"


class IntakeResultSerializer(serializers.Serializer):
    incident = serializers.CharField(allow_null=True, help_text="The incident's reference, e.g. INC-000123.")
    opened = serializers.BooleanField(help_text="Whether this post opened the incident.")
    changed = serializers.BooleanField(help_text="Whether it changed something (a timeline entry was written).")
    occurrences = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=GroupStatus.choices, allow_null=True)
    unmapped = serializers.DictField(child=serializers.CharField(), help_text="Label values no rule knew.")
    detail = serializers.CharField()

    class Meta:
        ref_name = "AlertIntakeResult"


class IntakeThrottle(PerTokenThrottle):
    """Alert storms come in bursts: intake tokens have a budget of their own (ITSM_INTAKE_THROTTLE)."""

    scope = "intake"


class AlertIntakeBase(RequestChecksMixin, viewsets.ViewSet):
    kind: str
    payload_serializer: type[serializers.Serializer]
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]
    throttle_classes = [IntakeThrottle]

    def source(self, request: Request) -> AlertSource:
        try:
            source = request.user.alert_source  # read with the token (`tokens.services.read_with_user`)
        except AlertSource.DoesNotExist:
            raise PermissionDenied("This token is not an alert source's: issue one from the source in the admin "
                                   "(Intake → Alert sources).") from None
        source.service_user = request.user  # the account the token authenticated: not read again
        if not source.active:
            raise PermissionDenied(f"The alert source “{source}” is inactive.")
        if source.kind != self.kind:
            raise PermissionDenied(f"“{source}” is a {source.get_kind_display()} source; post to its own endpoint.")
        return source

    def create(self, request: Request) -> Response:
        source = self.source(request)
        payload = self.payload_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        signal = self.signal(source, payload.validated_data)
        outcome = ingest.ingest(source, signal)
        group = outcome.group
        body = {
            "incident": outcome.incident.reference if outcome.incident else None,
            "opened": outcome.opened, "changed": outcome.changed,
            "occurrences": group.occurrences if group else None, "status": group.status if group else None,
            "unmapped": group.unmapped if group else {}, "detail": outcome.message,
        }
        return Response(body, status=status.HTTP_201_CREATED if outcome.opened else status.HTTP_200_OK)


RESPONSES = {
    201: OpenApiResponse(IntakeResultSerializer, description="The post opened an incident."),
    200: OpenApiResponse(IntakeResultSerializer, description="It updated the open incident of its key (or, a "
                                                             "clearing with nothing open, did nothing)."),
    403: OpenApiResponse(ErrorSerializer, description="The token is not this kind of source's, or the source is "
                                                      "inactive."),
}

ALERTMANAGER_EXAMPLE = {
    "version": "4", "groupKey": '{}:{alertname="HighErrorRate"}', "status": "firing", "receiver": "itsm",
    "groupLabels": {"alertname": "HighErrorRate"},
    "commonLabels": {"alertname": "HighErrorRate", "severity": "critical", "service": "Payments"},
    "commonAnnotations": {"summary": "Payments API error rate above 5%"},
    "externalURL": "https://alertmanager.example.com", "truncatedAlerts": 0,
    "alerts": [{"status": "firing", "labels": {"alertname": "HighErrorRate", "instance": "pay-1"},
                "annotations": {}, "startsAt": "2026-12-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://prometheus.example.com/graph", "fingerprint": "c0ffee12"}],
}


class AlertmanagerIntakeViewSet(AlertIntakeBase):
    """Prometheus Alertmanager's webhook receiver. One open incident per group key (or per the
    source's de-duplication labels)."""

    kind = SourceKind.ALERTMANAGER
    payload_serializer = AlertmanagerPayloadSerializer

    def signal(self, source, data) -> signals.Signal:
        return signals.from_alertmanager(source, data)

    @extend_schema(request=AlertmanagerPayloadSerializer, responses=RESPONSES, operation_id="intake_alertmanager",
                   examples=[OpenApiExample("Firing", value=ALERTMANAGER_EXAMPLE, request_only=True)],
                   summary="Receive an Alertmanager webhook")
    def create(self, request: Request) -> Response:
        return super().create(request)


class GenericAlertIntakeViewSet(AlertIntakeBase):
    """One alert as generic JSON (Grafana, Zabbix, Nagios, scripts). One open incident per `dedup_key`."""

    kind = SourceKind.GENERIC
    payload_serializer = GenericAlertSerializer

    def signal(self, source, data) -> signals.Signal:
        return signals.from_generic(source, data)

    @extend_schema(request=GenericAlertSerializer, responses=RESPONSES, operation_id="intake_alert",
                   summary="Receive an alert")
    def create(self, request: Request) -> Response:
        return super().create(request)

