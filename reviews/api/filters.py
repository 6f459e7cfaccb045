"""Query filters of the review and action-item lists, the admin's filters as query parameters. They
narrow what the caller may already see (`selectors.visible_*`); they never widen it."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from incidents import roles

from ..models import ActionItem, ActionPriority, PostIncidentReview, Trigger
from ..workflow import ActionState, ReviewState


class OwnedFilters(filters.FilterSet):
    """`owner` by id, and `mine` for the caller's own rows without knowing their id."""

    owner = filters.NumberFilter(field_name="owner_id", help_text="The owner's user id.")
    mine = filters.BooleanFilter(method="filter_mine", help_text="Only (true) or all but (false) the caller's own.")

    def filter_mine(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        return queryset.filter(owner=user) if value else queryset.exclude(owner=user)


class ReviewFilter(OwnedFilters):
    state = filters.MultipleChoiceFilter(choices=ReviewState.choices, help_text="One or more states.")
    trigger = filters.ChoiceFilter(choices=Trigger.choices, help_text="Why the review exists.")
    required = filters.BooleanFilter(help_text="Required by the review policy.")
    incident = filters.CharFilter(field_name="incident__reference", lookup_expr="iexact",
                                  help_text="The incident's reference, e.g. INC-000042.")
    has_overdue_actions = filters.BooleanFilter(method="filter_overdue", help_text="Has action items past due.")

    class Meta:
        model = PostIncidentReview
        fields = ["state", "trigger", "required", "incident", "owner", "mine", "has_overdue_actions"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # Reads the `overdue_actions` count the view annotates (`selectors.with_action_counts`).
        if value is None:
            return queryset
        return queryset.filter(overdue_actions__gt=0) if value else queryset.filter(overdue_actions=0)


class ActionItemFilter(OwnedFilters):
    state = filters.MultipleChoiceFilter(choices=ActionState.choices, help_text="One or more states.")
    priority = filters.TypedChoiceFilter(choices=ActionPriority.choices, coerce=int)
    team = filters.NumberFilter(field_name="team_id", help_text="The owning team's id.")
    my_teams = filters.BooleanFilter(method="filter_my_teams", help_text="Only items of the caller's teams.")
    review = filters.NumberFilter(field_name="review_id", help_text="The review's id.")
    incident = filters.CharFilter(field_name="review__incident__reference", lookup_expr="iexact",
                                  help_text="The incident's reference, e.g. INC-000042.")
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="Open and past its due date.")

    class Meta:
        model = ActionItem
        fields = ["state", "priority", "owner", "mine", "team", "my_teams", "review", "incident", "overdue"]

    def filter_my_teams(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(team_id__in=roles.team_ids(self.request.user))

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # `ActionItemQuerySet.overdue` is the rule the reminders and the admin use.
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.exclude(pk__in=ActionItem.objects.overdue().values("pk"))
