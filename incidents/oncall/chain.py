"""The pass-on chain of a page: the person paged has `ack_minutes` to acknowledge; past that, the
next person in the rotation's line is paged, and when nobody is left, the incident managers are
told. Each step is a `Page` row, written once, sent after commit by `paging.send_page_task`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from django.db import transaction

from core import outbox

from .. import events
from ..models import EventKind, Incident, Page, Rotation
from ..notifications import deliver_sla_notices, owe_to
from ..services import system_user
from ..workflow import OPEN_STATES
from . import rotation as oncall
from .paging import send_page_task


class Lookups(Protocol):
    """What the chain needs of its caller's per-run lookups (the SLA sweep's `Context`)."""

    now: datetime
    system: object

    def rotation(self, team_id: int | None) -> Rotation | None: ...

    def manager_emails(self) -> list[str]: ...


def page_person(incident: Incident, escalation_id: int, *, step: int, user, rotation: Rotation | None,
                now: datetime, event_id: int | None = None) -> Page:
    """Write the page row (once per chain step) and send it after commit."""
    ack_minutes = rotation.ack_minutes if rotation is not None else 10
    if event_id is None:
        event_id = events.record(
            incident, kind=EventKind.PAGE, actor=system_user(), notify=False,
            message=f"Paged {user}, next in line for {incident.team}: the previous page was not acknowledged.",
        ).pk
    page = Page.objects.create(
        incident=incident, escalation_id=escalation_id, step=step, user=user, created_at=now,
        escalate_at=now + timedelta(minutes=ack_minutes), event_id=event_id,
    )
    outbox.enqueue_on_commit(send_page_task, page.pk)
    return page


def pass_on_pages(ctx: Lookups, batch_size: int = 500) -> int:
    """Pass on every page whose acknowledgement time is over, in locked batches. Returns how many."""
    passed = 0
    while True:
        with transaction.atomic():
            pages = list(
                Page.objects.filter(acknowledged_at__isnull=True, passed_on_at__isnull=True, escalate_at__lte=ctx.now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("incident__team")
                .order_by("escalate_at")[:batch_size]
            )
            if not pages:
                return passed
            for page in pages:
                pass_on(page, ctx)
                passed += 1


def pass_on(page: Page, ctx: Lookups) -> Page | None:
    """The page was not acknowledged in time: page the next in line, or tell the managers."""
    page.passed_on_at = ctx.now
    page.save(update_fields=["passed_on_at"])
    incident = page.incident
    chain = Page.objects.filter(escalation_id=page.escalation_id)
    if chain.filter(acknowledged_at__isnull=False).exists():
        return None
    if incident.state not in OPEN_STATES or incident.assignee_id is not None:
        return None  # someone has it now: the chain has done its job
    paged = set(chain.values_list("user_id", flat=True))
    rotation = ctx.rotation(incident.team_id)
    people = [p for p in (oncall.in_line(rotation, ctx.now) if rotation else []) if p.pk not in paged]
    if people:
        return page_person(incident, page.escalation_id, step=page.step + 1, user=people[0], rotation=rotation,
                           now=ctx.now)
    event = events.record(
        incident, kind=EventKind.ESCALATION, actor=ctx.system, notify=False,
        message=f"Nobody in the {incident.team} rotation acknowledged the page: notified the incident managers.",
    )
    owe_to(event, ctx.manager_emails())
    outbox.enqueue_on_commit(deliver_sla_notices, [event.pk])
    return None
