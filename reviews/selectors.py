"""Reads of reviews and action items shared by the admin and the API and dashboard to come. The
visibility rule is the incidents' (`Incident.objects.visible_to`): a review or an action item is
seen by whoever may see its incident, so a confidential incident's review stays with its team.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents import selectors as incident_selectors

from .models import ActionItem, PostIncidentReview
from .workflow import OPEN_ACTION_STATES


def visible_reviews(user, queryset: QuerySet[PostIncidentReview] | None = None) -> QuerySet[PostIncidentReview]:
    """Reviews of incidents the user may see."""
    queryset = PostIncidentReview.objects.all() if queryset is None else queryset
    return incident_selectors.of_visible_incidents(queryset, user)


def visible_action_items(user, queryset: QuerySet[ActionItem] | None = None) -> QuerySet[ActionItem]:
    """Action items of reviews of incidents the user may see."""
    queryset = ActionItem.objects.all() if queryset is None else queryset
    return incident_selectors.of_visible_incidents(queryset, user, path="review__incident")


def _count_per_review(items: QuerySet[ActionItem]) -> Coalesce:
    counted = items.filter(review=OuterRef("pk")).order_by().values("review").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_action_counts(queryset: QuerySet[PostIncidentReview], *, today: date | None = None
                       ) -> QuerySet[PostIncidentReview]:
    """`open_actions` and `overdue_actions` on each review, in the same query: "overdue" is
    `ActionItemQuerySet.overdue` itself, as a subquery, so the count and the list agree."""
    today = today or timezone.localdate()
    return queryset.annotate(
        open_actions=_count_per_review(ActionItem.objects.filter(state__in=OPEN_ACTION_STATES)),
        overdue_actions=_count_per_review(ActionItem.objects.overdue(today)),
    )
