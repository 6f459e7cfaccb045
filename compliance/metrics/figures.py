"""What each figure counts, written once for the database (`Q`, for the tables' aggregates) and once
for one incident (for the export's rows), side by side so that the two cannot drift apart.

- An incident counts in the figures of a period when it is no exercise; MTTA and response met
  over the incidents *opened* in the period, MTTR and resolution met over those *resolved* in it.
- Response met: of the incidents with a response target whose response is settled (responded to,
  or its deadline passed: `response_breached`), those not breached.
- Resolution met: of the incidents resolved with a resolution target, those not breached.
- Time to respond: `responded_at - opened_at`; time to resolve: `resolved_at - opened_at`, and on
  the clock, less the time spent on hold (`paused_seconds`), which the SLA does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident


@dataclass(frozen=True)
class Period:
    """[start, end): from the first day's midnight to the midnight after the last day, in the
    site's time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, datetime.min.time()))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), datetime.min.time()))

    def __str__(self) -> str:
        return f"{self.first.isoformat()} to {self.last.isoformat()}"


def counted() -> Q:
    """Exercises (drills) run the real workflow but are no service the users received."""
    return Q(exercise=False)


def opened_in(period: Period) -> Q:
    return Q(opened_at__gte=period.start, opened_at__lt=period.end)


def resolved_in(period: Period) -> Q:
    return Q(resolved_at__gte=period.start, resolved_at__lt=period.end)


def opened_within(incident: Incident, period: Period) -> bool:
    return period.start <= incident.opened_at < period.end


def resolved_within(incident: Incident, period: Period) -> bool:
    return incident.resolved_at is not None and period.start <= incident.resolved_at < period.end


# --- response ---------------------------------------------------------------------------------------
RESPONDED = Q(responded_at__isnull=False)
RESPONSE_SETTLED = Q(respond_by__isnull=False) & (RESPONDED | Q(response_breached=True))
RESPONSE_MET = RESPONSE_SETTLED & Q(response_breached=False)


def response_met(incident: Incident) -> bool | None:
    """True/False once the response is settled, None without a target or while it is pending."""
    if incident.respond_by is None or (incident.responded_at is None and not incident.response_breached):
        return None
    return not incident.response_breached


def time_to_respond(incident: Incident) -> timedelta | None:
    return None if incident.responded_at is None else incident.responded_at - incident.opened_at


# --- resolution -------------------------------------------------------------------------------------
RESOLVED = Q(resolved_at__isnull=False)
RESOLUTION_SETTLED = RESOLVED & Q(resolve_by__isnull=False)
RESOLUTION_MET = RESOLUTION_SETTLED & Q(resolution_breached=False)


def resolution_met(incident: Incident) -> bool | None:
    """True/False once resolved with a target, None otherwise (a breach of an open incident is
    still shown by its `resolution_breached` marker)."""
    if incident.resolved_at is None or incident.resolve_by is None:
        return None
    return not incident.resolution_breached


def time_to_resolve(incident: Incident) -> timedelta | None:
    return None if incident.resolved_at is None else incident.resolved_at - incident.opened_at


def time_to_resolve_on_clock(incident: Incident) -> timedelta | None:
    elapsed = time_to_resolve(incident)
    return None if elapsed is None else elapsed - timedelta(seconds=incident.paused_seconds)
