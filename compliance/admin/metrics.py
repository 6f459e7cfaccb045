"""The "SLA metrics" page of the compliance admin, for incident managers and auditors: a period,
MTTA, MTTR and SLA met by priority, team and category, and the period's incidents as CSV.

Both read only the incidents the viewer sees (`compliance.metrics`); the export is recorded in the
audit chain before the first row leaves.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from compliance.audit import record_access
from compliance.metrics import export, selectors
from compliance.metrics.forms import PeriodForm
from compliance.metrics.models import SlaMetrics


@admin.register(SlaMetrics)
class SlaMetricsAdmin(admin.ModelAdmin):
    """No list of rows: the changelist is the report."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="compliance_slametrics_changelist"),
            path("export/", view(self.export_view), name="compliance_slametrics_export"),
        ]

    def _allowed(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        self._allowed(request)
        form = PeriodForm.from_query(request.GET)
        report = selectors.sla_report(request.user, form.period) if form.is_valid() else None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "SLA metrics",
            "form": form, "report": report,
            "export_query": request.GET.urlencode() if report else "",
            "tables": [("By priority", report.by_priority), ("By team", report.by_team),
                       ("By category", report.by_category)] if report else [],
        }
        return TemplateResponse(request, "compliance/metrics/report.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        self._allowed(request)
        form = PeriodForm.from_query(request.GET)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "SLA metrics",
                       "form": form, "report": None, "tables": []}
            return TemplateResponse(request, "compliance/metrics/report.html", context, status=400)
        period = form.period
        with transaction.atomic():
            record_access(actor=request.user, action="export", what=f"incidents opened {period}, with SLA and conformance (CSV)")
        response = StreamingHttpResponse(export.csv_lines(export.rows(request.user, period)),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{export.filename(period)}"'
        return response
