"""Reads of reviews and action items shared by the admin and the API and dashboard to come. The
visibility rule is the incidents' (`Incident.objects.visible_to`): a review or an action item is
seen by whoever may see its incident, so a confidential incident's review stays with its team.
"""

from __future__ import annotations

from django.db.models import QuerySet

from incidents import selectors as incident_selectors

from .models import ActionItem, PostIncidentReview


def visible_reviews(user, queryset: QuerySet[PostIncidentReview] | None = None) -> QuerySet[PostIncidentReview]:
    """Reviews of incidents the user may see."""
    queryset = PostIncidentReview.objects.all() if queryset is None else queryset
    return incident_selectors.of_visible_incidents(queryset, user)


def visible_action_items(user, queryset: QuerySet[ActionItem] | None = None) -> QuerySet[ActionItem]:
    """Action items of reviews of incidents the user may see."""
    queryset = ActionItem.objects.all() if queryset is None else queryset
    return incident_selectors.of_visible_incidents(queryset, user, path="review__incident")
