"""Reminders and escalations sent about overdue action items: a record to read, never to edit."""

from __future__ import annotations

from django.contrib import admin

from ..models import Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "action_item", "recipient", "sent_at", "error")
    list_filter = ("kind", "day")
    list_select_related = ("action_item",)
    search_fields = ("recipient", "action_item__description")
    date_hierarchy = "day"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
