"""The shift handoff: what the person coming on call is told, when they are told, and the note the
person going off shift leaves on the team's incidents.

- `briefing` reads a team's work for a time window, as one person may see it (the admin page, the
  e-mail): a fixed number of queries whatever the number of incidents.
- `owe_briefings` (beat, every few minutes) writes a `Handoff` row for each rotation whose shift
  changed lately; the row is the e-mail owed to whoever is on call from then (`rotation.in_line`
  at the handoff instant), and `send_briefing` sends it once (`core.outbox`).
- `write_note` puts the outgoing person's note on every open incident of the team they may work
  on, as a work note, in one transaction, once per person and handoff.

Sections about what happened (new, escalated, pages) read the window; sections about where things
stand (breached, waiting, major, open) read now, since that is what the incoming person inherits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.retry import MAIL_TASK
from core.text import clean_text, mail_subject

from .. import roles, selectors, services
from ..models import Comment, Escalation, Handoff, HandoffNote, Incident, Page, Rotation, Team
from ..workflow import State
from .rotation import in_line, shift_at

logger = logging.getLogger(__name__)

# Each section lists this many incidents and says when there are more (the admin list has them all).
SECTION_ROWS = 50
# A handoff found later than this (beat was down) gets no briefing: it would be news no longer.
BRIEFING_LATE_AFTER = timedelta(hours=1)
NOTE_LIMIT = 5_000
BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class Line:
    """One incident in a section, with what the section says about it."""

    incident: Incident
    detail: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    lines: list[Line]
    more: bool = False  # more incidents than shown


@dataclass(frozen=True)
class Briefing:
    team: Team
    starts_at: datetime
    ends_at: datetime
    sections: list[Section]
    notes: list[HandoffNote] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(section.lines for section in self.sections)


# --- the window --------------------------------------------------------------------------------
def current_window(rotation: Rotation, at: datetime | None = None) -> tuple[datetime, datetime]:
    """The shift running at `at` (now): from its handoff to the next one."""
    shift = shift_at(rotation, at or timezone.now())
    return shift.starts_at, shift.ends_at


def outgoing_window(rotation: Rotation, handoff_at: datetime) -> tuple[datetime, datetime]:
    """The shift that ends at the handoff `handoff_at`: what its briefing covers."""
    return shift_at(rotation, handoff_at - BEFORE).starts_at, handoff_at


# --- who may read and write --------------------------------------------------------------------
def may_brief(user, team: Team) -> bool:
    """Who works the team's incidents reads its briefing and writes its handoff note: the desk,
    incident managers, and the team's own resolvers (the people on its rotation)."""
    if getattr(user, "is_superuser", False):
        return True
    if not roles.is_staff_role(user):
        return False
    return roles.is_desk_agent(user) or roles.is_incident_manager(user) or roles.is_member(user, team)


# --- the briefing ------------------------------------------------------------------------------
def _lines(rows, detail=lambda row: "", at=lambda row: None, incident=lambda row: row) -> tuple[list[Line], bool]:
    rows = list(rows[: SECTION_ROWS + 1])
    return [Line(incident(row), detail(row), at(row)) for row in rows[:SECTION_ROWS]], len(rows) > SECTION_ROWS


def _escalation_detail(escalation: Escalation) -> str:
    if escalation.rule_id is not None:
        return escalation.rule.name
    target = escalation.key.split(":")[0].removeprefix("breach-")  # "breach-response:1"
    return f"{target.capitalize()} target breached"


def _breached_target(incident: Incident, now: datetime) -> str:
    """Which target of a breached incident is breached: the resolution's first, it is the later one."""
    passed = incident.resolve_by is not None and incident.resolve_by <= now and incident.resolved_at is None
    return "resolution" if incident.resolution_breached or passed else "response"


def _page_detail(page: Page) -> str:
    person = selectors.display_name(page.user)
    return f"Page to {person}, passed on to the next in line" if page.passed_on_at else f"Page to {person}, waiting"


def _note_detail(incident: Incident, notes: dict[int, Comment]) -> str:
    note = notes.get(incident.last_note_id)
    if note is None:
        return "No note yet."
    kind = "Reply" if note.public else "Work note"
    return f"{kind} by {selectors.display_name(note.author)}: {note.body[:300]}"


def briefing(team: Team, user, *, starts_at: datetime, ends_at: datetime, now: datetime | None = None) -> Briefing:
    """The team's briefing for the window [starts_at, ends_at), as `user` may see it: only incidents
    whose whole record they read (`seen_internally_by`, the admin's rule), so a confidential
    incident shows to its team and incident managers only. Nine queries whatever the numbers."""
    now = now or timezone.now()
    visible = Incident.objects.seen_internally_by(user).filter(team=team).select_related("assignee")
    current = visible.open().order_by("priority", "opened_at", "pk")
    sections = []

    def add(key: str, title: str, found: tuple[list[Line], bool]) -> None:
        sections.append(Section(key, title, *found))

    add("new", "New during the shift", _lines(
        visible.filter(opened_at__gte=starts_at, opened_at__lt=ends_at).order_by("opened_at", "pk"),
        detail=lambda i: i.get_state_display(), at=lambda i: i.opened_at))
    add("breached", "SLA breached", _lines(
        current.filter(selectors.sla_breached_q(now)),
        detail=lambda i: f"{_breached_target(i, now).capitalize()} target breached",
        at=lambda i: i.resolve_by if _breached_target(i, now) == "resolution" else i.respond_by))
    escalations = selectors.of_visible_incidents(
        Escalation.objects.filter(incident__team=team, fired_at__gte=starts_at, fired_at__lt=ends_at,
                                  superseded=False), user)
    add("escalated", "Escalated during the shift", _lines(
        escalations.select_related("incident__assignee", "rule").order_by("fired_at", "pk"),
        detail=_escalation_detail, at=lambda e: e.fired_at, incident=lambda e: e.incident))
    add("waiting", "Waiting on users", _lines(
        current.filter(state=State.ON_HOLD, hold_kind__waits_for_reporter=True).select_related("hold_kind"),
        detail=lambda i: " – ".join(filter(None, [i.hold_kind.name, i.hold_reason])), at=lambda i: i.on_hold_since))
    # Every ongoing major incident the person may see, whichever team leads it: coming on call,
    # they need to know what the whole desk is fighting.
    majors = (Incident.objects.seen_internally_by(user).open().filter(is_major=True).select_related("assignee", "team")
              .order_by("priority", "opened_at", "pk"))
    add("major", "Major incidents (all teams)", _lines(
        majors, detail=lambda i: f"{i.get_state_display()}, led by {i.team or 'no team yet'}",
        at=lambda i: i.major_since))
    pages = selectors.of_visible_incidents(
        Page.objects.filter(incident__team=team, created_at__gte=starts_at, created_at__lt=ends_at,
                            acknowledged_at__isnull=True), user)
    add("pages", "Pages not acknowledged", _lines(
        pages.select_related("incident__assignee", "user").order_by("created_at", "step"),
        detail=_page_detail, at=lambda p: p.created_at, incident=lambda p: p.incident))

    # The team's open incidents, each with its last note: the note's id in the same query, the
    # notes themselves in one more.
    last_note = Comment.objects.filter(incident=OuterRef("pk")).order_by("-created_at", "-pk").values("pk")[:1]
    open_rows, more = _lines(current.annotate(last_note_id=Subquery(last_note)))
    notes = Comment.objects.filter(pk__in=[line.incident.last_note_id for line in open_rows
                                           if line.incident.last_note_id]).select_related("author").in_bulk()
    sections.append(Section("open", "Open incidents of the team", [
        Line(line.incident, _note_detail(line.incident, notes),
             notes[line.incident.last_note_id].created_at if line.incident.last_note_id in notes else None)
        for line in open_rows], more))

    handoff_notes = list(HandoffNote.objects.filter(rotation__team=team, handoff_at__gt=starts_at,
                                                    handoff_at__lte=ends_at).select_related("author"))
    return Briefing(team, starts_at, ends_at, sections, handoff_notes)


# --- the briefing owed at each handoff ------------------------------------------------------------
def owe_briefings(now: datetime | None = None) -> list[int]:
    """Write the briefing owed for each rotation whose shift changed in the last
    `BRIEFING_LATE_AFTER` and queue its sending after commit. Returns the ids of the rows written.

    Idempotent: a handoff already owed is skipped by its unique row, so beat running every few
    minutes, twice, or on two workers sends each briefing once. Two queries per rotation (its
    members and its override at the handoff): rotations are one per team.
    """
    now = now or timezone.now()
    written = []
    for rotation in Rotation.objects.select_related("team").order_by("pk"):
        if not rotation.shift_hours:
            continue
        shift = shift_at(rotation, now)
        if shift.index < 0 or now - shift.starts_at > BRIEFING_LATE_AFTER:
            continue
        incoming = in_line(rotation, shift.starts_at)
        outgoing = in_line(rotation, shift.starts_at - BEFORE) if shift.index > 0 else []
        window_starts_at, handoff_at = outgoing_window(rotation, shift.starts_at)
        with transaction.atomic():
            if not outbox.owe(Handoff, rotation=rotation, handoff_at=handoff_at, defaults={
                "window_starts_at": window_starts_at, "created_at": now,
                "incoming": incoming[0] if incoming else None, "outgoing": outgoing[0] if outgoing else None,
            }):
                continue
            handoff_id = Handoff.objects.only("pk").get(rotation=rotation, handoff_at=handoff_at).pk
            outbox.enqueue_on_commit(send_briefing_task, handoff_id)
        written.append(handoff_id)
    return written


def admin_url(incident: Incident) -> str:
    return settings.ITSM_BASE_URL + reverse("admin:incidents_incident_change", args=[incident.pk])


def briefing_url(rotation: Rotation, starts_at: datetime, ends_at: datetime) -> str:
    query = f"?start={starts_at.astimezone(ZoneInfo(rotation.time_zone)):%Y-%m-%dT%H:%M}" \
            f"&end={ends_at.astimezone(ZoneInfo(rotation.time_zone)):%Y-%m-%dT%H:%M}"
    return settings.ITSM_BASE_URL + reverse("admin:incidents_rotation_briefing", args=[rotation.pk]) + query


def send_briefing(handoff_id: int) -> int:
    """Send the briefing of one handoff to the person on call from it, once. Returns 1 if sent.

    The briefing is read at sending time, as its recipient may see it: a confidential incident of
    another team never reaches them. Nobody on call, or no address: the row says so and stays
    unsent (visible in the admin), and is not tried again.
    """

    def send(rows: list[Handoff]) -> list[Handoff]:
        handoff = rows[0]
        person = handoff.incoming
        if person is None or not person.email:
            Handoff.objects.filter(pk=handoff.pk).update(
                error="Nobody on call." if person is None else f"{person} has no e-mail address.")
            return []
        rotation = handoff.rotation
        zone = ZoneInfo(rotation.time_zone)
        content = briefing(rotation.team, person, starts_at=handoff.window_starts_at, ends_at=handoff.handoff_at)
        body = render_to_string("incidents/email/handoff_briefing.txt", {
            "handoff": handoff, "briefing": content, "rotation": rotation, "person": person,
            "recipient_name": selectors.display_name(person),
            # As text here: the template's date filter would show them in the server's zone.
            "starts_at": f"{handoff.window_starts_at.astimezone(zone):%a %d %b %H:%M}",
            "ends_at": f"{handoff.handoff_at.astimezone(zone):%a %d %b %H:%M}",
            "sections": [(section, [(line, admin_url(line.incident)) for line in section.lines])
                         for section in content.sections],
            "page_url": briefing_url(rotation, handoff.window_starts_at, handoff.handoff_at),
        })
        subject = mail_subject(f"[{rotation.team}] You are on call: handoff briefing "
                               f"{handoff.handoff_at.astimezone(zone):%a %d %b %H:%M}")
        EmailMessage(subject, body, None, [person.email], headers={
            "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
        }).send()
        return rows

    owed = Handoff.objects.filter(pk=handoff_id, error="").select_related("rotation__team", "incoming")
    return outbox.send_owed(owed, send)


def stale(written_before, written_after, limit: int):
    """The relay's finder (`core.outbox.register_relay`): briefings still owed, written in the window."""
    owed = (Handoff.objects.filter(sent_at__isnull=True, error="", created_at__lt=written_before,
                                   created_at__gte=written_after).order_by("pk").values_list("pk", flat=True)[:limit])
    for handoff_id in owed:
        yield send_briefing_task, (handoff_id,)


# --- the handoff note --------------------------------------------------------------------------
def write_note(*, rotation: Rotation, author, body: str, now: datetime | None = None) -> HandoffNote:
    """The note for the handoff that ends the current shift, on the timeline of every open incident
    of the team that `author` may work on (a work note each, through `services.comment_add`), in
    one transaction: all of them or none. Once per person and handoff: the same form sent twice is
    refused by the note's unique row, and writes nothing more."""
    body = clean_text(body)
    if not body:
        raise ValidationError({"body": "Write the note before sending it."})
    services.check_length("body", body, NOTE_LIMIT)
    if not may_brief(author, rotation.team):
        raise PermissionDenied(f"You do not work on the incidents of {rotation.team}.")
    _, handoff_at = current_window(rotation, now)
    local = handoff_at.astimezone(ZoneInfo(rotation.time_zone))
    text = f"Handoff note for the shift ending {local:%a %d %b %H:%M} ({rotation.time_zone}):\n\n{body}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                note = HandoffNote.objects.create(rotation=rotation, handoff_at=handoff_at, author=author, body=body)
        except IntegrityError:
            raise ValidationError({"body": "You have written the handoff note of this shift already; "
                                           "add a work note to an incident for anything more."}) from None
        incidents = [incident for incident in Incident.objects.seen_internally_by(author).open()
                     .filter(team=rotation.team).order_by("pk") if roles.can_work_on(author, incident)]
        for incident in incidents:
            services.comment_add(incident=incident, author=author, body=text, public=False)
        note.incident_count = len(incidents)
        note.save(update_fields=["incident_count"])
    return note


# --- the task that sends (name pinned: queued messages and the relay know it) ---------------------
@shared_task(name="incidents.tasks.send_handoff_briefing", **MAIL_TASK)
def send_briefing_task(handoff_id: int) -> int:
    return send_briefing(handoff_id)
