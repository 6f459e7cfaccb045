"""Alert sources (with their label rules and tokens) and the groups they opened.

A source is created with its own account (`intake.accounts.service_account`); "Issue an intake
token" gives that account a token, shown once, which the monitoring system posts with. The groups
are the system's rows: read-only, and listed only where their incident may be read in full.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from incidents import selectors

from ..accounts import service_account
from ..models import AlertGroup, AlertSource, LabelRule, SourceKind
from .tokens import issue_and_show, tokens_of


class LabelRuleInline(admin.TabularInline):
    model = LabelRule
    extra = 1
    fields = ("position", "label", "value", "impact", "urgency", "category", "service", "team")


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "active", "resolve_when_cleared", "last_received_at", "open_groups")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    inlines = [LabelRuleInline]
    readonly_fields = ("account", "endpoint", "tokens_link", "created_at", "last_received_at")
    fieldsets = (
        (None, {"fields": ("name", "kind", "active", "endpoint", "account", "tokens_link")}),
        ("De-duplication and clearing", {"fields": ("dedup_labels", "resolve_when_cleared")}),
        ("Defaults (when no label rule decides)", {
            "fields": ("default_impact", "default_urgency", "default_category", "default_service", "default_team"),
            "description": "A severity label of critical, high, warning or info, a service label naming one of "
                           "the services and a team label giving a team's slug are understood without a rule.",
        }),
        (None, {"fields": ("created_at", "last_received_at")}),
    )
    actions = ["issue_token"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AlertSource]:
        return (super().get_queryset(request).select_related("service_user")
                .annotate(open_group_count=Count("groups", filter=Q(groups__open=True))))

    def save_model(self, request, obj: AlertSource, form, change) -> None:
        if not change:
            obj.service_user = service_account("alerts", obj.name)
        super().save_model(request, obj, form, change)

    @admin.display(description="open incidents", ordering="open_group_count")
    def open_groups(self, obj: AlertSource) -> int:
        return obj.open_group_count

    @admin.display(description="account")
    def account(self, obj: AlertSource) -> str:
        return obj.service_user.get_username() if obj.pk else "Created with the source."

    @admin.display(description="posts to")
    def endpoint(self, obj: AlertSource) -> str:
        return reverse("intake-alertmanager-list" if obj.kind == SourceKind.ALERTMANAGER else "intake-alerts-list")

    @admin.display(description="tokens")
    def tokens_link(self, obj: AlertSource) -> str:
        if not obj.pk:
            return "Issue one from the list (“Issue an intake token”) once the source is saved."
        return tokens_of(obj.service_user_id, "The source’s tokens")

    @admin.action(description="Issue an intake token for the selected sources", permissions=["change"])
    def issue_token(self, request, queryset) -> None:
        issue_and_show(self, request, ((source.name, source.service_user, f"Intake – {source.name}")
                                       for source in queryset))


@admin.register(AlertGroup)
class AlertGroupAdmin(ReadOnlyAdmin):
    list_display = ("incident_link", "source", "status", "open", "occurrences", "first_seen_at", "last_seen_at")
    list_filter = ("source", "status", "open")
    list_select_related = ("incident", "source")
    search_fields = ("incident__reference", "dedup_key")
    show_full_result_count = False
    fields = ("source", "incident_link", "previous", "dedup_key", "status", "open", "occurrences", "first_seen_at",
              "last_seen_at", "labels", "unmapped", "alerts")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AlertGroup]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user)

    @admin.display(description="incident", ordering="incident__reference")
    def incident_link(self, obj: AlertGroup) -> str:
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident)
