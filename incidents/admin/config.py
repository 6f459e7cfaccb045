"""Admin for what classifies and routes incidents (teams, categories, services, the priority matrix)
and a read-only view of the timeline events."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from core.admin import RecordHistoryAdmin

from .. import selectors
from ..models import Category, HoldReason, IncidentEvent, PriorityRule, Service, Team


@admin.register(Team)
class TeamAdmin(RecordHistoryAdmin):
    list_display = ("name", "tier", "email", "member_count")
    list_filter = ("tier",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_count=Count("members", distinct=True))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count


@admin.register(Category)
class CategoryAdmin(RecordHistoryAdmin):
    list_display = ("name", "default_team", "confidential", "runbook")
    list_filter = ("confidential", "default_team")
    list_select_related = ("default_team", "runbook")
    search_fields = ("name",)
    autocomplete_fields = ("runbook",)


@admin.register(Service)
class ServiceAdmin(RecordHistoryAdmin):
    list_display = ("name", "description", "runbook")
    list_select_related = ("runbook",)
    search_fields = ("name",)
    autocomplete_fields = ("runbook",)


@admin.register(HoldReason)
class HoldReasonAdmin(RecordHistoryAdmin):
    list_display = ("name", "waits_for_reporter", "active", "position")
    list_editable = ("position",)
    list_filter = ("active", "waits_for_reporter")


@admin.register(PriorityRule)
class PriorityRuleAdmin(RecordHistoryAdmin):
    """The impact × urgency matrix. Its nine cells are created by a migration; incident managers
    change the priority of a cell, nobody adds or removes cells."""

    list_display = ("impact", "urgency", "priority")
    list_display_links = None
    list_editable = ("priority",)
    ordering = ("impact", "urgency")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PriorityRule | None = None) -> bool:
        return False


@admin.register(IncidentEvent)
class IncidentEventAdmin(admin.ModelAdmin):
    """The timeline rows, read-only: they are written by the services along with each change."""

    list_display = ("created_at", "incident", "kind", "transition", "from_state", "to_state", "actor", "public")
    list_filter = ("kind", "public")
    list_select_related = ("incident", "actor")
    search_fields = ("incident__reference", "message")
    show_full_result_count = False
    date_hierarchy = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[IncidentEvent]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IncidentEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IncidentEvent | None = None) -> bool:
        return False
