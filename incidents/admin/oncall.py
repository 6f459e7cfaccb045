"""Admin for on-call: rotations with their members and overrides (who is on call now, computed
for the whole page at once), and the pages sent, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, RecordHistoryAdmin

from .. import selectors
from ..models import Page, Rotation, RotationMember, RotationOverride
from ..oncall import rotation as oncall


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 0
    raw_id_fields = ("user",)


class RotationOverrideInline(admin.TabularInline):
    model = RotationOverride
    extra = 0
    raw_id_fields = ("user",)


class _OnCallChangeList(ChangeList):
    def get_results(self, request) -> None:
        super().get_results(request)
        on_call = oncall.on_call_now_by_team([r.team_id for r in self.result_list])
        for rotation in self.result_list:
            rotation._on_call_now = on_call.get(rotation.team_id)


@admin.register(Rotation)
class RotationAdmin(RecordHistoryAdmin):
    list_display = ("team", "on_call_now", "shift_hours", "handoff_time", "time_zone", "ack_minutes")
    list_select_related = ("team",)
    inlines = [RotationMemberInline, RotationOverrideInline]
    readonly_fields = ("on_call_now",)

    def get_changelist(self, request, **kwargs):
        return _OnCallChangeList

    @admin.display(description="On call now")
    def on_call_now(self, rotation: Rotation) -> str:
        if rotation.pk is None:
            return "–"
        # The changelist computed the whole page at once; the change form asks for its one rotation.
        person = rotation._on_call_now if hasattr(rotation, "_on_call_now") else oncall.on_call(rotation.team_id)
        return str(person.get_full_name() or person.get_username()) if person else "nobody"


@admin.register(Page)
class PageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "incident", "user", "step", "acknowledged_at", "passed_on_at", "email_sent_at",
                    "webhook_sent_at")
    list_select_related = ("incident", "user")
    search_fields = ("incident__reference", "user__username")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Page]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user)
