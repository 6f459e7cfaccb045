"""What the major-incident page reads: the incident, its children, its communications (who hears
its updates and what was said), its timeline and its post-incident review, each in a fixed number
of queries whatever the number of children. Visibility is the incidents' rule: the page exists for
those who read the incident's whole record (`roles.sees_internal`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from comms import stakeholders
from comms.models import Audience, Update
from incidents import roles, selectors
from incidents.models import Incident, IncidentEvent
from reviews.models import PostIncidentReview

UPDATES_LISTED = 10
RELATED = ("team", "assignee", "reporter", "commander", "comms_lead", "service", "category")


@dataclass
class MajorIncidentView:
    incident: Incident
    children: list[Incident]
    internal: list[stakeholders.Recipient]
    external: list[stakeholders.Recipient]
    updates: list[Update]
    timeline: list[IncidentEvent]
    review: PostIncidentReview | None

    @property
    def open_children(self) -> int:
        return sum(1 for child in self.children if child.is_open)


def children_of(incident: Incident) -> list[Incident]:
    """The incidents linked under it, oldest first. A child the reader may not see is never there:
    the services link confidential incidents with confidential ones only."""
    return list(Incident.objects.filter(parent_id=incident.pk).select_related("team", "assignee", "reporter")
                .order_by("opened_at", "pk"))


def major_incident(user, key: str | int) -> MajorIncidentView:
    """The page's contents for one major incident the user reads the whole record of; 404 for one
    they may not, that is not major, or that does not exist."""
    incident = selectors.visible_incident(user, key, related=RELATED)
    if not incident.is_major or not roles.sees_internal(user, incident):
        raise Http404("No such major incident.")
    audience = stakeholders.audience(incident)
    return MajorIncidentView(
        incident=incident,
        children=children_of(incident),
        internal=[r for r in audience if r.audience == Audience.INTERNAL],
        external=[r for r in audience if r.audience == Audience.EXTERNAL],
        updates=list(Update.objects.filter(incident=incident).select_related("posted_by")[:UPDATES_LISTED]),
        timeline=selectors.staff_timeline(incident),
        review=PostIncidentReview.objects.filter(incident=incident).select_related("owner").first(),
    )
