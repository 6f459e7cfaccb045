"""The security panel's forms. They check the shape of what is typed; the services decide the rest
(and their refusals land on the same form, so nothing typed is lost)."""

from __future__ import annotations

from django import forms

from comms.models import Channel, Template

from ..models import Evidence, NoticeRole
from . import services

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class TickForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="What was done, where (optional).")


class StepForm(forms.Form):
    label = forms.CharField(label="Step", max_length=200)


class EvidenceFileForm(forms.Form):
    title = forms.CharField(max_length=200)
    upload = forms.FileField(label="File", help_text="Its SHA-256 and size are computed as it is stored.")
    collected_at = forms.DateTimeField(required=False, widget=WHEN,
                                       help_text="When it was collected, if not now (your local time).")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceNoteForm(forms.Form):
    title = forms.CharField(max_length=200)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    collected_at = forms.DateTimeField(required=False, widget=WHEN,
                                       help_text="When it was observed, if not now (your local time).")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class HandOverForm(forms.Form):
    to = forms.CharField(label="To", max_length=200, help_text="A person, or a firm and the person there.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class SupersedeForm(forms.Form):
    replacement = forms.ModelChoiceField(queryset=Evidence.objects.none(), label="Superseded by",
                                         help_text="Collect the new item first, then choose it here.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, evidence: Evidence, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = (Evidence.objects.filter(incident_id=evidence.incident_id,
                                                                       superseded_by__isnull=True)
                                               .exclude(pk=evidence.pk).order_by("recorded_at", "pk"))


class NoticeForm(forms.Form):
    role = forms.ChoiceField(label="To", choices=NoticeRole.choices)
    template = forms.ModelChoiceField(queryset=Template.objects.none())
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Added below the template's text (optional).")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = services.notice_templates()


class ForensicsForm(forms.Form):
    firm = forms.CharField(max_length=200)
    contact = forms.CharField(max_length=200, required=False)
    reference = forms.CharField(max_length=100, required=False, help_text="Their case or contract reference.")
    engaged_at = forms.DateTimeField(required=False, widget=WHEN, help_text="If not now (your local time).")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CustomerForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(label="E-mail")


class CustomerUpdateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=Template.objects.none(),
                                      help_text="Rendered for the incident: its public fields only, never work notes.")
    text = forms.CharField(label="Added text", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="Added below the template's text (optional).")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = Template.objects.filter(channel=Channel.EMAIL, active=True)
