"""Reminders and escalations sent about overdue action items: a record to read, never to edit."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from incidents import selectors as incident_selectors

from ..models import Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "action_item", "recipient", "sent_at", "error")
    list_filter = ("kind", "day")
    list_select_related = ("action_item",)
    search_fields = ("recipient", "action_item__description")
    date_hierarchy = "day"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reminder]:
        # A reminder names its action item, which may name a confidential incident's cause.
        return incident_selectors.of_visible_incidents(super().get_queryset(request), request.user,
                                                       path="action_item__review__incident")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
