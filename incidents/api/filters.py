"""How the incident list is narrowed (`?state=new,triaged&sla=breached&search=vpn`) and ordered.

Several values of one filter are given comma-separated and match any of them. The search and the SLA
states are the admin changelist's own (`selectors.search_incidents`, `selectors.with_sla_status`),
so a desk agent finds the same incidents in both.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.filters import OrderingFilter

from .. import selectors
from ..models import Incident, Level, Priority
from ..workflow import State


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    pass


class IdField(forms.IntegerField):
    """An id: "1.5" is not one (rather than a decimal that matches nothing), nor is a number past
    what an id column holds (PostgreSQL refuses it as out of range, SQLite cannot bind it)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


class IdInFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    field_class = IdField


def ids_of(field_name: str, what: str) -> IdInFilter:
    # Described by hand: the schema would call a foreign key's id a "number".
    return extend_schema_field({"type": "integer", "description": f"{what} ids, comma-separated."})(
        IdInFilter(field_name=field_name))


class IncidentFilterSet(django_filters.FilterSet):
    state = ChoiceInFilter(choices=State.choices, help_text="One or more states, comma-separated.")
    priority = ChoiceInFilter(choices=Priority.choices, help_text="One or more priorities (1-4), comma-separated.")
    impact = ChoiceInFilter(choices=Level.choices)
    urgency = ChoiceInFilter(choices=Level.choices)
    team = ids_of("team_id", "Team")
    category = ids_of("category_id", "Category")
    service = ids_of("service_id", "Service")
    reporter = ids_of("reporter_id", "Reporters' user")
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        help_text="A user id, `me` (the caller) or `none` (unassigned).")
    confidential = django_filters.BooleanFilter()
    major = django_filters.BooleanFilter(field_name="is_major", help_text="Major incidents only (or none of them).")
    sla = django_filters.ChoiceFilter(
        choices=list(selectors.SLA_FILTERS.items()), method="filter_sla",
        help_text="breached: a target passed; at_risk: in the last quarter of its target; paused: on hold.")
    opened = django_filters.IsoDateTimeFromToRangeFilter(
        field_name="opened_at", help_text="`opened_after` / `opened_before`: ISO 8601 date-times.")
    updated = django_filters.IsoDateTimeFromToRangeFilter(
        field_name="updated_at", help_text="`updated_after` / `updated_before`: ISO 8601 date-times.")
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Words that must all match the reference, summary, description, or the reporter's user name "
                  "or e-mail (quoted phrases kept whole).")

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_assignee(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        value = value.strip().lower()
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value.isascii() and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        raise serializers.ValidationError({name: ["Give a user id, “me” or “none”."]})

    def filter_sla(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return selectors.with_sla_status(queryset, value)

    def filter_search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return selectors.search_incidents(queryset, value)


class StableOrdering(OrderingFilter):
    """`?ordering=` from the view's whitelist, with the id as the last key, in the direction of the
    first: rows that tie (same priority) keep one order, so a cursor page never repeats or skips one."""

    ordering_description = ("The order: opened_at, updated_at, priority or id, descending with a leading "
                            "`-` (default `-opened_at`).")

    def get_ordering(self, request, queryset, view) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or ())
        if ordering and not any(term.lstrip("-") in ("id", "pk") for term in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering
