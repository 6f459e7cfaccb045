"""The "SOP conformance" page of the compliance admin, for incident managers and auditors: over a
period, the rate of SOP steps met per team, category and priority, and the most-missed steps with
links to the incidents that missed them (only incidents the viewer sees; drills left out)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from compliance.conformance.models import ConformanceReport
from compliance.conformance.report import conformance_report
from compliance.metrics.forms import PeriodForm


@admin.register(ConformanceReport)
class ConformanceReportAdmin(admin.ModelAdmin):
    """No list of rows: the changelist is the report."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self) -> list:
        return [path("", self.admin_site.admin_view(self.changelist_view),
                     name="compliance_conformancereport_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PeriodForm.from_query(request.GET)
        report = conformance_report(request.user, form.period) if form.is_valid() else None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "SOP conformance",
            "form": form, "report": report,
            "tables": [("By team", report.by_team), ("By category", report.by_category),
                       ("By priority", report.by_priority)] if report else [],
        }
        return TemplateResponse(request, "compliance/conformance/report.html", context,
                                status=200 if form.is_valid() else 400)
