"""The SOP's steps, each decided from an incident's own record: one small function per step.

Every rule reads a `facts.Facts` (the incident's history rows, timeline events, SLA escalation rows,
its post-incident review) and returns an `Item`: met, missed or not applicable, with the evidence,
naming the event or history row that proves it, or saying what is missing. Nothing here queries the
database: `facts.load` read everything a batch needs beforehand. docs/conformance.md says each rule
in words; compliance/tests/test_conformance_rules.py has a test per rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from incidents.models import EventKind, ResolutionCode, TriageDecision
from incidents.sla import clock
from incidents.workflow import OPEN_STATES, State
from reviews.services import REVIEW_PRIORITIES
from reviews.workflow import ReviewState

from .checklist import MET, MISSED, NA, Item
from .facts import Facts

# P1 and P2 owe stakeholder updates at their SLA policy's cadence.
CADENCE_PRIORITIES = (1, 2)
# What counts as escalating an incident: a rule's notice or page, a major-incident declaration, or
# routing it up to another team by hand.
ESCALATING_KINDS = (EventKind.ESCALATION, EventKind.PAGE, EventKind.MAJOR)
WORKED_STATES = (State.TRIAGED, State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED, State.CLOSED)


def when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M") if moment else "-"


def event_ref(event) -> str:
    return f"event #{event.pk}" if event is not None else "no event"


# --- reading the record -----------------------------------------------------------------------------
def triage_index(f: Facts) -> int | None:
    """The history row at which work on the incident began (triage, or a claim straight from new)."""
    return next((i for i, row in enumerate(f.history) if row.state in WORKED_STATES), None)


def triage_event(f: Facts):
    return next((e for e in f.events if e.kind == EventKind.TRANSITION and e.from_state == State.NEW
                 and e.to_state != State.CANCELLED), None)


def entering(f: Facts, state: str) -> list[int]:
    """Indexes of the history rows at which the incident entered `state` (each resolve, each close)."""
    return [i for i, row in enumerate(f.history)
            if row.state == state and (i == 0 or f.history[i - 1].state != state)]


def last_resolve(f: Facts) -> tuple[object | None, object | None]:
    """(history row, event) of the latest resolve, or (None, None)."""
    rows = entering(f, State.RESOLVED)
    events = f.transitions("resolve")
    return (f.history[rows[-1]] if rows else None), (events[-1] if events else None)


def was_resolved(f: Facts) -> bool:
    return bool(entering(f, State.RESOLVED)) or f.incident.state in (State.RESOLVED, State.CLOSED)


def category_name(f: Facts, category_id: int | None) -> str:
    return f.categories.get(category_id) or f"category #{category_id}"


# Each step's key (its rule's name) and what the checklist calls it.
LABELS: dict[str, str] = {
    "logged": "Logged with a description, affected service and timestamps",
    "categorised": "Categorised",
    "prioritised": "Prioritised from impact × urgency",
    "known_error_consulted": "Known errors consulted (triage decision)",
    "escalated": "Escalated when the SLA required it",
    "stakeholders_updated": "Stakeholders updated at the cadence (P1/P2)",
    "fix_recorded": "Workaround or fix recorded",
    "restoration_verified": "Restoration verified",
    "closure_confirmed": "User confirmation or grace period before closure",
    "review_done": "Post-incident review done where required",
    "knowledge_base_updated": "Knowledge base updated where the review proposed it",
    "action_items_owned": "Action items assigned with owners",
}


def _item(key: str) -> Callable[..., Item]:
    def make(status: str, evidence: str, event=None) -> Item:
        return Item(key=key, label=LABELS[key], status=status, evidence=evidence,
                    event_id=getattr(event, "pk", event) if event is not None else None)
    return make


# --- the steps --------------------------------------------------------------------------------------
def logged(f: Facts) -> Item:
    """Logged with a description, an affected service (by triage at the latest) and timestamps."""
    item = _item("logged")
    created = f.history[0] if f.history and f.history[0].history_type == "+" else None
    event = next(iter(f.of_kind(EventKind.CREATED)), None)
    if created is None:
        return item(MISSED, "No history row records the logging of this incident.", event)
    if not (created.description or "").strip():
        return item(MISSED, f"Logged on {when(created.opened_at)} without a description "
                            f"(history row #{created.history_id}).", event)
    start = triage_index(f)
    upto = f.history[: start + 1] if start is not None else f.history
    with_service = next((row for row in upto if row.service_id), None)
    if with_service is None:
        if start is None and f.incident.state == State.NEW:
            return item(NA, "Awaiting triage: the affected service is set by triage at the latest.", event)
        later = next((row for row in f.history if row.service_id), None)
        where = f" (set only later, history row #{later.history_id})" if later else ""
        return item(MISSED, f"No affected service was recorded by triage{where}.", event)
    return item(MET, f"Logged on {when(created.opened_at)} with a description and an affected service "
                     f"({event_ref(event)}, history row #{with_service.history_id}).", event)


def categorised(f: Facts) -> Item:
    item = _item("categorised")
    start = triage_index(f)
    if start is None:
        return item(NA, "Not triaged yet." if f.incident.is_open else "Withdrawn before triage.")
    row, event = f.history[start], triage_event(f)
    if row.category_id:
        return item(MET, f"Categorised as {category_name(f, row.category_id)} when work began ({event_ref(event)}, "
                         f"history row #{row.history_id}).", event)
    return item(MISSED, f"Work began without a category ({event_ref(event)}, history row #{row.history_id}).", event)


def prioritised(f: Facts) -> Item:
    """Priority from impact × urgency through the matrix as it stood then, at triage and at every
    re-prioritisation since."""
    item = _item("prioritised")
    start = triage_index(f)
    if start is None:
        return item(NA, "Not triaged yet." if f.incident.is_open else "Withdrawn before triage.")
    event = triage_event(f)
    changes = 0
    for i in range(start, len(f.history)):
        row = f.history[i]
        before = f.history[i - 1] if i else None
        if i != start and before is not None and (row.impact, row.urgency, row.priority) == (
                before.impact, before.urgency, before.priority):
            continue
        changes += i != start
        expected = f.matrix.priority(row.impact, row.urgency, row.history_date)
        if row.priority != expected:
            return item(MISSED, f"History row #{row.history_id} ({when(row.history_date)}): P{row.priority} for "
                                f"{row.impact} impact × {row.urgency} urgency, where the matrix gave P{expected}.",
                        event)
    row = f.history[start]
    again = f"; re-prioritised {changes} time{'s' if changes != 1 else ''}, each from the matrix" if changes else ""
    return item(MET, f"P{row.priority} from {row.impact} impact × {row.urgency} urgency when work began "
                     f"({event_ref(event)}){again}.", event)


def known_error_consulted(f: Facts) -> Item:
    """The triage decision (a known error applied, or a new issue) taken before the resolve."""
    item = _item("known_error_consulted")
    if triage_index(f) is None:
        return item(NA, "Not triaged yet." if f.incident.is_open else "Withdrawn before triage.")
    decided = next((i for i, row in enumerate(f.history) if row.triage_decision), None)
    resolves = entering(f, State.RESOLVED)
    if decided is None:
        if not resolves:
            return item(NA, "No triage decision yet: due before the resolve.")
        _, resolve = last_resolve(f)
        return item(MISSED, f"Resolved ({event_ref(resolve)}) with no triage decision: the known errors were "
                            "not consulted.", resolve)
    row = f.history[decided]
    event = next((e for e in f.events if e.kind in (EventKind.KNOWN_ERROR_LINKED, EventKind.CLASSIFICATION)
                  and e.created_at >= row.history_date), None)
    if resolves and decided > resolves[0]:
        return item(MISSED, f"The triage decision came only after the resolve (history row #{row.history_id}).",
                    event)
    what = (f"known error KE-{row.known_error_id} applied" if row.triage_decision == TriageDecision.KNOWN_ERROR
            else "a new issue, no known error matches")
    return item(MET, f"Triage decision: {what} ({event_ref(event)}, history row #{row.history_id}).", event)


def _breach_times(f: Facts) -> list[tuple[datetime, object | None, str]]:
    """(when, event, which) of every SLA target breached, from the clock's rows and events; a target
    met late (which no sweep saw pass) counts at its deadline."""
    found = [(e.created_at, e, "SLA") for e in f.of_kind(EventKind.SLA_BREACH)]
    if not found:
        found = [(row.fired_at, None, row.key.split(":")[0].removeprefix("breach-"))
                 for row in f.escalations if row.key.startswith("breach-")]
    incident = f.incident
    if not found and incident.response_breached and incident.respond_by:
        found.append((incident.respond_by, None, "response"))
    if not found and incident.resolution_breached and incident.resolve_by:
        found.append((incident.resolve_by, None, "resolution"))
    return sorted(found, key=lambda x: x[0])


def escalated(f: Facts) -> Item:
    """Escalated when the SLA required it: a breached target had an escalation at or before it."""
    item = _item("escalated")
    breaches = _breach_times(f)
    if not breaches:
        return item(NA, "No SLA target was breached: nothing required an escalation.")
    at, breach, which = breaches[0]
    escalations = [e for e in f.events
                   if e.kind in ESCALATING_KINDS or (e.kind == EventKind.TRANSITION and e.transition == "route")]
    before = [e for e in escalations if e.created_at <= at]
    if before:
        first = before[0]
        return item(MET, f"Escalated on {when(first.created_at)}: {first.message[:120] or first.headline} "
                         f"({event_ref(first)}), by the {which} breach on {when(at)}.", first)
    later = f" It was escalated only on {when(escalations[0].created_at)} ({event_ref(escalations[0])})." \
        if escalations else ""
    where = f" ({event_ref(breach)})" if breach is not None else ""
    return item(MISSED, f"The {which} target was breached on {when(at)}{where} with no escalation before it.{later}",
                breach)


def _updates(f: Facts, start: datetime, end: datetime) -> list:
    """Stakeholder updates (comms' posts) and the desk's public replies, which the clock counts too."""
    reporter = f.incident.reporter_id
    return [e for e in f.events if start <= e.created_at <= end and (
        e.kind == EventKind.UPDATE or (e.kind == EventKind.COMMENT and e.public and e.actor_id != reporter))]


def stakeholders_updated(f: Facts) -> Item:
    """P1/P2: no gap between stakeholder updates longer than the SLA policy's update cadence, from
    the moment the incident was P1/P2 until it was resolved (or now)."""
    item = _item("stakeholders_updated")
    start_at = next((i for i, row in enumerate(f.history)
                     if row.priority in CADENCE_PRIORITIES and row.state in OPEN_STATES), None)
    if start_at is None:
        return item(NA, f"P{f.incident.priority} while open: the update cadence applies to P1 and P2 only.")
    first = f.history[start_at]
    policy = f.config.policies.get(first.priority)
    minutes = policy.update_minutes if policy is not None else None
    if not minutes:
        return item(NA, f"No stakeholder update cadence is set for P{first.priority} (SLA policy).")
    start = first.history_date
    stop = next((row for row in f.history[start_at + 1:] if row.state not in OPEN_STATES), None)
    end = stop.history_date if stop is not None else f.now
    updates = _updates(f, start, end)
    points = [(start, None), *((e.created_at, e) for e in updates), (end, "end")]
    worst = max(((b[0] - a[0], a, b) for a, b in zip(points, points[1:], strict=False)), key=lambda x: x[0])
    gap, (since, after), (until, _) = worst
    if gap.total_seconds() > minutes * 60:
        since_what = f"the last one ({event_ref(after)})" if after is not None else "it became P1/P2"
        till = "now" if stop is None and until == end else when(until)
        return item(MISSED, f"No stakeholder update from {when(since)} to {till} "
                            f"({int(gap.total_seconds() // 60)} min since {since_what}; P{first.priority} is due one "
                            f"every {minutes} min).", after)
    if not updates:
        return item(NA, f"Resolved within one update period ({minutes} min): no update was due yet.")
    return item(MET, f"{len(updates)} update{'s' if len(updates) != 1 else ''}, never more than {minutes} min apart "
                     f"(last: {event_ref(updates[-1])}).", updates[-1])


def fix_recorded(f: Facts) -> Item:
    item = _item("fix_recorded")
    row, event = last_resolve(f)
    if row is None:
        return item(NA, "Not resolved yet.")
    text = (row.resolution_notes or "").strip() or (row.workaround or "").strip()
    if row.resolution_code and text:
        label = ResolutionCode(row.resolution_code).label if row.resolution_code in ResolutionCode.values \
            else row.resolution_code
        workaround = " with a workaround" if (row.workaround or "").strip() else ""
        return item(MET, f"{label}{workaround}: “{text[:100]}” ({event_ref(event)}, history row #{row.history_id}).",
                    event)
    return item(MISSED, f"Resolved ({event_ref(event)}) without a resolution code and notes.", event)


def restoration_verified(f: Facts) -> Item:
    """The resolver recorded how the fix was tested (in production or staging) on the resolve."""
    item = _item("restoration_verified")
    row, event = last_resolve(f)
    if row is None:
        return item(NA, "Not resolved yet.")
    verification = (row.verification or "").strip()
    if verification:
        return item(MET, f"Verified: “{verification[:120]}” ({event_ref(event)}, history row #{row.history_id}).",
                    event)
    return item(MISSED, f"Resolved ({event_ref(event)}, history row #{row.history_id}) without recording how "
                        "restoration was verified.", event)


def closure_confirmed(f: Facts) -> Item:
    """Closed after the reporter confirmed the fix, or once the grace period after the resolve was
    over without a reopen."""
    item = _item("closure_confirmed")
    closes = f.transitions("close")
    if f.incident.state != State.CLOSED or not closes:
        return item(NA, "Not closed yet." if f.incident.state != State.CANCELLED else "Withdrawn, not closed.")
    close = closes[-1]
    resolves = [e for e in f.transitions("resolve") if e.created_at <= close.created_at]
    row, _ = last_resolve(f)
    # The grace period runs from the resolve's own timestamp, as the auto-close computes it.
    since = (row.resolved_at if row is not None and row.resolved_at else None) or (
        resolves[-1].created_at if resolves else f.incident.resolved_at)
    confirm = next((e for e in f.transitions("confirm") if since is None or e.created_at >= since), None)
    if confirm is not None:
        return item(MET, f"The reporter confirmed the fix on {when(confirm.created_at)} ({event_ref(confirm)}).",
                    confirm)
    if close.actor_id == f.incident.reporter_id:
        return item(MET, f"The reporter confirmed the fix and closed it ({event_ref(close)}).", close)
    if since is None:
        return item(MISSED, f"Closed ({event_ref(close)}) with no resolve on record.", close)
    grace = clock.auto_close_time(since, f.config.default_calendar())
    if close.created_at >= grace:
        return item(MET, f"Closed on {when(close.created_at)} after the grace period ended ({when(grace)}) "
                         f"without a reopen ({event_ref(close)}).", close)
    return item(MISSED, f"Closed on {when(close.created_at)} ({event_ref(close)}), before the grace period ended "
                        f"({when(grace)}) and without the reporter's confirmation.", close)


def _review_row(f: Facts, test: Callable) -> object | None:
    return next((row for row in f.review_history if test(row)), None)


def review_done(f: Facts) -> Item:
    """A post-incident review published where the policy requires one (P1/P2 at the resolve, or
    required by the review policy, e.g. recurring): due by closure."""
    item = _item("review_done")
    row, _ = last_resolve(f)
    if row is None and not was_resolved(f):
        return item(NA, "Not resolved yet: whether a review is required is decided on resolve.")
    review = f.review
    priority = row.priority if row is not None else f.incident.priority
    required = review.required if review is not None else priority in REVIEW_PRIORITIES
    if not required:
        return item(NA, f"P{priority} and not recurring: the policy requires no review.")
    if review is not None and review.state == ReviewState.PUBLISHED:
        published = _review_row(f, lambda r: r.state == ReviewState.PUBLISHED)
        where = f" (review history row #{published.history_id})" if published else ""
        return item(MET, f"{review.reference} published on {when(review.published_at)}{where}.")
    if f.incident.state != State.CLOSED:
        what = f"{review.reference} is {review.get_state_display().lower()}" if review else "No review yet"
        return item(NA, f"{what}: due by closure.")
    if review is None:
        return item(MISSED, f"Closed with no post-incident review, which P{priority} requires.")
    return item(MISSED, f"Closed while {review.reference} was still {review.get_state_display().lower()}.")


def knowledge_base_updated(f: Facts) -> Item:
    """Where the review proposed a known error, it landed in the knowledge base (as a draft at least)."""
    item = _item("knowledge_base_updated")
    review = f.review
    if review is None:
        return item(NA, "No post-incident review.")
    proposed = bool((review.proposed_known_error_title or "").strip())
    if review.known_error_id:
        row = _review_row(f, lambda r: r.known_error_id == review.known_error_id)
        where = f" (review history row #{row.history_id})" if row else ""
        return item(MET, f"{review.reference} proposed KE-{review.known_error_id}, created in the knowledge base on "
                         f"{when(review.known_error_proposed_at)}{where}.")
    if proposed:
        return item(MISSED, f"{review.reference} proposes the known error “{review.proposed_known_error_title}” but "
                            "no known error was created in the knowledge base.")
    return item(NA, f"{review.reference} proposed no known error.")


def action_items_owned(f: Facts) -> Item:
    item = _item("action_items_owned")
    review = f.review
    if review is None:
        return item(NA, "No post-incident review.")
    actions = list(review.action_items.all())
    if actions:
        unowned = [a for a in actions if a.owner_id is None or a.due_date is None]
        if unowned:
            return item(MISSED, f"{len(unowned)} of {len(actions)} action items of {review.reference} have no owner "
                                "or due date.")
        owners = sorted({str(a.owner) for a in actions})
        return item(MET, f"{len(actions)} action item{'s' if len(actions) != 1 else ''} on {review.reference}, "
                         f"owned by {', '.join(owners)}, each with a due date.")
    if (review.no_action_reason or "").strip():
        return item(MET, f"{review.reference} needs no action: “{review.no_action_reason.strip()[:120]}”.")
    if review.state == ReviewState.PUBLISHED or f.incident.state == State.CLOSED:
        return item(MISSED, f"{review.reference} has no action item and no reason why none is needed.")
    return item(NA, f"{review.reference} is {review.get_state_display().lower()}: no action items yet.")


# The checklist, in the order of the SOP.
RULES: list[Callable[[Facts], Item]] = [
    logged, categorised, prioritised, known_error_consulted, escalated, stakeholders_updated,
    fix_recorded, restoration_verified, closure_confirmed, review_done, knowledge_base_updated,
    action_items_owned,
]
