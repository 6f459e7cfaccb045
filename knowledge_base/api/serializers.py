"""How known errors, articles and suggestions look in the API. Bodies are Markdown, as stored.

End users get a known error as the portal shows it to them (what it looks like and what to do
about it); the root cause, the audience flag and the recurrence bookkeeping stay with the desk.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers
from rest_framework.reverse import reverse

from ..matching import ARTICLE, KNOWN_ERROR, MAX_LIMIT, Suggestion
from ..matching.terms import MAX_TEXT_CHARS
from ..models import Article, Category, KnownError


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name"]
        ref_name = "KnowledgeCategory"


class PublicKnownErrorSerializer(serializers.ModelSerializer):
    """A known error as an end user may read it."""

    category = CategorySerializer(read_only=True, allow_null=True)

    class Meta:
        model = KnownError
        fields = ["id", "title", "state", "symptoms", "workaround", "fix_status", "category", "affected_service",
                  "published_at", "updated_at"]
        read_only_fields = fields


class KnownErrorSerializer(PublicKnownErrorSerializer):
    """A known error as staff read it: everything the admin shows."""

    class Meta(PublicKnownErrorSerializer.Meta):
        fields = [*PublicKnownErrorSerializer.Meta.fields, "root_cause", "public", "needs_permanent_fix",
                  "recurrence_count", "recurrence_flagged_at", "retired_at", "created_at"]
        read_only_fields = fields


class PublicKnownErrorSchema(OpenApiSerializerExtension):
    """The end users' shape is closed (no other properties), so that the staff shape, which has
    more, matches only its own schema: the API answers "one of" the two, never both."""

    target_class = PublicKnownErrorSerializer

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        return {**schema, "additionalProperties": False}


class ArticleSerializer(serializers.ModelSerializer):
    category = CategorySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Article
        fields = ["id", "title", "kind", "audience", "state", "body", "category", "published_at", "retired_at",
                  "created_at", "updated_at"]
        read_only_fields = fields


class MatchRequestSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MAX_TEXT_CHARS, allow_blank=False,
        help_text="The problem as someone describes it (an incident's summary and description). The matcher "
                  f"reads the first {MAX_TEXT_CHARS:,} characters, so longer texts are refused rather than cut.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=5,
                                     help_text="How many suggestions at most.")

    class Meta:
        ref_name = "KnowledgeMatch"  # "KnowledgeMatchRequest" in the schema


class SuggestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[KNOWN_ERROR, ARTICLE])
    id = serializers.IntegerField()
    title = serializers.CharField()
    excerpt = serializers.CharField(help_text="Plain text: a known error's workaround, the start of an article.")
    score = serializers.FloatField(help_text="Higher is better; comparable within one answer only.")
    url = serializers.URLField(help_text="The item in this API.")

    class Meta:
        ref_name = "KnowledgeSuggestion"

    def to_representation(self, suggestion: Suggestion) -> dict:
        view_name = "known-error-detail" if suggestion.kind == KNOWN_ERROR else "article-detail"
        return {
            "kind": suggestion.kind, "id": suggestion.id, "title": suggestion.title, "excerpt": suggestion.excerpt,
            "score": suggestion.score,
            "url": reverse(view_name, args=[suggestion.id], request=self.context.get("request")),
        }


class MatchResponseSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True, help_text="Best first.")

    class Meta:
        ref_name = "KnowledgeMatchResult"
