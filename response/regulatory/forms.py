"""The forms of the regulatory panel: apply a clock, record the notice, decide not notifiable.
They check the shape of what is typed; the rules (who, when, once) are the services'."""

from __future__ import annotations

from django import forms

from ..models import Regulation

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ApplyClockForm(forms.Form):
    regulation = forms.ModelChoiceField(queryset=Regulation.objects.filter(active=True), empty_label=None)
    aware_at = forms.DateTimeField(label="Aware since", widget=LOCAL,
                                   help_text="When the organisation became aware of the breach; the window "
                                             "runs from then, in calendar time.")

    def __init__(self, *args, regulations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if regulations is not None:
            self.fields["regulation"].queryset = regulations


class NoticeForm(forms.Form):
    notified_to = forms.CharField(label="Sent to", max_length=300,
                                  help_text="The authority or people notified, e.g. the ICO.")
    notified_at = forms.DateTimeField(label="Sent at", widget=LOCAL)
    reference = forms.CharField(label="Reference or what was sent", widget=forms.Textarea(attrs={"rows": 3}))


class NotNotifiableForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Why no notice is owed under this regulation; kept on the record.")
