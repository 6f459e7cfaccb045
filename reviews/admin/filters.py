"""Changelist filters that are more than a field lookup."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone

from incidents import roles


class HasOverdueActionsFilter(admin.SimpleListFilter):
    """Reads the `overdue_actions` annotation of the review changelist's queryset."""

    title = "overdue action items"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Has overdue actions"), ("no", "No overdue actions")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(overdue_actions__gt=0)
        if self.value() == "no":
            return queryset.filter(overdue_actions=0)
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("me", "Mine"), ("my_teams", "My teams'")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "me":
            return queryset.filter(owner=request.user)
        if self.value() == "my_teams":
            return queryset.filter(team_id__in=roles.team_ids(request.user))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.overdue(timezone.localdate())
        return queryset
