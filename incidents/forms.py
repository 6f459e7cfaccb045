"""Forms for working an incident from the service desk: a transition with its inputs, a comment,
and routing several incidents at once.

The inputs of a transition come from `services.TRANSITION_FIELDS`. What a transition requires
(resolution notes, a hold reason, a team) is *not* repeated here: those rules are the state
machine's guards, and a refusal comes back from `services.transition` with its own sentence. Fields
that a guard needs are marked `required` for the browser only, so people get the hint early while
the server has one rule in one place.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from . import roles, services
from .models import Category, HoldReason, Incident, Level, ResolutionCode, Team

# Inputs a transition's guard insists on; the browser is told, the guard decides.
GUARDED_INPUTS = {
    "resolve": {"resolution_code", "resolution_notes"},
    "route": {"team"},
}


def _users_matching(who: Q) -> QuerySet:
    users = get_user_model().objects.filter(is_active=True).filter(who)
    # A subquery instead of DISTINCT over a join keeps the list ordered and free of duplicates.
    return get_user_model().objects.filter(pk__in=users.values("pk")).order_by("username")


def staff_users() -> QuerySet:
    """Everyone who works incidents: desk agents, resolvers, incident managers."""
    return _users_matching(Q(groups__name__in=roles.STAFF_ROLES))


def assignable_users(team_id: int | None, *, confidential: bool = False, security: bool = False) -> QuerySet:
    """People who may be given an incident of this team: its resolvers, desk agents, incident
    managers; for a confidential incident its team's staff and incident managers only; for a
    security incident the security teams' staff and incident managers only.

    The same rule as `roles.can_work_on`, as SQL, so the choice list offers no one the service refuses.
    """
    if security:
        return _users_matching(Q(groups__name=roles.INCIDENT_MANAGER)
                               | Q(groups__name__in=[roles.DESK_AGENT, roles.RESOLVER], teams__security=True))
    if confidential:
        who = Q(groups__name=roles.INCIDENT_MANAGER)
        if team_id is not None:
            who |= Q(groups__name__in=[roles.DESK_AGENT, roles.RESOLVER], teams=team_id)
        return _users_matching(who)
    who = Q(groups__name__in=[roles.DESK_AGENT, roles.INCIDENT_MANAGER])
    if team_id is not None:
        who |= Q(groups__name=roles.RESOLVER, teams=team_id)
    return _users_matching(who)


def _label(name: str) -> str:
    return str(Incident._meta.get_field(name).verbose_name).capitalize()


def _input_field(name: str, transition: str, incident: Incident, user) -> forms.Field:
    """The form field for one transition input, pre-filled from the incident."""
    textarea = forms.Textarea(attrs={"rows": 4, "cols": 60})
    if name == "category":
        return forms.ModelChoiceField(Category.objects.all(), required=False, initial=incident.category_id,
                                      label=_label(name))
    if name in ("impact", "urgency"):
        return forms.ChoiceField(choices=Level.choices, initial=getattr(incident, name), label=_label(name))
    if name == "team":
        # Routing asks for a new team; triage confirms (or sets) the current one.
        initial = incident.team_id if transition == "triage" else None
        return forms.ModelChoiceField(Team.objects.all(), required=False, initial=initial, label="Team")
    if name == "assignee":
        return forms.ModelChoiceField(
            assignable_users(incident.team_id, confidential=incident.confidential, security=incident.security),
            required=False, label="Assignee",
            initial=incident.assignee_id or user.pk,
        )
    if name == "hold_kind":
        return forms.ModelChoiceField(
            HoldReason.objects.filter(active=True), required=False, label="Waiting for",
            help_text="The SLA clock pauses meanwhile. “Waiting for the user”: the reporter's reply resumes it.")
    if name == "hold_reason":
        return forms.CharField(max_length=200, required=False, initial=incident.hold_reason, label="Details",
                               help_text="Optional beside the choice above. The reporter sees both on the portal.")
    if name == "resolution_code":
        return forms.ChoiceField(choices=[("", "---------"), *ResolutionCode.choices], required=False,
                                 initial=incident.resolution_code, label=_label(name))
    if name == "resolution_notes":
        return forms.CharField(widget=textarea, required=False, initial=incident.resolution_notes,
                               label=_label(name), help_text="What was done; the reporter sees this.")
    if name == "workaround":
        return forms.CharField(widget=textarea, required=False, initial=incident.workaround, label=_label(name))
    if name == "verification":
        return forms.CharField(
            widget=textarea, required=False, initial=incident.verification, label="How restoration was verified",
            max_length=services.TEXT_LIMIT,
            help_text="How the fix was tested, in production or staging: by whom, with what result. "
                      "Staff only; the conformance checklist misses this step when it is left blank.")
    raise ValueError(f"No form field for transition input {name!r}")


class TransitionForm(forms.Form):
    """A reason, plus the inputs of transition `name` (see `services.TRANSITION_FIELDS`)."""

    reason = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Optional. Recorded in the incident's history and timeline.",
    )

    def __init__(self, *args, name: str, incident: Incident, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self.incident = incident
        self.input_names = services.TRANSITION_FIELDS.get(name, ())
        reason = self.fields.pop("reason")
        for input_name in self.input_names:
            field = _input_field(input_name, name, incident, user)
            if input_name in GUARDED_INPUTS.get(name, ()):
                field.widget.attrs["required"] = True
            self.fields[input_name] = field
        self.fields["reason"] = reason

    def inputs(self) -> dict:
        """The transition's inputs, as keyword arguments for `services.transition`."""
        return {name: self.cleaned_data.get(name) for name in self.input_names}


class IncidentCommentForm(forms.Form):
    """A comment from the desk: an internal work note by default, or a public reply to the reporter."""

    NOTE = "note"
    REPLY = "reply"

    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
                           max_length=services.TEXT_LIMIT)
    visibility = forms.ChoiceField(
        choices=[(NOTE, "Internal work note"), (REPLY, "Public reply (the reporter sees it)")],
        initial=NOTE, widget=forms.RadioSelect,
    )
    attachment = forms.FileField(required=False)

    @property
    def public(self) -> bool:
        return self.cleaned_data["visibility"] == self.REPLY


class RouteForm(forms.Form):
    """The intermediate page of the "Route to team" bulk action."""

    team = forms.ModelChoiceField(Team.objects.all(), label="Route to team")
    reason = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
