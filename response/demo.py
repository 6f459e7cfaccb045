"""The major incident of the demo (`manage.py seed_demo`): the VPN outage that every remote worker
hits, declared major by maria with dana as its communications lead, and the two reports of the same
outage that came in on their own linked under it (so that resolving it resolves them).

Through the services, as maria. Idempotent: an outage already declared is left as it is.
"""

from __future__ import annotations

from incidents import major
from incidents.models import Incident

COMMANDER = "maria"
COMMS_LEAD = "dana"
MAJOR_SUMMARY = "VPN down for all remote staff since 08:00"
REASON = "Every remote worker is cut off: the VPN gateway is unreachable"
CHILD_SUMMARIES = (
    "Teams calls drop every few minutes when working from home",
    "VPN connects but no internal sites load",
)


def seed(org) -> int:
    """Declare the demo's major incident and link its children. Returns 1 when it did, 0 when it
    was there already (or the stories are missing)."""
    outage = Incident.objects.filter(summary=MAJOR_SUMMARY).order_by("pk").first()
    if outage is None or outage.is_major:
        return 0
    maria, dana = org.users[COMMANDER], org.users[COMMS_LEAD]
    outage = major.declare(incident=outage, user=maria, reason=REASON, comms_lead=dana)
    for summary in CHILD_SUMMARIES:
        child = Incident.objects.filter(summary=summary).order_by("pk").first()
        if child is not None:
            major.link_child(parent=outage, child=child, user=maria)
    return 1
