"""The security part of the incident's change page: an incident manager flags it as a security
incident (with a reason), and incident managers and the security team name and remove the people
who see it (`incidents.security`). The views are methods of `IncidentAdmin` (`SecurityViews`), so
they share its queryset (what the user reads in full) and the admin site's login and CSRF."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import path, reverse

from core.errors import WorkflowError

from .. import roles, security
from ..models import Incident

CANDIDATES_SHOWN = 20


class ParticipantWidget(AutocompleteSelect):
    """The admin's autocomplete (select2), asking this incident's own candidates view: who may be
    named is the incident's question, and the user admin's autocomplete needs view_user."""

    def __init__(self, url: str, admin_site) -> None:
        super().__init__(Incident._meta.get_field("participants"), admin_site)
        self.url = url

    def get_url(self) -> str:
        return self.url


class FlagForm(forms.Form):
    reason = forms.CharField(max_length=security.REASON_LIMIT, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                             help_text="Why it is a security incident; it goes on the timeline.")


class ParticipantForm(forms.Form):
    person = forms.ModelChoiceField(get_user_model().objects.filter(is_active=True), label="Name a participant")
    reason = forms.CharField(max_length=security.REASON_LIMIT, required=False,
                             help_text="Why they see it (legal, the business owner, an outside investigator).")

    def __init__(self, *args, candidates_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if candidates_url:
            self.fields["person"] = forms.ModelChoiceField(
                get_user_model().objects.filter(is_active=True), label="Name a participant",
                widget=ParticipantWidget(candidates_url, _site()))


def may_name(user, incident: Incident) -> bool:
    return roles.is_incident_manager(user) or (roles.is_security_member(user) and roles.can_work_on(user, incident))


def panel(request: HttpRequest, incident: Incident) -> str:
    """The change page's security panel ("" when there is nothing for this user to see or do)."""
    user = request.user
    may_flag = roles.is_incident_manager(user) and not incident.security
    naming = may_name(user, incident)
    if not (incident.security or may_flag) or not roles.sees_internal(user, incident):
        return ""
    participant_form = None
    if naming:
        participant_form = ParticipantForm(
            candidates_url=reverse("admin:incidents_incident_participant_candidates", args=[incident.pk]))
    return render_to_string("incidents/admin/includes/security_panel.html", {
        "incident": incident, "may_flag": may_flag, "flag_form": FlagForm() if may_flag else None,
        "participants": list(incident.participants.order_by("username")) if incident.security else [],
        "participant_form": participant_form,
    }, request=request)


def _site():
    from django.contrib import admin

    return admin.site


class SecurityViews:
    """Mixin for the incident ModelAdmin: flag as security, name and remove participants."""

    def security_urls(self) -> list:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/security/flag/", view(self.flag_security_view), name=f"{prefix}_flag_security"),
            path("<path:object_id>/security/participants/", view(self.participants_view),
                 name=f"{prefix}_participants"),
            path("<path:object_id>/security/candidates/", view(self.participant_candidates_view),
                 name=f"{prefix}_participant_candidates"),
        ]

    @staticmethod
    def _refused(request: HttpRequest, refusal: str) -> None:
        messages.error(request, refusal)

    def flag_security_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self._visible_incident(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", incident.pk))
        form = FlagForm(request.POST)
        if not form.is_valid():
            self._refused(request, "Say why this is a security incident: the reason goes on its timeline.")
            return HttpResponseRedirect(self._url("change", incident.pk))
        try:
            flagged = security.flag_security(incident=incident, by=request.user, reason=form.cleaned_data["reason"])
        except WorkflowError as refusal:
            self._refused(request, refusal.message)
            return HttpResponseRedirect(self._url("change", incident.pk))
        team = f"the {flagged.team} team" if flagged.team_id else "no team"
        messages.success(request, f"{flagged.reference} is a security incident now, with {team}: only the security "
                                  "team, incident managers, its named participants and its reporter see it.")
        return self._after_change(request, flagged)

    @staticmethod
    def _person(object_id) -> object | None:
        try:
            return get_user_model().objects.filter(pk=int(object_id)).first()
        except (TypeError, ValueError):
            return None

    def participants_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self._visible_incident(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", incident.pk))
        removing = request.POST.get("remove")
        try:
            if removing:
                person = self._person(removing)
                if person is None:
                    raise WorkflowError("That person is not named on this incident.")
                security.remove_participant(incident=incident, person=person, by=request.user,
                                            reason=request.POST.get("reason", ""))
                messages.success(request, f"{person} no longer sees {incident.reference} as a participant.")
            else:
                form = ParticipantForm(request.POST)
                if not form.is_valid():
                    raise WorkflowError("Choose the person to name (an active account).")
                person = form.cleaned_data["person"]
                security.name_participant(incident=incident, person=person, by=request.user,
                                          reason=form.cleaned_data["reason"])
                messages.success(request, f"{person} is named on {incident.reference} and sees it now.")
        except WorkflowError as refusal:
            self._refused(request, refusal.message)
        return HttpResponseRedirect(self._url("change", incident.pk) + "#security")

    def participant_candidates_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """Select2's question (`term`): active accounts matching it, for those who may name people."""
        incident = self._visible_incident(request, object_id)
        if not may_name(request.user, incident):
            raise PermissionDenied("Only incident managers and the security team name participants.")
        term = request.GET.get("term", "").strip()[:100]
        people = get_user_model().objects.filter(is_active=True).exclude(pk__in=incident.participants.values("pk"))
        if term:
            people = people.filter(Q(username__icontains=term) | Q(first_name__icontains=term)
                                   | Q(last_name__icontains=term) | Q(email__icontains=term))
        rows = people.order_by("username")[:CANDIDATES_SHOWN]
        return JsonResponse({
            "results": [{"id": str(person.pk), "text": _label(person)} for person in rows],
            "pagination": {"more": False},
        })


def _label(person) -> str:
    name = person.get_full_name()
    return f"{name} ({person.get_username()})" if name else person.get_username()

