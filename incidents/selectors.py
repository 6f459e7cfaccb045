"""Reads shared by the portal, the admin, and the API and dashboard to come: each question asked
one way, with one visibility rule (`Incident.objects.visible_to`, twin of `roles.can_view`; the
portal's narrower rule, a reporter's own incidents).

Writes are `services`; these functions only read, and each list runs a fixed number of queries
whatever its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal

from knowledge_base import selectors as kb_selectors
from knowledge_base.matching import KNOWN_ERROR
from knowledge_base.models import Article
from knowledge_base.rendering import render_markdown
from knowledge_base.workflow import State as KnowledgeState

from . import roles
from .models import Attachment, Comment, EventKind, Incident, IncidentEvent, Team
from .workflow import DONE_STATES, OPEN_STATES, State

QUEUE_PAGE_SIZE = 50
CLAIMABLE_STATES = (State.NEW, State.TRIAGED)
SUGGESTIONS = 5
# Search: up to this many matching reporters are written into the query as ids (index-friendly).
REPORTER_IDS_INLINE = 200
# The search uses the first words of a long query only.
SEARCH_MAX_WORDS = 8
SEARCH_MAX_CHARS = 200
# The SLA states a list can be narrowed to (the admin's filter, the API's `sla`).
SLA_FILTERS = {"breached": "Breached", "at_risk": "At risk", "paused": "Clock paused"}


# --- rows that point at incidents ---------------------------------------------------------------
def of_visible_incidents(queryset: QuerySet, user, *, path: str = "incident") -> QuerySet:
    """The rows of `queryset` whose incident (reached through `path`) the user reads in full, as the
    admin lists it (`seen_internally_by`): the one rule for every staff list of rows that point at
    incidents (events, escalations, pages, reminders, reviews), so a confidential incident's summary
    shows in none of them to the wrong people, its own reporter on the staff included."""
    if getattr(user, "is_superuser", False) or roles.is_incident_manager(user):
        return queryset
    return queryset.filter(**{f"{path}__in": Incident.objects.seen_internally_by(user).values("pk")})


# --- the staff's incident lists (admin changelist, API) -----------------------------------------
def visible_incident(user, key: str | int, *, related: Sequence[str] = ()) -> Incident:
    """One incident the user may see, by id or by reference (``INC-000123``, any case), with the
    `related` rows joined; 404 for one that does not exist and for one they may not see alike."""
    return get_object_or_404(Incident.objects.visible_to(user).select_related(*related), **incident_lookup(key))


def incident_lookup(key: str | int) -> dict:
    """The lookup of an incident named by id or by reference (``INC-000123``, any case)."""
    key = str(key).strip()
    # ASCII digits only: "²" is a digit to str.isdigit(), and no id.
    return {"pk": int(key)} if key.isascii() and key.isdigit() else {"reference": key.upper()}


def search_words(term: str) -> list[str]:
    """The words of a search, quoted phrases kept whole. A pasted log must not become a thousand
    ORs (SQLite: "Expression tree is too large"): the first words of a long query only."""
    words = []
    for bit in smart_split(term[:SEARCH_MAX_CHARS]):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            words.append(bit)
    return words[:SEARCH_MAX_WORDS]


def search_incidents(queryset: QuerySet[Incident], term: str) -> QuerySet[Incident]:
    """Incidents of `queryset` matching every word of `term` in their reference, summary,
    description, or their reporter's user name or e-mail, shaped so that PostgreSQL can use its
    indexes.

    Django's admin search joins the reporter for `reporter__username`/`__email` and ORs across both
    tables, which forces a scan of every incident and a DISTINCT. Here the matching reporters are
    looked up first, and each word becomes an OR of conditions on the incident table alone: trigram
    indexes on reference, summary and description (migration 0011) and the reporter index, combined
    in one bitmap scan; no duplicates, so no DISTINCT.
    """
    users = get_user_model().objects
    for word in search_words(term):
        match = Q(reference__icontains=word) | Q(summary__icontains=word) | Q(description__icontains=word)
        people = users.filter(Q(username__icontains=word) | Q(email__icontains=word)).values_list("pk", flat=True)
        reporters = list(people[: REPORTER_IDS_INLINE + 1])
        if len(reporters) > REPORTER_IDS_INLINE:
            match |= Q(reporter__in=people)  # a word most people's address contains: a subquery
        elif reporters:
            match |= Q(reporter_id__in=reporters)
        queryset = queryset.filter(match)
    return queryset


def _clock_running() -> Q:
    return Q(state__in=OPEN_STATES, clock_paused_at__isnull=True)


def response_breached_q(now: datetime) -> Q:
    """The response target breached, as SQL on stored columns: marked by the sweep, or passed a
    moment ago with no response yet, before the sweep marked it."""
    return Q(response_breached=True) | (_clock_running() & Q(responded_at__isnull=True, respond_by__lte=now))


def resolution_breached_q(now: datetime) -> Q:
    """The resolution target breached, the same way."""
    return Q(resolution_breached=True) | (_clock_running() & Q(resolved_at__isnull=True, resolve_by__lte=now))


def sla_breached_q(now: datetime) -> Q:
    """Breached: either target."""
    return response_breached_q(now) | resolution_breached_q(now)


def sla_at_risk_q(now: datetime) -> Q:
    """At risk: the clock runs, the target that matters now is in its last quarter, none breached."""
    return _clock_running() & Q(at_risk_from__lte=now) & ~sla_breached_q(now)


# The admin's SLA filter also narrows breaches to one target (the staff home links to each).
SLA_TARGET_FILTERS = {"response_breached": "Response breached", "resolution_breached": "Resolution breached"}
_SLA_STATUS_Q = {
    "breached": sla_breached_q, "at_risk": sla_at_risk_q, "paused": lambda now: Q(state=State.ON_HOLD),
    "response_breached": response_breached_q, "resolution_breached": resolution_breached_q,
}


def with_sla_status(queryset: QuerySet[Incident], status: str, *, now: datetime | None = None) -> QuerySet[Incident]:
    """The incidents of `queryset` in SLA state `status` (a key of `SLA_FILTERS` or of
    `SLA_TARGET_FILTERS`): breached (either target, or one of them), at risk (in the last quarter
    of the target, not breached yet) or with the clock paused."""
    if status not in _SLA_STATUS_Q:
        return queryset
    return queryset.filter(_SLA_STATUS_Q[status](now or timezone.now()))


# --- the reporter's incidents (portal) -----------------------------------------------------------
def own_incidents(user) -> QuerySet[Incident]:
    """The portal's read rule: the incidents this user reported, and nothing else."""
    return Incident.objects.filter(reporter=user)


def own_incident(user, reference: str) -> Incident:
    """One of the user's own incidents by reference; 404 for anyone else's (it is not theirs to know of)."""
    return get_object_or_404(own_incidents(user).select_related("team", "category", "service"), reference=reference)


def open_for_reporter(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    # For the reporter a resolved incident is still "open": it waits for them to confirm the fix.
    return queryset.exclude(state__in=DONE_STATES)


def reporter_confirmations(user) -> QuerySet[IncidentEvent]:
    """The reporter's "yes, it is fixed" on incidents a close gate (a review) still holds open."""
    return IncidentEvent.objects.filter(transition="confirm", actor=user)


def awaiting_reporter(user) -> QuerySet[Incident]:
    """Every incident of this reporter that waits for their answer: resolved, and not confirmed yet
    (a confirmed one waits for the desk's follow-up, not for them). Oldest resolution first."""
    confirmed = reporter_confirmations(user).filter(incident=OuterRef("pk"))
    return (own_incidents(user).filter(state=State.RESOLVED).exclude(Exists(confirmed))
            .order_by("resolved_at", "pk"))


# --- the reporter's view of the timeline ---------------------------------------------------------
# What each public transition means to the person who reported the incident.
TIMELINE_HEADLINES = {
    "resolve": "Resolved",
    "close": "Closed – confirmed fixed",
    "reopen": "Reopened – still broken",
    "cancel": "Withdrawn",
    "hold": "On hold",
    "resume": "Work resumed",
}

@dataclass
class TimelineEntry:
    """One row of the reporter's view of the timeline: a public reply or a public event."""

    at: datetime
    kind: str
    headline: str
    actor_name: str
    by_reporter: bool
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    # A reply written from a known error: its Markdown rendered and sanitised (`text` is the source).
    html: str = ""


def display_name(user) -> str:
    """How a person is named on the timelines and in the API; no one (the system) is the desk."""
    if user is None:
        return "Service desk"
    return user.get_full_name() or user.get_username()


def public_attachments(incident: Incident) -> QuerySet[Attachment]:
    """Files the reporter may see: public ones, and never one that belongs to a work note."""
    return (
        Attachment.objects.filter(incident=incident, public=True)
        .exclude(comment__public=False)
        .only("pk", "incident_id", "comment_id", "original_name", "size", "content_type", "public", "uploaded_at")
    )


def incident_attachments(incident: Incident, *, internal: bool) -> QuerySet[Attachment]:
    """The incident's files for one reader: every one for staff (work notes' included, as the
    admin shows them), the public ones (`public_attachments`) for the reporter."""
    if internal:
        return Attachment.objects.filter(incident=incident)
    return public_attachments(incident)


def incident_comments(incident: Incident, *, internal: bool) -> QuerySet[Comment]:
    """The incident's comments for one reader: work notes too for staff, public replies only for the reporter."""
    comments = Comment.objects.filter(incident=incident)
    return comments if internal else comments.filter(public=True)


def public_timeline(incident: Incident) -> list[TimelineEntry]:
    """Public replies and public events, oldest first. Work notes and internal events never appear."""
    attachments: dict[int | None, list[Attachment]] = {}
    for attachment in public_attachments(incident):
        attachments.setdefault(attachment.comment_id, []).append(attachment)

    entries: list[TimelineEntry] = []
    comments = Comment.objects.filter(incident=incident, public=True).select_related("author")
    for comment in comments:
        by_reporter = comment.author_id == incident.reporter_id
        entries.append(TimelineEntry(
            at=comment.created_at, kind="comment",
            headline="You wrote" if by_reporter else "Reply from the service desk",
            actor_name=display_name(comment.author), by_reporter=by_reporter, text=comment.body,
            html=render_markdown(comment.body) if comment.markdown else "",
            attachments=attachments.get(comment.pk, []),
        ))
    events = (
        IncidentEvent.objects.filter(incident=incident, public=True)
        .exclude(kind=EventKind.COMMENT)  # replies come from the comments above, with their attachments
        .select_related("actor")
    )
    for event in events:
        by_reporter = event.actor_id == incident.reporter_id
        if event.kind == EventKind.CREATED:
            headline, text = "Reported", ""
        else:
            headline = TIMELINE_HEADLINES.get(event.transition, event.get_kind_display())
            text = event.message
        entries.append(TimelineEntry(
            at=event.created_at, kind=event.kind, headline=headline, actor_name=display_name(event.actor),
            by_reporter=by_reporter, text=text,
        ))
    entries.sort(key=lambda entry: entry.at)
    return entries


# --- the staff's view of the timeline (admin) ------------------------------------------------------
def _state_label(value: str) -> str:
    return State(value).label if value in State.values else value


def staff_timeline(incident: Incident) -> list[IncidentEvent]:
    """Every event of the incident, oldest first, in one query, with state labels for display."""
    events = list(IncidentEvent.objects.filter(incident=incident).select_related("actor").order_by("created_at", "pk"))
    for event in events:
        event.from_label = _state_label(event.from_state)
        event.to_label = _state_label(event.to_state)
    return events


def staff_attachments(incident: Incident) -> dict[int | None, list[Attachment]]:
    """Every file of the incident, by the comment it came with (None: with the incident itself),
    in one query. For staff who may see the incident: work notes' files included."""
    files: dict[int | None, list[Attachment]] = {}
    for attachment in (Attachment.objects.filter(incident=incident)
                       .only("pk", "incident_id", "comment_id", "original_name", "size", "public", "uploaded_at")
                       .order_by("uploaded_at", "pk")):
        files.setdefault(attachment.comment_id, []).append(attachment)
    return files


# --- the runbook to follow ------------------------------------------------------------------------
# What a list selects with its incidents so that `runbook_of` asks the database nothing more.
RUNBOOK_RELATED = ("service__runbook", "category__runbook")


def runbook_of(incident: Incident) -> Article | None:
    """The knowledge-base article the desk follows for this incident: its service's runbook, else its
    category's. Only a published one: an article retired or sent back to draft since it was chosen
    is no guide. Staff pages and the staff API shape show it; a reporter never sees it (runbooks are
    mostly internal articles)."""
    for owner in (incident.service if incident.service_id else None,
                  incident.category if incident.category_id else None):
        runbook = owner.runbook if owner is not None and owner.runbook_id else None
        if runbook is not None and runbook.state == KnowledgeState.PUBLISHED:
            return runbook
    return None


# --- a team's queue -------------------------------------------------------------------------------
def queue_teams(user) -> list[Team]:
    """The queues this user may look into: agents and managers any, resolvers their own teams'."""
    if roles.is_desk_agent(user) or roles.is_incident_manager(user):
        return list(Team.objects.all())
    return list(Team.objects.filter(pk__in=roles.team_ids(user)))


QueueRow = tuple[Incident, bool, Article | None]


def queue(user, team: Team, *, page: str | int | None = None) -> tuple[Page, list[QueueRow]]:
    """A page of the team's unassigned open incidents that the user may see, most urgent first,
    each with whether this user may claim it now and the runbook to follow (`runbook_of`)."""
    rows = (
        Incident.objects.visible_to(user).open()
        .filter(team=team, assignee__isnull=True)
        .select_related("category", "service", *RUNBOOK_RELATED)
        .order_by("priority", "opened_at", "pk")
    )
    shown = Paginator(rows, QUEUE_PAGE_SIZE).get_page(page)
    return shown, [
        (incident, incident.state in CLAIMABLE_STATES and roles.can_work_on(user, incident), runbook_of(incident))
        for incident in shown.object_list
    ]


# --- known errors for an incident (triage) -------------------------------------------------------
def known_error_suggestions(incident: Incident, *, limit: int = SUGGESTIONS) -> list[dict]:
    """The best published known errors for the incident's text, with their workarounds: one search
    and one query for the workarounds, whatever the number of suggestions."""
    found = [s for s in kb_selectors.suggest(f"{incident.summary}\n{incident.description}", limit=limit * 2)
             if s.kind == KNOWN_ERROR][:limit]
    if not found:
        return []
    items = kb_selectors.published_known_errors([s.id for s in found])
    found = [s for s in found if s.id in items]
    best = found[0].score if found else 0.0
    return [
        {"suggestion": s, "known_error": items[s.id], "linked": incident.known_error_id == s.id,
         "rank": rank, "match": match_label(rank, s.score / best if best > 0 else 0.0)}
        for rank, s in enumerate(found, start=1)
    ]


# How a suggestion compares with the best one of the same search. A raw score means nothing to a
# person (bm25 on SQLite gives 0.00 for every match of a small knowledge base) and is not
# comparable between searches or databases; its share of the best score of this search is.
CLOSE_TO_BEST = 0.75
POSSIBLE = 0.4


def match_label(rank: int, share_of_best: float) -> str:
    """"Best match" for the first suggestion; then how close each comes to it."""
    if rank == 1:
        return "Best match"
    if share_of_best >= CLOSE_TO_BEST:
        return "Close to the best"
    if share_of_best >= POSSIBLE:
        return "Possible"
    return "Weak"
