"""Portal forms. They validate what the reporter typed; the writes happen in `incidents.services`."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from ..models import Category, Level, Service
from ..services import TEXT_LIMIT
from ..uploads import allowed_extensions_text, validate_upload

# The two plain-language questions of the report form. Reporters describe their situation; the
# impact × urgency matrix (which admins maintain) turns the answers into a priority.
PEOPLE_AFFECTED: dict[str, tuple[str, str]] = {
    "me": ("Just me", Level.LOW),
    "team": ("My team or department", Level.MEDIUM),
    "many": ("The whole organisation / many customers", Level.HIGH),
}
CAN_KEEP_WORKING: dict[str, tuple[str, str]] = {
    "yes": ("Yes, it’s an inconvenience", Level.LOW),
    "slowly": ("Only slowly / with a workaround", Level.MEDIUM),
    "blocked": ("No, I’m blocked", Level.HIGH),
}

RECHOOSE_FILE = "Please choose the file again: browsers do not keep a chosen file when a form is shown again."


def impact_and_urgency(people_affected: str, can_keep_working: str) -> tuple[str, str]:
    """Map the answers to (impact, urgency): how many people → impact, whether they can work → urgency."""
    return PEOPLE_AFFECTED[people_affected][1], CAN_KEEP_WORKING[can_keep_working][1]


class AttachmentField(forms.FileField):
    """An optional file checked by the same rules as every other upload (size, type, content)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", f"Optional. A screenshot or log helps. Accepted: {allowed_extensions_text()}."
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if isinstance(upload, UploadedFile):
            try:
                validate_upload(upload)
            except ValidationError as exc:
                raise ValidationError([*exc.messages, "Choose another file, or send the form without one."]) from None
        return upload


class FileKeepingForm(forms.Form):
    """A form that, when it fails, tells the user which chosen files they must choose again."""

    file_fields: tuple[str, ...] = ()

    def _post_clean(self) -> None:
        super()._post_clean()
        if not self._errors:
            return
        for name in self.file_fields:
            upload = self.files.get(self.add_prefix(name))
            if upload and name not in self._errors:
                self.add_error(name, f"You chose “{upload.name}”. {RECHOOSE_FILE}")


class ReportForm(FileKeepingForm):
    file_fields = ("attachment",)

    summary = forms.CharField(
        label="Summary", max_length=200,
        error_messages={
            "required": "Describe the problem in a few words.",
            "max_length": "Keep the summary under 200 characters; put the details in “What happened?”.",
        },
        help_text="In a few words, what is wrong? For example: “Cannot print to the 3rd floor printer”.",
    )
    description = forms.CharField(
        label="What happened?", widget=forms.Textarea(attrs={"rows": 6}), max_length=TEXT_LIMIT,
        error_messages={
            "required": "Tell us what happened.",
            "max_length": f"Keep it under {TEXT_LIMIT:,} characters; attach a long log as a file instead.",
        },
        help_text="What were you doing, what did you expect, and what happened instead? Include any error message.",
    )
    category = forms.ModelChoiceField(
        label="What is it about?", queryset=Category.objects.all(), required=False,
        empty_label="Not sure – the service desk will choose",
    )
    service = forms.ModelChoiceField(
        label="Affected service", queryset=Service.objects.all(), required=False,
        empty_label="None / not sure", help_text="Optional.",
    )
    people_affected = forms.ChoiceField(
        label="How many people are affected?", widget=forms.RadioSelect,
        error_messages={"required": "Choose how many people are affected."},
        choices=[(key, label) for key, (label, _) in PEOPLE_AFFECTED.items()],
    )
    can_keep_working = forms.ChoiceField(
        label="Can you keep working?", widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you can keep working."},
        choices=[(key, label) for key, (label, _) in CAN_KEEP_WORKING.items()],
    )
    attachment = AttachmentField(label="Attachment")
    # One per form shown: sending the same form again (back and resend, a double click) finds the
    # incident it opened instead of opening a second one.
    submission = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def impact_and_urgency(self) -> tuple[str, str]:
        return impact_and_urgency(self.cleaned_data["people_affected"], self.cleaned_data["can_keep_working"])


class CommentForm(FileKeepingForm):
    file_fields = ("attachment",)

    body = forms.CharField(
        label="Your message", widget=forms.Textarea(attrs={"rows": 4}), max_length=TEXT_LIMIT,
        error_messages={
            "required": "Write a message before sending.",
            "max_length": f"Keep it under {TEXT_LIMIT:,} characters; attach a long log as a file instead.",
        },
        help_text="The service desk sees this and replies here and by e-mail.",
    )
    attachment = AttachmentField(label="Attachment")


class ReporterActionForm(forms.Form):
    """The reporter's answer to a resolution (close / reopen) or a withdrawal (cancel)."""

    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)

    LABELS = {
        "reopen": ("What is still not working?", "We pass this on to the people working on it."),
        "cancel": ("Why are you withdrawing it? (optional)", ""),
    }

    def __init__(self, *args, action: str, **kwargs) -> None:
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action = action
        label, help_text = self.LABELS.get(action, ("Comment (optional)", ""))
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text
        # Reopening without saying why leaves the resolver guessing.
        self.fields["reason"].required = action == "reopen"
        if action == "reopen":
            self.fields["reason"].error_messages["required"] = "Tell us what is still not working."
