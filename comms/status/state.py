"""The status page's rules, pure: what an open major incident does to its service, how bad an
incident is in Statuspage's words, and where it stands.

Statuspage's words, because status aggregators and monitoring tools already read them:
- a component is operational, degraded_performance, partial_outage or major_outage; an open major
  incident on its service makes it major_outage (P1), partial_outage (P2) or degraded_performance
  (P3, P4); the worst incident wins, and a state set by hand wins over all of them;
- an incident's impact is critical (P1), major (P2) or minor (P3, P4);
- an incident's status is investigating until someone works on it (new, triaged), identified while
  it is worked on or waits (in progress, on hold), resolved once resolved or closed. Statuspage's
  "monitoring" is not used: a resolved incident here is fixed as far as the desk knows, and is
  reopened if it is not.
- the page's indicator is the worst of its components' states and its incidents' impacts.
"""

from __future__ import annotations

from collections.abc import Iterable

from incidents.models import Priority
from incidents.workflow import OPEN_STATES, State

from ..models import ComponentStatus

ORDER = [ComponentStatus.OPERATIONAL, ComponentStatus.DEGRADED, ComponentStatus.PARTIAL, ComponentStatus.MAJOR]
IMPACTS = ["none", "minor", "major", "critical"]
INDICATOR_FOR_STATUS = dict(zip(ORDER, IMPACTS, strict=True))
INDICATOR_DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Partially Degraded Service",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
INCIDENT_STATUS = {
    State.NEW: "investigating",
    State.TRIAGED: "investigating",
    State.IN_PROGRESS: "identified",
    State.ON_HOLD: "identified",
    State.RESOLVED: "resolved",
    State.CLOSED: "resolved",
}
INCIDENT_STATUS_LABEL = {"investigating": "Investigating", "identified": "Identified", "resolved": "Resolved"}


def is_open(state: str) -> bool:
    return state in OPEN_STATES


def status_from_incident(priority: int) -> str:
    """What one open major incident does to the state of its service."""
    if priority == Priority.P1:
        return ComponentStatus.MAJOR
    if priority == Priority.P2:
        return ComponentStatus.PARTIAL
    return ComponentStatus.DEGRADED


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=ORDER.index, default=ComponentStatus.OPERATIONAL)


def component_status(open_priorities: Iterable[int], override: str = "") -> str:
    """A service's state: the one set by hand, or the worst its open major incidents give it."""
    if override:
        return override
    return worst(status_from_incident(priority) for priority in open_priorities)


def impact(priority: int) -> str:
    return {Priority.P1: "critical", Priority.P2: "major"}.get(priority, "minor")


def incident_status(state: str) -> str:
    return INCIDENT_STATUS.get(state, "investigating")


def indicator(component_statuses: Iterable[str], open_impacts: Iterable[str]) -> str:
    """The page's one word: the worst of what its components and its ongoing incidents say."""
    levels = [IMPACTS.index(INDICATOR_FOR_STATUS[s]) for s in component_statuses]
    levels += [IMPACTS.index(i) for i in open_impacts]
    return IMPACTS[max(levels, default=0)]
