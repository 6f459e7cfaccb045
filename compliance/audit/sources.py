"""What joins the audit chain: the incident timeline, the history of incidents and reviews, and
who read the record out (exports, evidence downloads).

- Events: `incidents.events` calls `on_events` inside the transaction of every batch it writes,
  `record` and `record_rows` (the sweep) alike.
- History: simple-history's `post_create_historical_record` for every historical row of a model of
  the incidents or reviews app, and `post_create_historical_m2m_records` for their many-to-many
  history (a team's members). Neither app writes history rows in bulk, which would send no signal
  (`bulk_history_create`, `bulk_create_with_history`); a test holds that true.
- Access: `record_access`, whose entry keeps its own content since it has no other row.
- The security response's append-only rows: every line of an evidence item's chain of custody
  (each view, download, refused download, hand-over) and every notice to legal or compliance,
  saved once and never changed (`on_security_record`). Evidence items themselves are not chained:
  a hand-over or a supersede changes them, and their custody lines say so.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.utils import timezone

from . import content as c
from .chain import Pending, append

CHAINED_APPS = frozenset({"incidents", "reviews"})
ACCESS_TABLE = "audit.access"  # no such table: the entry is the record


def on_events(rows: Sequence[tuple[int, int, str]]) -> None:
    from incidents.models import IncidentEvent

    table = IncidentEvent._meta.db_table
    append([Pending(table, pk, incident_id, IncidentEvent) for pk, incident_id, _ in rows])


def _incident_of(instance: models.Model) -> tuple[int | None, int | None]:
    """(incident id, review id) of the object a history row is about: the incident itself, what
    points at an incident, or what belongs to a review (resolved at flush)."""
    from incidents.models import Incident

    if isinstance(instance, Incident):
        return instance.pk, None
    incident_id = getattr(instance, "incident_id", None)
    if incident_id is not None:
        return incident_id, None
    return None, getattr(instance, "review_id", None)


def on_history(sender, instance, history_instance, using=None, **kwargs) -> None:
    model = type(history_instance)
    if model._meta.app_label not in CHAINED_APPS:
        return
    incident_id, review_id = _incident_of(instance)
    append([Pending(model._meta.db_table, history_instance.pk, incident_id, model, review_id=review_id)],
           using=using or "default")


def on_m2m_history(sender, created_rows, history_instance, instance, **kwargs) -> None:
    if sender._meta.app_label not in CHAINED_APPS or not created_rows:
        return
    incident_id, review_id = _incident_of(instance)
    table = sender._meta.db_table
    append([Pending(table, row.pk, incident_id, sender, review_id=review_id) for row in created_rows])


def record_access(*, actor, action: str, what: str, incident=None, detail: str = "") -> None:
    """Append "who read what out, when" to the global chain (and the incident's, if one is
    named), in the caller's transaction: an export, an evidence download."""
    if not isinstance(action, str) or not action.strip():
        raise ValueError("record_access needs an action, e.g. 'export'")
    if not isinstance(what, str) or not what.strip():
        raise ValueError("record_access needs what was accessed, e.g. 'INC-000123 bundle'")
    incident_id = getattr(incident, "pk", incident)
    if incident_id is not None and not isinstance(incident_id, int):
        raise ValueError(f"record_access takes an incident or its id, not {incident!r}")
    text = c.row_content(ACCESS_TABLE, None, {
        "actor_id": getattr(actor, "pk", None), "actor": getattr(actor, "username", "") or "",
        "action": action.strip(), "what": what.strip(), "incident_id": incident_id, "detail": detail,
        "at": timezone.now(),
    })
    append([Pending(ACCESS_TABLE, None, incident_id, content=text)])


def on_security_record(sender, instance, created: bool, raw: bool = False, using=None, **kwargs) -> None:
    """A custody line or a notice, chained in the transaction that writes it (to its incident's
    chain too). A custody line's incident is its evidence item's, which the service has at hand."""
    if not created or raw:
        return
    incident_id = getattr(instance, "incident_id", None)
    if incident_id is None and getattr(instance, "evidence_id", None) is not None:
        incident_id = instance.evidence.incident_id
    append([Pending(sender._meta.db_table, instance.pk, incident_id, sender)], using=using or "default")
