"""Admin for action items: everyone's list with "mine" and "overdue" filters, and transition buttons.

Desk agents and resolvers see the items of reviews they may see, and change only the items they own.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.admin import RecordHistoryAdmin, TransitionAdminMixin, cell_text
from incidents import roles

from .. import selectors, services
from ..models import ActionItem
from .filters import MineFilter, OverdueFilter


@admin.register(ActionItem)
class ActionItemAdmin(TransitionAdminMixin, RecordHistoryAdmin):
    list_display = ("description_display", "review_display", "incident_display", "owner", "team", "due_date",
                    "priority", "state", "overdue_display")
    list_display_links = ("description_display",)
    list_filter = (MineFilter, OverdueFilter, "state", "priority", "team")
    list_select_related = ("review__incident", "owner", "team")
    search_fields = ("description", "review__incident__reference")
    raw_id_fields = ("review", "owner")
    date_hierarchy = "due_date"
    change_form_template = "admin/reviews/actionitem/change_form.html"
    fields = ("review", "description", "owner", "team", "due_date", "priority", "link_url", "state",
              "wont_do_reason", "created_at", "completed_at")
    readonly_fields = ("state", "wont_do_reason", "created_at", "completed_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    transitions = services.ACTION_ITEM_TRANSITIONS

    @staticmethod
    def run_transition(obj, user, name, reason):
        return services.action_item_transition(item=obj, user=user, name=name, reason=reason)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request).select_related("review__incident", "review__owner", "owner", "team")
        return selectors.visible_action_items(request.user, queryset)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # An item stays with the review it came from.
        return readonly if obj is None else ("review", *readonly)

    @admin.display(description="action", ordering="description")
    def description_display(self, obj: ActionItem) -> str:
        # Two lines at most in the list, the whole description in the tooltip.
        return cell_text(obj.description)

    @admin.display(description="review", ordering="review_id")
    def review_display(self, obj: ActionItem) -> str:
        return obj.review.reference

    @admin.display(description="incident", ordering="review__incident__reference")
    def incident_display(self, obj: ActionItem) -> str:
        return obj.review.incident.reference

    @admin.display(description="overdue")
    def overdue_display(self, obj: ActionItem) -> str:
        if not obj.is_overdue():
            return "—"
        days = (timezone.localdate() - obj.due_date).days
        return f"{days} day{'s' if days != 1 else ''}"

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or roles.can_view(request.user, obj.review.incident)
        )

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and roles.is_incident_manager(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        user = request.user
        return (obj is None or roles.is_incident_manager(user)
                or obj.owner_id == user.pk or obj.review.owner_id == user.pk)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and roles.is_incident_manager(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and self.has_view_permission(request, obj):
            extra.update(self.transition_context(request, obj))
        return super().change_view(request, object_id, form_url, extra_context=extra)
