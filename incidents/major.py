"""Major incidents: declaring one (with a reason, its commander and communications lead), standing
it down, and the incidents linked under it, which are resolved with it.

A major incident is an incident row with `is_major`, its roles and the incidents linked under it
(`parent`): one level only, so that "part of INC-..." always names the incident being worked, and
resolving that one settles every report of the same outage. Writes to the incident as the services
make them (`services`: the row lock, one save with the actor and the reason, the timeline event),
called by the admin, the API and the escalation rule alike.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import outbox
from core.errors import WorkflowError
from core.text import single_line

from . import notifications, roles, services
from .models import EventKind, Incident, IncidentEvent
from .workflow import DONE_STATES, OPEN_STATES, State


def _locked(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update(of=("self",)).select_related("parent").get(pk=pk)


def _check_major_role(incident: Incident, person, role: str) -> None:
    """A commander or communications lead is an active staff member who may work on the incident
    (on a confidential one: its team or an incident manager)."""
    if person is None:
        return
    if not (person.is_active and roles.is_staff_role(person) and roles.can_work_on(person, incident)):
        raise WorkflowError(f"{person} cannot be the {role} of {incident.reference}: they may not work on it.")


def declare(*, incident: Incident | int, user, reason: str, commander=None, comms_lead=None) -> Incident:
    """Declare the incident a major incident, as an incident manager (None: the system, for the
    escalation rule that marks major). The reason is required and goes on the internal timeline.

    The commander defaults to the declarer (none when the system declares: a manager names one);
    the communications lead may be named now or later (`name_roles`). Both hear every update,
    as the incident managers do (`comms.stakeholders.audience`). An incident already under
    another major incident, or closed, is refused: it would make a chain, or nothing is left to run.
    """
    reason = single_line(reason or "")
    actor = user or services.system_user()
    with transaction.atomic():
        locked = _locked(incident)
        if not roles.is_incident_manager(actor):
            raise WorkflowError("Only incident managers declare a major incident.")
        if not reason:
            raise WorkflowError(f"Say why {locked.reference} is a major incident: the reason goes on its timeline.")
        if locked.is_major:
            raise WorkflowError(f"{locked.reference} is a major incident already.")
        if locked.state not in OPEN_STATES:
            raise WorkflowError(f"{locked.reference} is {locked.get_state_display().lower()}; "
                                "only an open incident is declared major (reopen it first).")
        if locked.parent_id is not None:
            raise WorkflowError(f"{locked.reference} is handled as part of {locked.parent.reference}; declare that "
                                "one major, or unlink this one from it first.")
        if commander is None and user is not None:
            commander = user
        _check_major_role(locked, commander, "incident commander")
        _check_major_role(locked, comms_lead, "communications lead")
        locked.is_major = True
        locked.commander = commander
        locked.comms_lead = comms_lead
        locked.major_since = timezone.now()
        services.TRANSITIONS.save(locked, user=actor, reason=f"Declared a major incident: {reason}")
        services.record_event(locked, kind=EventKind.MAJOR, actor=actor, public=False, notify=False,
                              message=f"Declared a major incident: {reason} {_roles_sentence(locked)}")
    return locked


def _roles_sentence(incident: Incident) -> str:
    commander = incident.commander or "none yet"
    lead = incident.comms_lead or "none yet"
    return f"Commander: {commander}; communications lead: {lead}."


def name_roles(*, incident: Incident | int, user, commander, comms_lead, reason: str = "") -> Incident:
    """Name (or change) a major incident's commander and communications lead, as an incident manager."""
    with transaction.atomic():
        locked = _locked(incident)
        if not roles.is_incident_manager(user):
            raise WorkflowError("Only incident managers name a major incident's commander and communications lead.")
        if not locked.is_major:
            raise WorkflowError(f"{locked.reference} is not a major incident.")
        _check_major_role(locked, commander, "incident commander")
        _check_major_role(locked, comms_lead, "communications lead")
        chosen = (getattr(commander, "pk", None), getattr(comms_lead, "pk", None))
        if (locked.commander_id, locked.comms_lead_id) == chosen:
            return locked
        locked.commander, locked.comms_lead = commander, comms_lead
        services.TRANSITIONS.save(locked, user=user,
                                  reason=f"Major incident roles: {reason}" if reason else "Major incident roles")
        services.record_event(locked, kind=EventKind.MAJOR, actor=user, public=False, notify=False,
                              message=" ".join(filter(None, [_roles_sentence(locked), single_line(reason or "")])))
    return locked


def stand_down(*, incident: Incident | int, user, reason: str) -> Incident:
    """It is not a major incident after all: the flag and the roles go, with the reason on the
    timeline. Refused while incidents are linked under it (unlink them, or resolve it with them)."""
    reason = single_line(reason or "")
    with transaction.atomic():
        locked = _locked(incident)
        if not roles.is_incident_manager(user):
            raise WorkflowError("Only incident managers stand a major incident down.")
        if not locked.is_major:
            raise WorkflowError(f"{locked.reference} is not a major incident.")
        if not reason:
            raise WorkflowError(f"Say why {locked.reference} is no longer a major incident.")
        linked = list(locked.children.order_by("pk").values_list("reference", flat=True)[:4])
        if linked:
            raise WorkflowError(f"{locked.reference} has incidents linked under it ({', '.join(linked[:3])}"
                                f"{', ...' if len(linked) > 3 else ''}); unlink them before standing it down.")
        locked.is_major = False
        locked.commander = locked.comms_lead = None
        locked.major_since = None
        services.TRANSITIONS.save(locked, user=user, reason=f"Stood down as a major incident: {reason}")
        services.record_event(locked, kind=EventKind.MAJOR, actor=user, public=False, notify=False,
                              message=f"Stood down as a major incident: {reason}")
    return locked


def _link_refusal(parent: Incident, child: Incident, user) -> str | None:
    """Why `child` may not be linked under `parent` by `user`, or None. One level only: a major
    incident has children, a child has none and is no major incident itself, so there is neither
    a chain nor a cycle to walk."""
    if parent.pk == child.pk:
        return f"{child.reference} cannot be part of itself."
    if not parent.is_major:
        return f"{parent.reference} is not a major incident: declare it first."
    if parent.parent_id is not None:
        return f"{parent.reference} is itself part of {parent.parent.reference}: incidents are linked one level deep."
    if parent.state not in OPEN_STATES:
        return (f"{parent.reference} is {parent.get_state_display().lower()}: incidents are linked to a major "
                "incident while it is worked.")
    if child.parent_id is not None:
        return f"{child.reference} is part of {child.parent.reference} already; unlink it there first."
    if child.is_major or child.children.exists():
        return (f"{child.reference} has incidents of its own under it: a major incident is not linked under "
                "another (no chains).")
    if child.state in DONE_STATES:
        return f"{child.reference} is {child.get_state_display().lower()}; there is nothing left to handle with it."
    # Either way round, the parent's page would show the child or the child's reporter would read
    # the parent's summary: a confidential incident is linked with confidential ones only.
    if child.confidential != parent.confidential:
        which = child if child.confidential else parent
        return (f"{which.reference} is confidential and the other is not: linking them would show one's summary "
                "to those who may not read it.")
    if child.security != parent.security:
        which = child if child.security else parent
        return (f"{which.reference} is a security incident and the other is not: a security incident is linked "
                "with security incidents only, which the same people read.")
    if not (roles.can_work_on(user, parent) and roles.can_work_on(user, child)):
        return f"You may not link {child.reference} to {parent.reference}: you must be able to work on both."
    return None


def _tell_reporter(event: IncidentEvent, incident: Incident, user) -> None:
    """The child's reporter gets the public event by e-mail too, unless they did it themselves."""
    email = incident.reporter.email
    if email and incident.reporter_id != getattr(user, "pk", None) and notifications.owe_to(event, [email]):
        outbox.enqueue_on_commit(notifications.notify_event, event.pk)


def link_child(*, parent: Incident | int, child: Incident | int, user) -> Incident:
    """Link `child` under the major incident `parent`: it is handled as part of it, and resolved
    with it. An event on both timelines; the child's is public, and its reporter is told by e-mail
    which incident it is handled with. Linking it again where it is already is a no-op.
    Returns the child."""
    parent_pk = parent.pk if isinstance(parent, Incident) else parent
    child_pk = child.pk if isinstance(child, Incident) else child
    with transaction.atomic():
        # Locked in id order, so that two links between the same pair never wait for each other.
        rows = {row.pk: row for row in Incident.objects.select_for_update(of=("self",))
                .select_related("parent", "reporter").filter(pk__in={parent_pk, child_pk}).order_by("pk")}
        locked_parent, locked_child = rows[parent_pk], rows[child_pk]
        if locked_child.parent_id == parent_pk:
            return locked_child
        refusal = _link_refusal(locked_parent, locked_child, user)
        if refusal:
            raise WorkflowError(refusal)
        locked_child.parent = locked_parent
        services.TRANSITIONS.save(locked_child, user=user,
                                  reason=f"Linked to major incident {locked_parent.reference}")
        services.record_event(locked_parent, kind=EventKind.LINK, actor=user, public=False, notify=False,
                              message=f"Linked {locked_child.reference}: {locked_child.summary}")
        event = services.record_event(
            locked_child, kind=EventKind.LINK, actor=user, public=True, notify=False,
            message=f"This is being handled as part of {locked_parent.reference} ({locked_parent.summary}), "
                    "a major incident: it will be resolved with it, and you will hear when it is.")
        _tell_reporter(event, locked_child, user)
    return locked_child


def unlink_child(*, child: Incident | int, user, reason: str = "") -> Incident:
    """Take `child` out of its major incident: it is followed on its own again. Returns the child."""
    reason = single_line(reason or "")
    with transaction.atomic():
        locked = _locked(child)
        parent = locked.parent
        if parent is None:
            raise WorkflowError(f"{locked.reference} is not part of a major incident.")
        if not (roles.can_work_on(user, parent) and roles.can_work_on(user, locked)):
            raise WorkflowError(f"You may not unlink {locked.reference} from {parent.reference}: "
                                "you must be able to work on both.")
        locked.parent = None
        unlinked = f"Unlinked from {parent.reference}"
        services.TRANSITIONS.save(locked, user=user, reason=f"{unlinked}: {reason}" if reason else unlinked)
        services.record_event(parent, kind=EventKind.LINK, actor=user, public=False, notify=False,
                              message=" ".join(filter(None, [f"Unlinked {locked.reference}.", reason])))
        services.record_event(locked, kind=EventKind.LINK, actor=user, public=True, notify=False,
                              message=f"No longer handled as part of {parent.reference}: "
                                      "it is followed on its own again.")
    return locked


def resolve_children(parent: Incident, user) -> None:
    """The major incident was resolved: so is every open incident under it, in the same
    transaction, each through the transition runner (its own history row, "Resolved with INC-...",
    and a public timeline entry with the parent's resolution notes, e-mailed to its reporter).
    Called, in the resolve's transaction, by `on_incident_transitioned` (connected in
    `IncidentsConfig.ready`), so every surface that resolves does this.

    A child on hold is resumed first, a new or triaged one started (with its assignee, else the
    parent's, else the commander), as the system would if a person did it by hand. One that still
    cannot be resolved (no team, nobody who may work on it) is left open, each in a savepoint of
    its own, and named on the parent's timeline with the reason, for someone to finish.

    Reopening the parent leaves the children as they are: each one's reporter was told it is
    fixed, and says so on their own incident (reopen) if it is not; a closed one stays closed.
    """
    children = list(Incident.objects.filter(parent_id=parent.pk, state__in=OPEN_STATES)
                    .order_by("pk").values_list("pk", "reference"))
    if not children:
        return
    done, left = [], []
    for pk, reference in children:
        try:
            with transaction.atomic():
                _resolve_child(parent, pk, user)
        except WorkflowError as refusal:
            left.append(f"{reference} ({refusal.message})")
        else:
            done.append(reference)
    message = f"Resolved with it: {', '.join(done)}." if done else ""
    if left:
        message += f" Left open: {'; '.join(left)}"
    services.record_event(parent, kind=EventKind.LINK, actor=user, public=False, notify=False,
                          message=message.strip())


def _resolve_child(parent: Incident, pk: int, user) -> None:
    child = Incident.objects.select_related("assignee").get(pk=pk)
    # The one who resolved the parent, where they may work on the child; else the system does it.
    actor = user if roles.can_work_on(user, child) else services.system_user()
    reason = f"Resolved with {parent.reference}"
    if child.state == State.ON_HOLD:
        child = services.transition(incident=child, user=actor, name="resume", reason=reason)
    if child.state in (State.NEW, State.TRIAGED):
        candidates = [child.assignee, parent.assignee, parent.commander]
        assignee = next((p for p in candidates if p is not None and roles.can_work_on(p, child)), None)
        child = services.transition(incident=child, user=actor, name="start", reason=reason,
                                    **({"assignee": assignee} if assignee is not None else {}))
    services.transition(incident=child, user=actor, name="resolve", reason=reason,
                        resolution_code=parent.resolution_code, resolution_notes=parent.resolution_notes)


def on_incident_transitioned(sender, incident: Incident, event, user, **kwargs) -> None:
    """`incident_transitioned` receiver: a major incident resolved resolves its children."""
    if event.transition == "resolve" and incident.is_major:
        resolve_children(incident, user)
