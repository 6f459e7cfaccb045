"""The forms of the major-incident pages: declaring one, naming its roles, and standing it down."""

from __future__ import annotations

from django import forms

from incidents.forms import staff_users


class DeclareForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="Why this is a major incident; it goes on the internal timeline.")
    commander = forms.ModelChoiceField(staff_users(), required=False, label="Incident commander",
                                       help_text="Runs the response. Left empty: you.")
    comms_lead = forms.ModelChoiceField(staff_users(), required=False, label="Communications lead",
                                        help_text="Words and posts the stakeholder updates.")


class StandDownForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                             help_text="Why it is not a major incident after all.")


class RolesForm(forms.Form):
    commander = forms.ModelChoiceField(staff_users(), required=False, label="Incident commander")
    comms_lead = forms.ModelChoiceField(staff_users(), required=False, label="Communications lead")
    reason = forms.CharField(required=False, max_length=1000, label="Why (optional)")
