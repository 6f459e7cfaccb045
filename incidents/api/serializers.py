"""What the incidents API reads and writes, field by field.

The serializers check the shape of a request only. The rules (who may log for whom, which fields a
role edits, what a transition needs, which files are accepted) are the services' and the state
machine's; their refusals come back through the one error shape (`core.api.errors`).

An incident is read in one of three shapes, chosen per incident for the caller
(`IncidentAsSeenSerializer`) and named by its `access` field: `staff` (the whole incident),
`reporter` (what the portal shows its reporter) and `none` (a receipt for an incident the caller
logged or changed but may not see).
"""

from __future__ import annotations

from functools import cache, cached_property

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.views import TransitionInputSerializer

from .. import roles, security, selectors, services
from ..forms import staff_users
from ..models import (
    Attachment,
    Category,
    Channel,
    Comment,
    HoldReason,
    Incident,
    Level,
    ResolutionCode,
    Service,
    Team,
)

REFERENCE_HELP = "The incident's reference (INC-000123) or its id."


# --- what an incident points at -------------------------------------------------------------------
class TeamSerializer(serializers.ModelSerializer):
    # Declared, not derived: a model integer field's range is the database's (SQLite's 64 bits,
    # PostgreSQL's smallint), and the published schema must not depend on where it was generated.
    tier = serializers.ChoiceField(choices=Team._meta.get_field("tier").choices, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "tier", "email"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "confidential", "default_team"]


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name", "description"]


class NamedSerializer(serializers.Serializer):
    """A category, service, team or hold reason where an incident names it."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "Named"


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        ref_name = "Person"

    def get_name(self, user) -> str:
        return selectors.display_name(user)


class SlaSerializer(serializers.ModelSerializer):
    """The stored SLA clock: what the sweep acts on, read as it is."""

    class Meta:
        model = Incident
        ref_name = "IncidentSla"
        fields = ["respond_by", "resolve_by", "response_breached", "resolution_breached", "at_risk_from",
                  "clock_paused_at"]
        read_only_fields = fields


# --- incidents ------------------------------------------------------------------------------------
ACCESS_HELP = ("Which shape this is: `staff` (the whole incident, for those who see it for their work), "
               "`reporter` (what the portal shows its reporter) or `none` (an incident the caller may not see).")


class RunbookSerializer(serializers.Serializer):
    """The knowledge-base article to follow for an incident: its service's runbook, else its
    category's (`selectors.runbook_of`)."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The article in the API (`/api/v1/articles/<id>/`).")

    class Meta:
        ref_name = "Runbook"

    def get_url(self, article) -> str:
        path = reverse("article-detail", kwargs={"pk": article.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AccessField(serializers.Field):
    """The shape's name (`access`), the same on every incident of that shape: what tells a client,
    and the OpenAPI description's discriminator, which fields follow."""

    def __init__(self, access: str, **kwargs) -> None:
        self.access = access
        super().__init__(read_only=True, source="*", help_text=ACCESS_HELP, **kwargs)

    def to_representation(self, value) -> str:
        return self.access


class AccessFieldSchema(OpenApiSerializerFieldExtension):
    target_class = AccessField

    def map_serializer_field(self, auto_schema, direction) -> dict:
        return {"type": "string", "const": self.target.access}


class IncidentSerializer(serializers.ModelSerializer):
    """An incident as those who see it for their work read it (`access`: `staff`). Every field is
    read-only here: writes have their own serializers, and state changes go through the transitions."""

    access = AccessField("staff")
    category = NamedSerializer(read_only=True, allow_null=True)
    service = NamedSerializer(read_only=True, allow_null=True)
    team = NamedSerializer(read_only=True, allow_null=True)
    hold_kind = NamedSerializer(read_only=True, allow_null=True)
    reporter = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    sla = SlaSerializer(source="*", read_only=True)
    # Declared: a read-only model field loses `blank`, and "" (not resolved yet) is a value it has.
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, allow_blank=True, read_only=True)
    runbook = serializers.SerializerMethodField(
        help_text="The published knowledge-base article to follow: the service's runbook, else the category's "
                  "(null: neither has one). Never in the reporter's shape.")
    parent = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True,
        help_text="The major incident this one is handled as part of (its id; null: none). "
                  "Linked with `POST /incidents/{parent}/children/`.")
    parent_reference = serializers.CharField(source="parent.reference", read_only=True, allow_null=True,
                                             default=None, help_text="The parent's reference (null: none).")
    children_count = serializers.SerializerMethodField(
        help_text="How many incidents are linked under this one (a major incident's children).")
    commander = PersonSerializer(read_only=True, allow_null=True, help_text="A major incident's commander.")
    comms_lead = PersonSerializer(read_only=True, allow_null=True,
                                  help_text="A major incident's communications lead.")
    exercise = serializers.BooleanField(
        read_only=True, help_text="A drill: an exercise that runs the real workflow, clocks and paging, and never "
                                  "reaches the status page, external stakeholders or the metrics.")

    class Meta:
        model = Incident
        fields = [
            "access", "id", "reference", "summary", "description", "state", "priority", "impact", "urgency", "channel",
            "category", "service", "team", "assignee", "reporter", "confidential", "is_major", "exercise", "parent",
            "parent_reference", "children_count", "commander", "comms_lead", "major_since",
            "hold_kind", "hold_reason", "resolution_code", "resolution_notes", "workaround", "verification",
            "reopen_count",
            "opened_at", "triaged_at", "responded_at", "resolved_at", "closed_at", "updated_at", "sla", "version",
            "runbook",
        ]
        read_only_fields = fields

    def get_children_count(self, incident: Incident) -> int:
        # Annotated by the viewset's queries (`views.with_children_count`): no query a row.
        count = getattr(incident, "children_count", None)
        return count if count is not None else incident.children.count()

    @extend_schema_field(RunbookSerializer(allow_null=True))
    def get_runbook(self, incident: Incident) -> dict | None:
        runbook = selectors.runbook_of(incident)
        return RunbookSerializer(runbook, context=self.context).data if runbook is not None else None


class ReporterIncidentSerializer(serializers.ModelSerializer):
    """An incident as its reporter reads it (`access`: `reporter`): what the portal's incident page
    shows them. Not who works on it, the work fields (workaround, links, major flag, hold), nor the
    SLA clock; the timeline (`/timeline/`) has the public updates."""

    access = AccessField("reporter")
    category = NamedSerializer(read_only=True, allow_null=True)
    service = NamedSerializer(read_only=True, allow_null=True)
    team = NamedSerializer(read_only=True, allow_null=True, help_text="Who handles it (null: the service desk).")

    class Meta:
        model = Incident
        ref_name = "ReporterIncident"
        fields = [
            "access", "id", "reference", "summary", "description", "state", "priority", "category", "service",
            "team", "resolution_notes", "opened_at", "updated_at", "resolved_at", "closed_at",
        ]
        read_only_fields = fields


class IncidentReceiptSerializer(serializers.Serializer):
    """What the caller is told of an incident they opened or changed but may not see (`access`:
    `none`): it went to a confidential queue, whose team and the incident managers have it."""

    access = AccessField("none")
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    detail = serializers.SerializerMethodField(help_text="Where it went, and why it is not shown.")

    class Meta:
        ref_name = "IncidentReceipt"

    def get_detail(self, incident: Incident) -> str:
        if incident.security:
            return security.moved_sentence(incident)
        queue = f"the {incident.team.name} team's" if incident.team_id else "a"
        return (f"{incident.reference} went to {queue} confidential queue: only that team and the incident "
                "managers may open it, so it is not shown to you.")


class IncidentAsSeenSerializer(serializers.Serializer):
    """Each incident in the shape the caller may see, chosen per incident (a list mixes them): the
    whole of it for staff who see it for their work (`roles.sees_internal`), the reporter's shape
    for its reporter (a staff member who reported a confidential incident included), and a receipt
    for one they may not see at all. The roles' answers are cached on the user: no query a row."""

    @cached_property
    def shapes(self) -> dict[str, serializers.Serializer]:
        return {"staff": IncidentSerializer(context=self.context),
                "reporter": ReporterIncidentSerializer(context=self.context),
                "none": IncidentReceiptSerializer(context=self.context)}

    def to_representation(self, incident: Incident) -> dict:
        user = self.context["request"].user
        if roles.sees_internal(user, incident):
            access = "staff"
        elif roles.can_view(user, incident):
            access = "reporter"
        else:
            access = "none"
        return self.shapes[access].to_representation(incident)


class IncidentCreateSerializer(serializers.Serializer):
    """A new incident. Its priority comes from impact and urgency (the matrix), never from the caller."""

    summary = serializers.CharField(max_length=200, help_text="In a few words, what is wrong.")
    description = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=services.TEXT_LIMIT)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Level.choices, default=Level.LOW,
                                     help_text="How many are affected. With urgency, it sets the priority.")
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.LOW,
                                      help_text="Whether they can keep working. With impact, it sets the priority.")
    # Logging for someone else (phone, e-mail, walk-in) is the service desk's: see STAFF_ONLY.
    reporter = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), required=False,
        help_text="Service desk only: the user name of the person who reports it (default: the caller).")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False,
                                      help_text="Service desk only: how it was reported (default: api).")
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True,
                                              help_text="Service desk only: the queue (default: the category's).")

    # Fields only those who may log incidents for others (`services.may_log_for_others`) may send.
    STAFF_ONLY = ("reporter", "channel", "team")


# The largest version the column holds (a PositiveIntegerField): a larger one is no version at all.
VERSION_MAX = 2**31 - 1


class IncidentUpdateSerializer(serializers.ModelSerializer):
    """A partial edit of the fields an edit may change (`services.EDITABLE_FIELDS`, the admin change
    form's), by whoever may work on the incident."""

    assignee = serializers.PrimaryKeyRelatedField(queryset=staff_users(), required=False, allow_null=True)
    version = serializers.IntegerField(
        required=False, write_only=True, min_value=1, max_value=VERSION_MAX,
        help_text="The version the caller saw. If the incident has changed since, the edit is refused with "
                  "409 (`stale`) instead of overwriting what someone else did.")

    class Meta:
        model = Incident
        fields = [*services.EDITABLE_FIELDS, "version"]
        extra_kwargs = {name: {"required": False} for name in services.EDITABLE_FIELDS}

    # Refused, not dropped: a client that sets them would otherwise believe it had.
    BY_THEIR_OWN_CALLS = {
        "is_major": "Declared with POST /incidents/{reference}/major/ (incident managers, with a reason).",
        "parent": "Linked with POST /incidents/{parent}/children/ and unlinked with DELETE.",
    }

    def validate(self, attrs: dict) -> dict:
        sent = self.initial_data if isinstance(self.initial_data, dict) else {}
        refused = {name: [sentence] for name, sentence in self.BY_THEIR_OWN_CALLS.items() if name in sent}
        if refused:
            raise serializers.ValidationError(refused)
        return attrs


class ChildLinkSerializer(serializers.Serializer):
    """An incident to link under a major incident."""

    incident = serializers.CharField(max_length=30, help_text="The reference (INC-000123) or id of the incident "
                                                             "to handle as part of this major incident.")

    class Meta:
        ref_name = "ChildLink"


class ChildSerializer(serializers.ModelSerializer):
    """An incident linked under a major incident, as its children list shows it."""

    team = NamedSerializer(read_only=True, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        ref_name = "IncidentChild"
        fields = ["id", "reference", "summary", "state", "priority", "team", "assignee", "opened_at", "resolved_at"]
        read_only_fields = fields


class MajorDeclareSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why it is a major incident (on its timeline).")
    commander = serializers.PrimaryKeyRelatedField(queryset=staff_users(), required=False, allow_null=True,
                                                   help_text="The incident commander (default: the caller).")
    comms_lead = serializers.PrimaryKeyRelatedField(queryset=staff_users(), required=False, allow_null=True,
                                                    help_text="The communications lead.")

    class Meta:
        ref_name = "MajorDeclare"


class MajorStandDownSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why it is not a major incident after all.")

    class Meta:
        ref_name = "MajorStandDown"


# --- transitions ----------------------------------------------------------------------------------
def _input_field(name: str) -> serializers.Field:
    """The API field for one transition input (`services.TRANSITION_FIELDS`). What an input must
    hold for the transition to pass is its guard's to say, not repeated here."""
    if name == "category":
        return serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)
    if name in ("impact", "urgency"):
        return serializers.ChoiceField(choices=Level.choices, required=False)
    if name == "team":
        return serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    if name == "assignee":
        return serializers.PrimaryKeyRelatedField(queryset=staff_users(), required=False)
    if name == "hold_kind":
        return serializers.PrimaryKeyRelatedField(queryset=HoldReason.objects.filter(active=True), required=False,
                                                  help_text="What it waits for (a hold reason's id).")
    if name == "hold_reason":
        return serializers.CharField(max_length=200, required=False, allow_blank=True)
    if name == "resolution_code":
        return serializers.ChoiceField(choices=ResolutionCode.choices, required=False, allow_blank=True)
    if name in ("resolution_notes", "workaround"):
        return serializers.CharField(max_length=services.TEXT_LIMIT, required=False, allow_blank=True)
    if name == "verification":
        return serializers.CharField(
            max_length=services.TEXT_LIMIT, required=False, allow_blank=True,
            help_text="Resolve: how restoration was verified (tested in production or staging, by whom, with what "
                      "result). Optional, but SOP conformance counts a resolve without it as a missed step.")
    raise ValueError(f"No API field for transition input {name!r}")


class OwnInputsOnly(TransitionInputSerializer):
    """An input the transition does not take is refused, not dropped: a misspelt `assignee` must
    not start work with nobody assigned and no word said."""

    transition = ""

    def validate(self, attrs: dict) -> dict:
        others = sorted(set(self.initial_data) - set(self.fields))
        if others:
            label = services.TRANSITIONS.label(self.transition)
            raise serializers.ValidationError({name: [f"“{label}” does not take this input."] for name in others})
        return attrs


@cache
def transition_inputs(name: str) -> type[TransitionInputSerializer]:
    """The serializer of transition `name`: a reason, the state seen, and that transition's inputs."""
    fields = {field: _input_field(field) for field in services.TRANSITION_FIELDS.get(name, ())}
    title = name.title().replace("_", "")
    meta = type("Meta", (), {"ref_name": f"Incident{title}Input"})
    return type(f"Incident{title}InputSerializer", (OwnInputsOnly,),
                {**fields, "transition": name, "Meta": meta})


# For the description of the API: every input any transition takes. Each transition accepts those
# listed under its `inputs` (GET .../transitions/) and refuses the others.
IncidentTransitionInputSerializer = type(
    "IncidentTransitionInputSerializer", (TransitionInputSerializer,), {
        **{field: _input_field(field)
           for field in dict.fromkeys(f for fields in services.TRANSITION_FIELDS.values() for f in fields)},
        "Meta": type("Meta", (), {"ref_name": "IncidentTransitionInput"}),
        "__doc__": "The inputs of the incident's transitions; each takes those its `inputs` lists.",
    },
)


# --- comments, attachments, the timeline ----------------------------------------------------------
class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    download = serializers.SerializerMethodField(help_text="Where the file itself is downloaded.")

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "public", "comment", "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, attachment: Attachment) -> str:
        # The incident's reference comes from the view (one incident per request), not a query a row.
        path = reverse("incident-attachments-download",
                       kwargs={"incident_reference": self.context["incident"].reference, "pk": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class PublicField(serializers.BooleanField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "True: the reporter sees it. Omitted: a work note from those who work on "
                                       "the incident, public from its reporter (whose writing is always public).")
        # None when omitted, in JSON and in multipart alike (a form's missing box would read as False).
        super().__init__(required=False, allow_null=True, default=None, **kwargs)


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "public", "markdown", "created_at", "attachments"]
        read_only_fields = fields


class FilesField(serializers.ListField):
    """Several files under one name (multipart)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=serializers.FileField(), **kwargs)

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            # One list of sentences, as for every field (the error shape), not a mapping by position.
            raise serializers.ValidationError(
                [f"File {index + 1}: {message}" for index, messages in exc.detail.items() for message in messages]
            ) from None


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=services.TEXT_LIMIT)
    public = PublicField()


class CommentUploadSerializer(CommentCreateSerializer):
    """A comment sent as multipart, with files that are checked like every upload."""

    files = FilesField(required=False, max_length=10, help_text="Files to attach to the comment.")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="Checked like every upload: size limit, allowed types, content.")
    public = PublicField()


class TimelineEntrySerializer(serializers.Serializer):
    """One entry of the timeline. The reporter's timeline has public replies and public events
    only (headlines written for them); staff see every event, with its transition and states."""

    at = serializers.DateTimeField()
    kind = serializers.CharField()
    headline = serializers.CharField()
    actor = serializers.CharField(help_text="Who did it: a name, or “Service desk” for the system.")
    text = serializers.CharField(allow_blank=True)
    public = serializers.BooleanField()
    transition = serializers.CharField(allow_blank=True)
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    attachments = AttachmentSerializer(many=True)

    class Meta:
        ref_name = "IncidentTimelineEntry"


def timeline_rows(incident: Incident, *, internal: bool) -> list[dict]:
    """The timeline as plain rows of one shape, from the selector that fits the reader."""
    if not internal:
        return [
            {"at": entry.at, "kind": entry.kind, "headline": entry.headline, "actor": entry.actor_name,
             "text": entry.text, "public": True, "transition": "", "from_state": "", "to_state": "",
             "attachments": entry.attachments}
            for entry in selectors.public_timeline(incident)
        ]
    return [
        {"at": event.created_at, "kind": event.kind, "headline": event.headline,
         "actor": selectors.display_name(event.actor), "text": event.message, "public": event.public,
         "transition": event.transition, "from_state": event.from_state, "to_state": event.to_state,
         "attachments": []}
        for event in selectors.staff_timeline(incident)
    ]
