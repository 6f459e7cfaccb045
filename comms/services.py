"""Posting an update, and adding or removing stakeholders: every write of communications.

An update is one transaction: the `Update` row, an `UpdateMessage` row for every recipient of the
audiences chosen (`stakeholders.audience`), the timeline entry that restarts the P1/P2 update
cadence (`incidents.services.stakeholder_update`); the messages are sent after commit, once each
(`delivery`), and queued again by the relay if their task was lost.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core import outbox
from core.text import clean_text, mail_subject
from incidents import mail_ids, roles, visibility
from incidents import services as incidents
from incidents.models import Incident, Team
from incidents.notifications import drill_marked

from . import stakeholders
from .delivery import send_update_task
from .models import Audience, Stakeholder, Template, Update, UpdateMessage

TEXT_LIMIT = 20_000


def may_post(user, incident: Incident) -> bool:
    """Who speaks for an incident: those who may work on it (its team, the desk, incident managers)."""
    return roles.can_work_on(user, incident)


def _check_poster(user, incident: Incident) -> None:
    if not may_post(user, incident):
        raise PermissionDenied(f"Only those who work on {incident.reference} post its updates.")


def post_update(*, incident: Incident, author, body: str, subject: str = "", to_internal: bool = False,
                to_external: bool = False, to_status_page: bool = False, template: Template | None = None,
                to_customers: bool = False) -> Update:
    """Send an update to the audiences chosen (`to_customers`: the affected customers of a security
    incident, and only them). ValidationError (by field) for what is missing, PermissionDenied for
    someone who does not work on the incident."""
    _check_poster(author, incident)
    body = clean_text(body)
    errors = {}
    if not body:
        errors["body"] = "Write the update before sending it."
    elif len(body) > TEXT_LIMIT:
        errors["body"] = f"An update has at most {TEXT_LIMIT:,} characters (this one has {len(body):,})."
    if not (to_internal or to_external or to_status_page or to_customers):
        errors["to_internal"] = "Choose who hears it: the internal audience, the external one, the status page."
    if to_status_page and (incident.confidential or incident.security):
        errors["to_status_page"] = f"{incident.reference} is confidential: it is never on the status page."
    if incident.exercise:
        # A drill is rehearsed inside: the public and external stakeholders never hear of it.
        if to_status_page:
            errors["to_status_page"] = f"{incident.reference} is a drill: it is never on the status page."
        if to_external:
            errors["to_external"] = f"{incident.reference} is a drill: only the internal audience hears its updates."
    if to_customers and not stakeholders.customers(incident):
        errors["to_customers"] = f"{incident.reference} has no affected customers listed."
    if errors:
        raise ValidationError(errors)
    subject = mail_subject(subject) or f"Update: {incident.summary}"
    if mail_ids.reference_in_subject(subject) != incident.reference:
        subject = mail_subject(f"[{incident.reference}] {subject}")
    subject = mail_subject(drill_marked(incident, subject))
    audiences = {Audience.INTERNAL} if to_internal else set()
    if to_external:
        audiences.add(Audience.EXTERNAL)
    with transaction.atomic():
        locked = (Incident.objects.select_for_update(of=("self",)).select_related("reporter", "service")
                  .get(pk=incident.pk))
        update = Update.objects.create(incident=locked, posted_by=author, template=template, subject=subject,
                                       body=body, to_internal=to_internal, to_external=to_external,
                                       to_status_page=to_status_page)
        UpdateMessage.objects.bulk_create([
            UpdateMessage(update=update, recipient=recipient.address, audience=recipient.audience)
            for recipient in stakeholders.audience(locked) if recipient.audience in audiences
        ], ignore_conflicts=True)
        if to_customers:
            UpdateMessage.objects.bulk_create([
                UpdateMessage(update=update, recipient=recipient.address, audience=recipient.audience)
                for recipient in stakeholders.customers(locked)
            ], ignore_conflicts=True)
        incidents.stakeholder_update(incident=locked, author=author, public=to_external or to_status_page,
                                     message=body[:300])
        outbox.enqueue_on_commit(send_update_task, update.pk)
    return update


def add_stakeholder(*, incident: Incident, by, audience: str, user=None, team: Team | None = None,
                    email: str = "") -> Stakeholder:
    """Subscribe someone to the incident's updates (exactly one of user, team, address)."""
    _check_poster(by, incident)
    email = (email or "").strip().lower()
    given = [value for value in (user, team, email) if value]
    if len(given) != 1:
        raise ValidationError("Choose one: a person, a team or an e-mail address.")
    if audience not in Audience.values:
        raise ValidationError({"audience": "Internal or external."})
    if incident.exercise and audience == Audience.EXTERNAL:
        raise ValidationError({"audience": f"{incident.reference} is a drill: it has no external audience."})
    if (incident.confidential or incident.security) and audience == Audience.INTERNAL:
        if user is not None and not roles.sees_internal(user, incident):
            raise ValidationError({"user": f"{user} may not read {incident.reference}, which is confidential; "
                                           "add them as external to send them what its reporter reads."})
        if team is not None and not visibility.team_may_hear(incident, team):
            raise ValidationError({"team": f"{incident.reference} is confidential: only its own team hears its "
                                           "internal updates." if not incident.security else
                                           f"{incident.reference} is a security incident: only a security team "
                                           "hears its internal updates."})
        if email:
            raise ValidationError({"email": "An address outside the staff can only hear the external updates."})
    try:
        with transaction.atomic():
            return Stakeholder.objects.create(incident=incident, user=user, team=team, email=email,
                                              audience=audience, added_by=by)
    except IntegrityError:
        raise ValidationError(f"{user or team or email} already hears {incident.reference}'s updates.") from None


def remove_stakeholder(*, stakeholder: Stakeholder, by) -> None:
    _check_poster(by, stakeholder.incident)
    stakeholder.delete()


# --- following an incident from the status page ("me too") ---------------------------------------
def followable(incident: Incident) -> bool:
    """What the status page shows and a portal user may follow: an ongoing, public major incident."""
    from incidents.workflow import OPEN_STATES

    return incident.is_major and not incident.confidential and not incident.exercise and incident.state in OPEN_STATES


def follow(*, incident: Incident, user) -> Stakeholder | None:
    """A portal user affected too: they hear its external updates and count among the affected.
    Anyone signed in may, unlike `add_stakeholder`: it is on the public status page. None when they
    hear it already (its reporter, or following it)."""
    if not followable(incident):
        raise ValidationError(f"{incident.reference} is not an ongoing incident of the status page.")
    if incident.reporter_id == user.pk:
        return None
    try:
        with transaction.atomic():
            return Stakeholder.objects.create(incident=incident, user=user, audience=Audience.EXTERNAL, added_by=user)
    except IntegrityError:
        return None  # already a stakeholder, added by someone or by themselves


def unfollow(*, incident: Incident, user) -> bool:
    """Stop following: only what they added themselves (a stakeholder added by the desk stays)."""
    # QuerySet.delete() sends post_delete for each row: the status page's count hears it.
    deleted, _ = Stakeholder.objects.filter(incident=incident, user=user, added_by=user,
                                            audience=Audience.EXTERNAL).delete()
    return bool(deleted)
