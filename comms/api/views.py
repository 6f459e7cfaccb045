"""GET/POST /api/v1/incidents/{reference}/updates/: an incident's stakeholder updates, and posting
one, as the admin's "Post an update" does (the same service, the same checks and audiences)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.views import PARENT_PARAMETER, IncidentPartViewSet
from incidents.selectors import display_name

from .. import services
from ..models import Template, Update


class UpdateSerializer(serializers.ModelSerializer):
    posted_by = serializers.SerializerMethodField()
    audiences = serializers.ListField(child=serializers.CharField(), read_only=True,
                                      help_text="internal, external, status page")
    recipients = serializers.SerializerMethodField(help_text="E-mails owed (staff only; null for reporters).")

    class Meta:
        model = Update
        fields = ["id", "created_at", "posted_by", "subject", "body", "audiences", "recipients"]
        ref_name = "StakeholderUpdate"

    def get_posted_by(self, update: Update) -> str:
        return display_name(update.posted_by)

    def get_recipients(self, update: Update) -> int | None:
        return update.recipient_count if self.context.get("internal") else None


class UpdateCreateSerializer(serializers.Serializer):
    template = serializers.PrimaryKeyRelatedField(
        queryset=Template.objects.filter(active=True), required=False, allow_null=True, default=None,
        help_text="A template to fill `subject` and `body` from when they are left out.")
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=services.TEXT_LIMIT, required=False, allow_blank=True, default="")
    to_internal = serializers.BooleanField(default=False)
    to_external = serializers.BooleanField(default=False)
    to_status_page = serializers.BooleanField(default=False)

    class Meta:
        ref_name = "StakeholderUpdateCreate"


@extend_schema_view(
    list=extend_schema(summary="Stakeholder updates of an incident", parameters=[PARENT_PARAMETER]),
    retrieve=extend_schema(summary="One stakeholder update", parameters=[PARENT_PARAMETER]),
    create=extend_schema(summary="Post a stakeholder update", parameters=[PARENT_PARAMETER],
                         request=UpdateCreateSerializer, responses={201: UpdateSerializer}),
)
class IncidentUpdateViewSet(mixins.CreateModelMixin, IncidentPartViewSet):
    """The updates posted about an incident. Staff who read it in full see every update; its
    reporter sees those sent to the external audience or the status page. Those who work on it post."""

    serializer_class = UpdateSerializer

    def get_queryset(self) -> QuerySet[Update]:
        if getattr(self, "swagger_fake_view", False):
            return Update.objects.none()
        updates = Update.objects.filter(incident=self.incident).select_related("posted_by")
        if not self.internal:
            updates = updates.filter(to_external=True) | updates.filter(to_status_page=True)
        return updates.annotate(recipient_count=Count("messages"))

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["internal"] = self.internal
        return context

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = UpdateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not services.may_post(request.user, self.incident):
            raise PermissionDenied(f"Only those who work on {self.incident.reference} post its updates.")
        subject, body = data["subject"], data["body"]
        if data["template"] is not None and not body.strip():
            rendered = data["template"].render(self.incident)
            subject, body = subject or rendered.subject, rendered.body
        update = services.post_update(
            incident=self.incident, author=request.user, body=body, subject=subject, template=data["template"],
            to_internal=data["to_internal"], to_external=data["to_external"], to_status_page=data["to_status_page"])
        update = self.get_queryset().get(pk=update.pk)
        return self.created(UpdateSerializer, update, "incident-updates-detail")
