"""The audit trail in the compliance admin: the entries, read-only and as far as the viewer may see
their incidents, and the export of a bundle (one incident, or a period), which is itself recorded.

For incident managers and auditors (`compliance.apps`); the list is of a table that grows by every
event and history row, so it joins the incident once and counts nothing.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from compliance.audit import export, sources
from compliance.audit.forms import IncidentExportForm, RangeExportForm
from compliance.models import AuditEntry
from incidents.models import Incident, IncidentEvent


class TableFilter(admin.SimpleListFilter):
    """The chained tables, from the app registry: a DISTINCT over the whole trail would read it all."""

    title = "table"
    parameter_name = "table"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        tables = [(model._meta.db_table, str(model._meta.verbose_name)) for model in apps.get_models()
                  if model._meta.app_label in sources.CHAINED_APPS
                  and (model is IncidentEvent or model.__name__.startswith("Historical"))]
        return [*sorted(tables), (sources.ACCESS_TABLE, "exports and downloads")]

    def queryset(self, request: HttpRequest, queryset):
        return queryset.filter(table=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("position", "recorded_at", "table", "row_pk", "incident_reference", "incident_position",
                    "short_hash")
    list_select_related = ("incident",)
    list_filter = (TableFilter,)
    ordering = ("-position",)
    show_full_result_count = False
    list_per_page = 100
    fields = ("position", "recorded_at", "table", "row_pk", "incident", "incident_position", "content",
              "content_hash", "prev_hash", "hash", "incident_prev_hash", "incident_hash")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        visible = Incident.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(Q(incident__isnull=True) | Q(incident__in=visible))

    @admin.display(description="incident", ordering="incident__reference")
    def incident_reference(self, obj: AuditEntry) -> str:
        return obj.incident.reference if obj.incident_id and obj.incident else ""

    @admin.display(description="hash")
    def short_hash(self, obj: AuditEntry) -> str:
        return obj.hash[:16]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="compliance_auditentry_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        extra = {"may_export": export.may_export(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the two forms. POST: the bundle, recorded in the chain as exported by this user."""
        if not (self.has_view_permission(request) and export.may_export(request.user)):
            raise PermissionDenied
        one = IncidentExportForm(request.POST if request.POST.get("scope") == "incident" else None)
        period = RangeExportForm(request.POST if request.POST.get("scope") == "range" else None)
        if request.method == "POST":
            form = one if request.POST.get("scope") == "incident" else period
            if form.is_bound and form.is_valid():
                try:
                    if form is one:
                        bundle = export.incident_bundle(user=request.user, reference=form.cleaned_data["reference"])
                    else:
                        since, until = form.bounds()
                        bundle = export.range_bundle(user=request.user, since=since, until=until)
                except export.ExportRefused as refused:
                    self.message_user(request, refused.message, messages.ERROR)
                else:
                    response = HttpResponse(bundle.data, content_type="application/zip")
                    response["Content-Disposition"] = f'attachment; filename="{bundle.filename}"'
                    return response
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Export the audit trail",
            "incident_form": one, "range_form": period,
            "changelist_url": reverse("admin:compliance_auditentry_changelist", current_app=self.admin_site.name),
        }
        return TemplateResponse(request, "compliance/audit/export.html", context)
