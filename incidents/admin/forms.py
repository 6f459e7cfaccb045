"""The incident forms of the admin: logging a new incident, and editing one without losing updates."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from .. import roles, services
from ..forms import staff_users
from ..models import Incident


class IncidentChangeForm(forms.ModelForm):
    """Edits to an existing incident.

    It carries the `version` it was rendered from. `clean()` re-reads the row under a lock (the admin
    change view runs in a transaction), so an edit made by someone else in between is refused
    instead of silently overwritten, and the user keeps what they typed.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # Set per request by IncidentAdmin.get_form.
    refusal: str = ""

    class Meta:
        model = Incident
        # The admin passes the fields of its fieldsets; these are the editable ones among them.
        fields = list(services.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "loaded_version" in self.fields:
            self.fields["loaded_version"].initial = self.instance.version
        if "assignee" in self.fields:
            # Any staff member is offered, since the team may change in the same edit; `clean()` checks
            # the pair against the rule the services apply.
            self.fields["assignee"].queryset = staff_users()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.refusal:
            raise forms.ValidationError(self.refusal, code="refused")
        if "loaded_version" in self.fields:
            self._refuse_if_stale()
        self._check_assignee(cleaned)
        return cleaned

    def _refuse_if_stale(self) -> None:
        loaded = self.cleaned_data.get("loaded_version")
        current = (
            Incident.objects.select_for_update().filter(pk=self.instance.pk).values_list("version", flat=True).first()
        )
        if loaded is not None and loaded == current:
            return
        last = (
            Incident.history.filter(id=self.instance.pk)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
            .first()
        )
        who = last.history_user if last is not None and last.history_user is not None else "someone else"
        raise forms.ValidationError(
            "%(reference)s was changed by %(who)s since you opened it; reload the page to see their "
            "changes. Nothing was saved; what you typed is kept below.",
            code="stale", params={"reference": self.instance.reference, "who": who},
        )

    def _check_assignee(self, cleaned: dict) -> None:
        if "assignee" not in self.changed_data or cleaned.get("assignee") is None:
            return
        assignee = cleaned["assignee"]
        team = cleaned.get("team", self.instance.team)
        if not roles.can_work_on(assignee, Incident(team=team)):
            self.add_error("assignee", f"{assignee} cannot work on incidents of {team or 'an incident without a team'}.")


class IncidentAddForm(forms.ModelForm):
    """Logging an incident reported by phone, e-mail or at the desk, on the reporter's behalf."""

    reporter_login = forms.CharField(
        label="Reporter", max_length=254,
        help_text="User name or e-mail address of the person who reports the incident.",
    )

    refusal: str = ""

    class Meta:
        model = Incident
        fields = ["summary", "description", "channel", "category", "service", "impact", "urgency", "team"]

    def clean_reporter_login(self):
        value = self.cleaned_data["reporter_login"].strip()
        matches = list(
            get_user_model().objects.filter(Q(username__iexact=value) | Q(email__iexact=value), is_active=True)[:2]
        )
        if len(matches) != 1:
            raise forms.ValidationError(
                "No user has that user name or e-mail address." if not matches
                else "Several users share that e-mail address; enter the user name."
            )
        return matches[0]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.refusal:
            raise forms.ValidationError(self.refusal, code="refused")
        return cleaned
