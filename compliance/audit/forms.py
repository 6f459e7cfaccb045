"""The two export forms of the audit trail admin: one incident, or a period."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone


class IncidentExportForm(forms.Form):
    reference = forms.CharField(label="Incident", max_length=20, help_text="Its reference, e.g. INC-000123.")

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class RangeExportForm(forms.Form):
    first = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="To (included)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("first") and data.get("last") and data["last"] < data["first"]:
            raise forms.ValidationError("The period must end on or after the day it starts.")
        return data

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [start of the first day, start of the day after the last), local time."""
        zone = timezone.get_current_timezone()
        since = datetime.combine(self.cleaned_data["first"], time.min, tzinfo=zone)
        until = datetime.combine(self.cleaned_data["last"] + timedelta(days=1), time.min, tzinfo=zone)
        return since, until
