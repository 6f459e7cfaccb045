"""List filters of the incident changelist that depend on who is looking."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet

from .. import roles


class AssignmentFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assigned"

    MINE = "me"
    NOBODY = "none"
    MY_TEAMS = "my_teams"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [
            (self.MINE, "Assigned to me"),
            (self.NOBODY, "Unassigned"),
            (self.MY_TEAMS, "My teams' queues"),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.MINE:
            return queryset.filter(assignee=request.user)
        if value == self.NOBODY:
            return queryset.filter(assignee__isnull=True)
        if value == self.MY_TEAMS:
            return queryset.filter(team_id__in=roles.team_ids(request.user))
        return queryset
