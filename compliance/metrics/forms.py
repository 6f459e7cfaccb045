"""The period a report or an export covers, from the admin page's form or the API's query."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from .figures import Period

DEFAULT_DAYS = 30
# A year and a bit: a calendar year and a leap day, with room for a whole audit period.
LONGEST_DAYS = 400
# Before any incident was recorded; it keeps the period's midnights far from the calendar's ends.
EARLIEST = date(1970, 1, 1)


class PeriodForm(forms.Form):
    """`from` and `to`, both dates and both days included (the form's fields are the query
    parameters, and `from` is no Python name)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(label="From", help_text="The first day (YYYY-MM-DD).")
        self.fields["to"] = forms.DateField(label="To", help_text="The last day, included (YYYY-MM-DD).")

    @classmethod
    def from_query(cls, query) -> PeriodForm:
        """Bound to the query, or to the last 30 days (today included) when it names no period."""
        if "from" in query or "to" in query:
            return cls(query)
        today = timezone.localdate()
        return cls({"from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "to": today.isoformat()})

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first is None or last is None:
            return data
        if last < first:
            raise forms.ValidationError(f"The period ends ({last.isoformat()}) before it starts ({first.isoformat()}).")
        if first < EARLIEST:
            raise forms.ValidationError(f"The period starts before {EARLIEST.isoformat()}.")
        if first > timezone.localdate():
            raise forms.ValidationError(f"The period starts after today ({first.isoformat()}): nothing to report yet.")
        if (last - first).days + 1 > LONGEST_DAYS:
            raise forms.ValidationError(f"A period covers at most {LONGEST_DAYS} days; "
                                        f"this one covers {(last - first).days + 1}.")
        return data

    @property
    def period(self) -> Period:
        """The validated period (call after `is_valid()`)."""
        return Period(self.cleaned_data["from"], self.cleaned_data["to"])
