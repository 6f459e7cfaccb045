"""How post-incident reviews and their action items look in the API.

A review's narrative fields are the only ones a PATCH writes; its state moves through transitions,
and who owns it, why it exists and its dates are the workflow's.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import Incident, Team

from ..models import ActionItem, PostIncidentReview, TimelineEntry

# As long as an incident's description may be: a review quotes logs and timelines, not books.
TEXT_LIMIT = 50_000
EDITABLE_FIELDS = ("summary", "customer_impact", "root_cause", "contributing_factors", "what_went_well",
                   "what_went_poorly", "lessons_learned", "no_action_reason")


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name"]
        ref_name = "ReviewPerson"

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class ReviewedIncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "reference", "summary", "priority", "state"]
        ref_name = "ReviewedIncident"


class ActionTeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        ref_name = "ActionItemTeam"


class ReviewRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostIncidentReview
        fields = ["id", "reference"]
        ref_name = "ReviewRef"


class ActionItemFieldsMixin(serializers.Serializer):
    """What an action item says about itself, listed alone or inside its review."""

    owner = PersonSerializer(read_only=True)
    team = ActionTeamSerializer(read_only=True, allow_null=True)
    link_url = serializers.SerializerMethodField(help_text="The ticket, change or pull request doing the work "
                                                           "(web addresses only).")
    overdue = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_blank=True))
    def get_link_url(self, item: ActionItem) -> str:
        return item.safe_link_url

    def get_overdue(self, item: ActionItem) -> bool:
        return item.is_overdue()


ACTION_ITEM_FIELDS = ["id", "description", "owner", "team", "due_date", "priority", "state", "overdue",
                      "wont_do_reason", "link_url", "created_at", "completed_at"]


class ReviewActionItemSerializer(ActionItemFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = ActionItem
        fields = ACTION_ITEM_FIELDS
        read_only_fields = fields
        ref_name = "ReviewActionItem"


class ActionItemSerializer(ActionItemFieldsMixin, serializers.ModelSerializer):
    review = ReviewRefSerializer(read_only=True)
    incident = ReviewedIncidentSerializer(source="review.incident", read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "review", "incident", *ACTION_ITEM_FIELDS[1:]]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor", "text", "kind", "struck", "added_by_hand"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    incident = ReviewedIncidentSerializer(read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    open_actions = serializers.IntegerField(read_only=True, help_text="Action items still open or in progress.")
    overdue_actions = serializers.IntegerField(read_only=True, help_text="Open action items past their due date.")

    class Meta:
        model = PostIncidentReview
        fields = ["id", "reference", "incident", "owner", "state", "trigger", "required", *EDITABLE_FIELDS,
                  "open_actions", "overdue_actions", "proposed_known_error_title", "proposed_known_error_symptoms",
                  "proposed_known_error_workaround", "known_error", "known_error_proposed_at", "created_at",
                  "submitted_at", "published_at", "updated_at"]
        read_only_fields = [name for name in fields if name not in EDITABLE_FIELDS]
        extra_kwargs = {name: {"max_length": TEXT_LIMIT} for name in EDITABLE_FIELDS}
        ref_name = "Review"


class ReviewDetailSerializer(ReviewSerializer):
    """A review with its timeline and its action items."""

    timeline = TimelineEntrySerializer(many=True, read_only=True)
    action_items = ReviewActionItemSerializer(many=True, read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "timeline", "action_items"]
        read_only_fields = [name for name in fields if name not in EDITABLE_FIELDS]
        ref_name = "ReviewDetail"
