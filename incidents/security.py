"""Security incidents: flagging one, naming the people who see it, and telling whoever logged one
where it went.

A security incident (`Incident.security`: its category says so, or an incident manager flagged it)
is read by the security team, incident managers, its named participants and its reporter only
(`visibility.READ`). Each change here locks the incident, saves once (history with the reason) and
writes one `EventKind.SECURITY` event, like every service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from core.errors import WorkflowError
from core.text import single_line

from . import roles, services, visibility
from .models import EventKind, Incident, IncidentEvent, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

REASON_LIMIT = 1000


def security_team() -> Team | None:
    """The team a flagged incident goes to when its own is not a security team: the first tier."""
    return Team.objects.filter(security=True).order_by("tier", "pk").first()


def _lock(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    return Incident.objects.select_for_update(of=("self",)).select_related("team").get(pk=pk)


def flag_security(*, incident: Incident | int, by: AbstractBaseUser, reason: str) -> Incident:
    """An incident manager marks the incident as a security incident: it turns confidential and
    security, goes to a security team if its own is not one, and loses an assignee who may no
    longer work on it. Returns the saved row."""
    reason = single_line(reason or "")[:REASON_LIMIT]
    if not roles.is_incident_manager(by):
        raise WorkflowError("Only an incident manager flags an incident as a security incident; "
                            "ask one, or the security team.")
    if not reason:
        raise WorkflowError("Say why this is a security incident: the reason goes on its timeline.")
    with transaction.atomic():
        locked = _lock(incident)
        if locked.security:
            raise WorkflowError(f"{locked.reference} is already a security incident.")
        locked.security = True
        locked.confidential = True
        said = [f"Flagged as a security incident: {reason}"]
        if locked.team is None or not locked.team.security:
            team = security_team()
            if team is None:
                said.append("No team is marked as a security team, so it stays with "
                            f"{locked.team or 'no team'}; only incident managers and participants see it.")
            else:
                locked.team = team
                said.append(f"Routed to {team}.")
        if locked.assignee_id is not None and not roles.can_work_on(locked.assignee, locked):
            said.append(f"{locked.assignee} no longer works on it: unassigned.")
            locked.assignee = None
        services.TRANSITIONS.save(locked, user=by, reason=f"Flagged as a security incident: {reason}")
        services.record_event(locked, kind=EventKind.SECURITY, actor=by, notify=False, message=" ".join(said))
    return locked


def _check_may_name(incident: Incident, by: AbstractBaseUser) -> None:
    if roles.is_incident_manager(by):
        return
    if roles.is_security_member(by) and roles.can_work_on(by, incident):
        return
    raise WorkflowError(f"Only incident managers and the security team name the people who see {incident.reference}.")


def name_participant(*, incident: Incident | int, person: AbstractBaseUser, by: AbstractBaseUser,
                     reason: str = "") -> IncidentEvent:
    """Name `person` on the incident: they see it (and read its whole record if they hold a staff
    role), although neither its team nor a manager."""
    reason = single_line(reason or "")[:REASON_LIMIT]
    with transaction.atomic():
        locked = _lock(incident)
        _check_may_name(locked, by)
        if not person.is_active:
            raise WorkflowError(f"{person} cannot sign in (the account is inactive): name someone who can.")
        if locked.participants.filter(pk=person.pk).exists():
            raise WorkflowError(f"{person} is already named on {locked.reference}.")
        locked.participants.add(person)
        message = f"Named {person} as a participant" + (f": {reason}" if reason else ".")
        event = services.record_event(locked, kind=EventKind.SECURITY, actor=by, notify=False, message=message)
    _forget_participants(incident)
    return event


def remove_participant(*, incident: Incident | int, person: AbstractBaseUser, by: AbstractBaseUser,
                       reason: str = "") -> IncidentEvent:
    """Take `person` off the incident's named participants: they no longer see it through the name."""
    reason = single_line(reason or "")[:REASON_LIMIT]
    with transaction.atomic():
        locked = _lock(incident)
        _check_may_name(locked, by)
        if not locked.participants.filter(pk=person.pk).exists():
            raise WorkflowError(f"{person} is not named on {locked.reference}.")
        locked.participants.remove(person)
        message = f"Removed {person} from the participants" + (f": {reason}" if reason else ".")
        event = services.record_event(locked, kind=EventKind.SECURITY, actor=by, notify=False, message=message)
    _forget_participants(incident)
    return event


def _forget_participants(incident: Incident | int) -> None:
    if isinstance(incident, Incident):
        incident.__dict__.pop("_itsm_participant_ids", None)
        getattr(incident, "_prefetched_objects_cache", {}).pop("participants", None)


def record_if_classified_security(incident: Incident, user) -> IncidentEvent | None:
    """A classification (triage, or an edit of the category) that made the incident a security
    incident (`Incident.apply_classification`) says so on the timeline, in its transaction."""
    if not getattr(incident, "became_security", False):
        return None
    incident.became_security = False
    return services.record_event(incident, kind=EventKind.SECURITY, actor=user, notify=False,
                                 message=f"A security incident: its category, {incident.category}, is a security one.")


def on_incident_transitioned(sender, incident: Incident, event: IncidentEvent, user, **kwargs) -> None:
    if event.transition == "triage":
        record_if_classified_security(incident, user)


# --- telling whoever logged one where it went ---------------------------------------------------
def logged_by(user: AbstractBaseUser, incident: Incident) -> bool:
    """Whether `user` logged the incident (the actor of its CREATED event)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return incident.events.filter(kind=EventKind.CREATED, actor_id=user.pk).exists()


def moved_away_from(user: AbstractBaseUser, incident: Incident) -> bool:
    """A security incident that `user` logged but may no longer open: they are told it moved to the
    security team rather than that it does not exist. Nobody else learns that it exists."""
    return incident.security and not visibility.READ.allows(user, incident) and logged_by(user, incident)


def moved_sentence(incident: Incident) -> str:
    return (f"{incident.reference} is a security incident: it moved to the security team, who have it now, "
            "and you can no longer open it. The reporter got the acknowledgement.")


def moved_to_security(user: AbstractBaseUser, **lookup) -> Incident | None:
    """The incident `lookup` names, when `user` logged it and it moved to the security team out of
    their sight (`moved_away_from`); None otherwise (it does not exist for them)."""
    incident = Incident.objects.filter(security=True, **lookup).first()
    if incident is None or not moved_away_from(user, incident):
        return None
    return incident
