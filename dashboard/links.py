"""Where each figure of the staff home leads: the admin's incident (or page) list, filtered to the
rows the figure counts, with parameters the changelist really supports: its list filters
(`assigned`, `sla`, `state`, `priority`, `team`, `is_major`) and plain lookups on the incident's own
columns (`state__in`, `opened_at__gte`, `responded_at__isnull`), which the admin accepts for any
local field. The tests follow each link and count the rows it shows.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse

from incidents.workflow import OPEN_STATES

OPEN = ",".join(OPEN_STATES)


def _at(moment: datetime) -> str:
    # ISO 8601 with its offset: the changelist reads it back as the same aware moment.
    return moment.isoformat()


def incidents(**params: object) -> str:
    """The incident changelist narrowed by `params` (None values are left out)."""
    query = {key: value for key, value in params.items() if value is not None}
    for key, value in query.items():
        if isinstance(value, datetime):
            query[key] = _at(value)
        elif isinstance(value, list | tuple):
            query[key] = ",".join(str(v) for v in value)
    url = reverse("admin:incidents_incident_changelist")
    return f"{url}?{urlencode(query)}" if query else url


def open_incidents(**params: object) -> str:
    return incidents(state__in=OPEN, **params)


def incident(pk: int) -> str:
    return reverse("admin:incidents_incident_change", args=[pk])


def queue(team_slug: str) -> str:
    return f"{reverse('admin:incidents_incident_queue')}?{urlencode({'team': team_slug})}"


def pages(*, user_id: int | None = None) -> str:
    """The pages still waiting for an acknowledgement (to one person, with `user_id`)."""
    query = {"acknowledged_at__isnull": "1", "passed_on_at__isnull": "1"}
    if user_id is not None:
        query["user__id__exact"] = str(user_id)
    return f"{reverse('admin:incidents_page_changelist')}?{urlencode(query)}"
