"""Factories for review tests. Incidents are made and resolved through the incident services."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from incidents import roles
from incidents import services as incident_services
from incidents.models import Incident
from incidents.tests.factories import UserFactory, make_incident
from reviews.models import ActionItem, PostIncidentReview, Trigger


def resolved_incident(*, reporter, category, desk, resolver, impact="high", urgency="high",
                      resolution_code="fixed", **kwargs) -> Incident:
    """An incident taken from opened to resolved the way people do it (P1 by default)."""
    incident = make_incident(reporter=reporter, category=category, impact=impact, urgency=urgency, **kwargs)
    incident = incident_services.transition(incident=incident, user=desk, name="triage")
    incident = incident_services.transition(incident=incident, user=resolver, name="claim")
    return incident_services.transition(
        incident=incident, user=resolver, name="resolve",
        resolution_code=resolution_code, resolution_notes="Restarted the VPN concentrator.",
    )


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PostIncidentReview

    incident = factory.LazyFunction(lambda: make_incident(impact="high", urgency="high"))
    owner = factory.SubFactory(UserFactory, role=roles.INCIDENT_MANAGER)
    trigger = Trigger.PRIORITY
    required = True


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    review = factory.SubFactory(ReviewFactory)
    description = factory.Sequence(lambda n: f"Add monitoring for the VPN tunnel count ({n})")
    owner = factory.LazyAttribute(lambda item: item.review.owner)
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))
