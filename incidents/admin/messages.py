"""The e-mails incidents owe, read-only: what was sent to whom and when, and what is still unsent
(the outbox relay gives up re-queueing after ITSM_OUTBOX_GIVE_UP_HOURS; a person looks here)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin

from .. import selectors
from ..models import Notification


class DeliveryFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [("unsent", "Not sent yet"), ("sent", "Sent")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "unsent":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "incident", "kind", "recipient", "sent_at")
    list_filter = (DeliveryFilter, "channel")
    list_select_related = ("event__incident",)
    search_fields = ("recipient", "event__incident__reference")
    show_full_result_count = False
    fields = ("incident", "kind", "channel", "recipient", "created_at", "sent_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user, path="event__incident")

    @admin.display(description="incident", ordering="event__incident__reference")
    def incident(self, obj: Notification) -> str:
        return str(obj.event.incident)

    @admin.display(description="about")
    def kind(self, obj: Notification) -> str:
        return obj.event.get_kind_display()
