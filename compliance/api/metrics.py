"""GET /api/v1/metrics/sla/?from=&to=: the SLA metrics page's figures, from the same selector, for the
same people (incident managers and auditors), each counting only the incidents they may see."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.metrics import selectors
from compliance.metrics.forms import PeriodForm


class MeanSerializer(serializers.Serializer):
    seconds = serializers.IntegerField(allow_null=True, help_text="The mean in seconds; null when nothing counted.")
    count = serializers.IntegerField(help_text="How many incidents the mean is over.")

    class Meta:
        ref_name = "SlaMean"

    def to_representation(self, mean) -> dict:
        return {"seconds": None if mean.value is None else int(mean.value.total_seconds()), "count": mean.count}


class ShareSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Incidents with a target whose outcome is known.")
    percent = serializers.FloatField(allow_null=True)

    class Meta:
        ref_name = "SlaShare"


class MetricsRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text="The priority, team or category id; null: none set.")
    label = serializers.CharField()
    opened = serializers.IntegerField(help_text="Incidents opened in the period.")
    resolved = serializers.IntegerField(help_text="Incidents resolved in the period.")
    mtta = MeanSerializer(help_text="Opened to first response, over the incidents opened in the period.")
    mttr = MeanSerializer(help_text="Opened to resolved, over the incidents resolved in the period.")
    mttr_on_clock = MeanSerializer(help_text="MTTR less the time on hold.")
    response_met = ShareSerializer()
    resolution_met = ShareSerializer()

    class Meta:
        ref_name = "SlaMetricsRow"


class SlaReportSerializer(serializers.Serializer):
    period = serializers.SerializerMethodField()
    by_priority = MetricsRowSerializer(many=True)
    by_team = MetricsRowSerializer(many=True)
    by_category = MetricsRowSerializer(many=True)
    total = MetricsRowSerializer()

    class Meta:
        ref_name = "SlaMetrics"

    def get_period(self, report) -> dict[str, str]:
        return {"from": report.period.first.isoformat(), "to": report.period.last.isoformat()}


_PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="The first day (default: 29 days before today)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="The last day, included (default: today)."),
]


class SlaMetricsView(APIView):
    """MTTA, MTTR and SLA met by priority, team and category over a period (docs/metrics.md)."""

    @extend_schema(operation_id="metrics_sla", tags=["metrics"], parameters=_PERIOD, responses=SlaReportSerializer)
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("compliance.view_slametrics"):
            raise PermissionDenied("The SLA metrics are for incident managers and auditors.")
        form = PeriodForm.from_query(request.query_params)
        if not form.is_valid():
            raise ValidationError({name: [str(e) for e in errors] for name, errors in form.errors.items()})
        report = selectors.sla_report(request.user, form.period)
        return Response(SlaReportSerializer(report).data)

