"""The incidents API: incidents (list, open, read, edit, transitions, timeline), their comments and
attachments, and the teams, categories and services they point at.

A thin surface over the services and selectors. Every read goes through the one visibility rule
(`Incident.objects.visible_to`, the twin of `roles.can_view`), so an incident the caller may not see
is 404, the same answer as for one that does not exist; every write is a service call, whose
refusals come back in the one error shape (`core.api.errors`): 403 for an incident the caller sees
but may not change, 409 for a refused or stale transition or edit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property

from django.core.exceptions import PermissionDenied as RefusedByService
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import Conflict
from core.api.pagination import CursorPagination
from core.api.schema import ErrorSerializer
from core.api.views import RequestChecksMixin, TransitionActions
from core.transitions import TransitionInfo

from .. import major, roles, security, selectors, services, uploads, visibility
from ..models import Attachment, Category, Channel, Comment, Incident, Service, Team
from .filters import IncidentFilterSet, StableOrdering
from .serializers import (
    REFERENCE_HELP,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CategorySerializer,
    ChildLinkSerializer,
    ChildSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    CommentUploadSerializer,
    IncidentAsSeenSerializer,
    IncidentCreateSerializer,
    IncidentReceiptSerializer,
    IncidentSerializer,
    IncidentTransitionInputSerializer,
    IncidentUpdateSerializer,
    MajorDeclareSerializer,
    MajorStandDownSerializer,
    ReporterIncidentSerializer,
    ServiceSerializer,
    TeamSerializer,
    TimelineEntrySerializer,
    timeline_rows,
    transition_inputs,
)

# What an incident's representation reads besides its own row: one join each, never a query a row.
# The runbooks too (`selectors.runbook_of`): joined, so the staff shape's runbook costs no query a row.
INCIDENT_RELATED = ("category", "service", "team", "hold_kind", "reporter", "assignee", "parent", "commander",
                    "comms_lead", *selectors.RUNBOOK_RELATED)
# Idempotency keys are the caller's own: the same key from two people is two submissions.
IDEMPOTENCY_NAMESPACE = uuid.UUID("5f0c8e1e-6d0b-4d47-9a59-0c1f7e1b2a64")
IDEMPOTENCY_KEY_MAX = 255

INCIDENT_PARAMETER = OpenApiParameter("reference", str, OpenApiParameter.PATH, description=REFERENCE_HELP)
PARENT_PARAMETER = OpenApiParameter("incident_reference", str, OpenApiParameter.PATH, description=REFERENCE_HELP)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Any string up to 255 characters, new for each incident the caller means to open. The same "
                "key again (a retried request) opens nothing more: it answers 200 with the incident the first "
                "request opened (as the caller may see it now), and `Idempotent-Replayed: true`.")


def incident_shapes(*, receipt: bool, many: bool = False) -> PolymorphicProxySerializer:
    """For the description of the API: the shapes an incident is read in (`IncidentAsSeenSerializer`),
    told apart by `access`. A write may leave the caller with an incident they no longer see: a receipt."""
    shapes = [IncidentSerializer, ReporterIncidentSerializer, *([IncidentReceiptSerializer] if receipt else [])]
    return PolymorphicProxySerializer(component_name="IncidentAfterWrite" if receipt else "IncidentAsSeen",
                                      serializers=shapes, resource_type_field_name="access", many=many)


SHAPES_HELP = ("The incident as the caller may see it, its shape named by `access`: `staff` (the whole incident), "
               "`reporter` (what its reporter is shown)")
AS_SEEN = OpenApiResponse(incident_shapes(receipt=False), description=f"{SHAPES_HELP}.")
AFTER_WRITE_HELP = (f"{SHAPES_HELP}, or `none` (id, reference and a sentence) when it went to a confidential queue "
                    "the caller may not see")


def with_children_count(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Each incident with how many are linked under it, as a subquery on the parent index: a page
    of a large list counts its own rows' children, not every incident's."""
    linked = (Incident.objects.filter(parent_id=OuterRef("pk")).order_by().values("parent_id")
              .annotate(n=Count("pk")).values("n"))
    return queryset.annotate(children_count=Coalesce(Subquery(linked, output_field=IntegerField()), 0))


@contextmanager
def sentence_kept() -> Iterator[None]:
    """A service's PermissionDenied as the API's 403 with the service's sentence (the error
    handler would answer Django's with a generic one)."""
    try:
        yield
    except RefusedByService as refusal:
        raise PermissionDenied(str(refusal) or None) from None


class OldestFirst(CursorPagination):
    """Comments and files in the order they were written, as on the timelines."""

    ordering = "id"


class ByName(CursorPagination):
    ordering = "name"


class MayViewTeams(BasePermission):
    message = "Teams are listed for the service desk, resolvers and incident managers."

    def has_permission(self, request: Request, view) -> bool:
        return request.user.has_perm("incidents.view_team")


class FileRenderer(BaseRenderer):
    """Lets a download be asked for as `Accept: application/octet-stream`; the file itself is a
    FileResponse that no renderer touches, and an error is still the JSON error."""

    media_type = "application/octet-stream"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


# --- incidents ------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Incidents the caller may see", responses=OpenApiResponse(
        incident_shapes(receipt=False, many=True), description=f"{SHAPES_HELP}, chosen for each incident.")),
    retrieve=extend_schema(summary="One incident", parameters=[INCIDENT_PARAMETER], responses=AS_SEEN),
    create=extend_schema(
        summary="Open an incident", request=IncidentCreateSerializer, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: OpenApiResponse(incident_shapes(receipt=True), description=f"{AFTER_WRITE_HELP}."),
                   200: OpenApiResponse(incident_shapes(receipt=True), description=(
                       f"A replay: the incident this Idempotency-Key opened before, as it is now. {AFTER_WRITE_HELP}."
                   ))}),
    partial_update=extend_schema(
        summary="Edit an incident", request=IncidentUpdateSerializer, parameters=[INCIDENT_PARAMETER],
        responses=OpenApiResponse(incident_shapes(receipt=True), description=f"{AFTER_WRITE_HELP}.")),
    transitions=extend_schema(parameters=[INCIDENT_PARAMETER]),
    take=extend_schema(
        request=IncidentTransitionInputSerializer, parameters=[INCIDENT_PARAMETER],
        responses={
            200: OpenApiResponse(incident_shapes(receipt=True), description=f"{AFTER_WRITE_HELP}."),
            409: OpenApiResponse(ErrorSerializer, description="Refused: `detail` says why, `allowed_transitions` "
                                                              "what is possible now."),
        }),
)
class IncidentViewSet(RequestChecksMixin, TransitionActions, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Incidents, addressed by reference (`INC-000123`) or by id. A reporter sees the incidents they
    reported; staff see every incident but the confidential ones of other teams (incident managers
    see those too). Each comes in the shape its reader may see (`access`): the whole incident for
    those who see it for their work, what the portal shows for its reporter."""

    serializer_class = IncidentSerializer
    lookup_field = "reference"
    filterset_class = IncidentFilterSet
    filter_backends = [DjangoFilterBackend, StableOrdering]
    ordering_fields = ["opened_at", "updated_at", "priority", "id"]
    # The admin list's order, which the incident_newest index serves.
    ordering = ["-opened_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Incident]:
        user = self.request.user
        # Each row's shape is judged by the rules: whether the caller is named on it comes with the row.
        visible = visibility.with_participation(Incident.objects.visible_to(user), user)
        return with_children_count(visible.select_related(*INCIDENT_RELATED))

    def get_object(self) -> Incident:
        try:
            incident = selectors.visible_incident(self.request.user, self.kwargs[self.lookup_field],
                                                  related=INCIDENT_RELATED)
        except Http404:
            # Whoever logged a security incident hears that it moved to the security team (403
            # with the sentence); for anyone else it does not exist.
            lookup = selectors.incident_lookup(self.kwargs[self.lookup_field])
            moved = security.moved_to_security(self.request.user, **lookup)
            if moved is not None:
                raise PermissionDenied(security.moved_sentence(moved), code="moved_to_security_team") from None
            raise
        self.check_object_permissions(self.request, incident)
        return incident

    def get_serializer(self, *args, **kwargs) -> IncidentAsSeenSerializer:
        """Every incident this viewset returns (list, read, transitions) in the shape its reader may see."""
        kwargs.setdefault("context", self.get_serializer_context())
        return IncidentAsSeenSerializer(*args, **kwargs)

    def represent(self, incident: Incident, **kwargs) -> Response:
        fresh = with_children_count(Incident.objects.select_related(*INCIDENT_RELATED)).get(pk=incident.pk)
        return Response(self.get_serializer(fresh).data, **kwargs)

    # --- open -------------------------------------------------------------------------------------
    def create(self, request: Request, *args, **kwargs) -> Response:
        user = request.user
        # Before the request is validated: validating `reporter` or `team` looks it up, and would
        # tell someone who may not log for others whether a user name or a team exists.
        with sentence_kept():
            services.check_may_log_for_others(user, self.staff_only_sent(request))
        serializer = IncidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with sentence_kept():
            incident = services.incident_create(
                reporter=data.pop("reporter", user), created_by=user, channel=data.pop("channel", Channel.API),
                submission_key=self.submission_key(request), **data,
            )
        replayed = getattr(incident, "resubmitted", False)
        headers = {"Location": reverse("incident-detail", kwargs={"reference": incident.reference})}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return self.represent(incident, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
                              headers=headers)

    @staticmethod
    def staff_only_sent(request: Request) -> list[str]:
        """The fields only those who log for others set that the request sends (naming oneself as
        the reporter is not logging for someone else)."""
        data = request.data if isinstance(request.data, Mapping) else {}
        return [name for name in IncidentCreateSerializer.STAFF_ONLY
                if name in data and not (name == "reporter" and data.get(name) == request.user.get_username())]

    @staticmethod
    def submission_key(request: Request) -> uuid.UUID | None:
        """The `Idempotency-Key` header as the service's submission key, scoped to the caller."""
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return None
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise serializers.ValidationError({"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]})
        return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{request.user.pk}:{key}")

    # --- edit -------------------------------------------------------------------------------------
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        incident = self.get_object()
        user = request.user
        if not roles.can_work_on(user, incident):
            raise PermissionDenied(f"Only the people who work on {incident.reference} may edit it.")
        serializer = IncidentUpdateSerializer(incident, data=request.data, partial=True,
                                              context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        edits = dict(serializer.validated_data)
        version = edits.pop("version", None)
        changed = [name for name, value in edits.items() if getattr(incident, name) != value]
        for name in changed:
            setattr(incident, name, edits[name])
        with transaction.atomic():
            if version is not None:
                current = Incident.objects.select_for_update().values_list("version", flat=True).get(pk=incident.pk)
                if current != version:
                    raise Conflict(f"{incident.reference} was changed by someone else since version {version} "
                                   f"(it is at version {current}); reload it and try again.", code="stale")
            if changed:
                incident = services.incident_save_edits(incident=incident, user=user, changed=changed)
        return self.represent(incident)

    # --- transitions (core.api.views.TransitionActions) --------------------------------------------
    def offered_transitions(self, obj: Incident) -> list[TransitionInfo]:
        user = self.request.user
        return services.available_transitions(obj, user, for_reporter=not roles.sees_internal(user, obj))

    def transition_input_serializer(self, name: str):
        if name not in services.TRANSITIONS.names():
            raise NotFound(f"Incidents have no transition “{name}”.")
        return transition_inputs(name)

    def take_transition(self, obj: Incident, name: str, *, reason: str, inputs: dict) -> Incident:
        user = self.request.user
        if name == "close" and obj.reporter_id == user.pk and not roles.can_work_on(user, obj):
            # The reporter's "yes, it is fixed": recorded even while a review holds the incident open.
            incident, _closed = services.confirm_fix(incident=obj, user=user, reason=reason)
            return incident
        return services.transition(incident=obj, user=user, name=name, reason=reason, **inputs)

    # --- major incident -----------------------------------------------------------------------
    @extend_schema(summary="Declare a major incident", parameters=[INCIDENT_PARAMETER], request=MajorDeclareSerializer,
                   responses=OpenApiResponse(incident_shapes(receipt=True), description=f"{AFTER_WRITE_HELP}."))
    @action(detail=True, methods=["post"], url_path="major", filter_backends=[], pagination_class=None)
    def major(self, request: Request, *args, **kwargs) -> Response:
        """Incident managers only, with a reason; the commander defaults to the caller. Refused
        (409) for an incident already major, closed, or linked under another."""
        incident = self.get_object()
        serializer = MajorDeclareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        incident = major.declare(incident=incident, user=request.user, reason=data["reason"],
                                 commander=data.get("commander"), comms_lead=data.get("comms_lead"))
        return self.represent(incident)

    @extend_schema(summary="Stand a major incident down", parameters=[INCIDENT_PARAMETER],
                   request=MajorStandDownSerializer,
                   responses=OpenApiResponse(incident_shapes(receipt=True), description=f"{AFTER_WRITE_HELP}."))
    @action(detail=True, methods=["post"], url_path="major/stand-down", filter_backends=[], pagination_class=None)
    def stand_down(self, request: Request, *args, **kwargs) -> Response:
        """It is not a major incident after all: incident managers, with a reason, once nothing is
        linked under it."""
        incident = self.get_object()
        serializer = MajorStandDownSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = major.stand_down(incident=incident, user=request.user,
                                    reason=serializer.validated_data["reason"])
        return self.represent(incident)

    # --- timeline ---------------------------------------------------------------------------------
    @extend_schema(summary="The incident's timeline", parameters=[INCIDENT_PARAMETER],
                   responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request: Request, *args, **kwargs) -> Response:
        """Oldest first. The reporter's timeline is the portal's (public replies and events); staff
        get the admin's (every event)."""
        incident = self.get_object()
        rows = timeline_rows(incident, internal=roles.sees_internal(request.user, incident))
        context = {**self.get_serializer_context(), "incident": incident}
        return Response(TimelineEntrySerializer(rows, many=True, context=context).data)


# --- what belongs to one incident -----------------------------------------------------------------
class IncidentPartViewSet(RequestChecksMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rows of one incident (`/incidents/{incident_reference}/...`). The incident is looked up first,
    through the visibility rule, so its comments and files are 404 to whoever may not see it."""

    pagination_class = OldestFirst
    filter_backends: list = []

    @cached_property
    def incident(self) -> Incident:
        return selectors.visible_incident(self.request.user, self.kwargs["incident_reference"])

    @property
    def internal(self) -> bool:
        return roles.sees_internal(self.request.user, self.incident)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["incident"] = self.incident
        return context

    def check_may_write(self, public: bool | None) -> bool:
        """Whether what the caller writes is public: refused (403) to those who may not write on the
        incident, and to its reporter asking for a work note."""
        incident, user = self.incident, self.request.user
        if not roles.can_comment(user, incident):
            raise PermissionDenied(f"Only the reporter of {incident.reference} and the people who work on it "
                                   "may write on it.")
        as_reporter = not roles.can_work_on(user, incident)
        if as_reporter and public is False:
            raise PermissionDenied("What you write on your own incident is public: the service desk reads it as "
                                   "a reply. Work notes are for the people who work on it.")
        return as_reporter if public is None else public

    def created(self, serializer_class, obj, url_name: str) -> Response:
        location = reverse(url_name, kwargs={"incident_reference": self.incident.reference, "pk": obj.pk})
        return Response(serializer_class(obj, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED, headers={"Location": location})


@extend_schema_view(
    list=extend_schema(summary="Comments on an incident", parameters=[PARENT_PARAMETER]),
    retrieve=extend_schema(summary="One comment", parameters=[PARENT_PARAMETER]),
    create=extend_schema(summary="Comment on an incident", parameters=[PARENT_PARAMETER],
                         request={"application/json": CommentCreateSerializer,
                                  "multipart/form-data": CommentUploadSerializer},
                         responses={201: CommentSerializer}),
)
class IncidentCommentViewSet(mixins.CreateModelMixin, IncidentPartViewSet):
    """Public replies and internal work notes. The reporter reads and writes public replies only;
    those who work on the incident write either (a work note unless `public` is true)."""

    serializer_class = CommentSerializer

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return (selectors.incident_comments(self.incident, internal=self.internal)
                .select_related("author").prefetch_related("attachments"))

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = CommentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        public = self.check_may_write(data["public"])
        comment = services.comment_add(incident=self.incident, author=request.user, body=data["body"],
                                       public=public, files=data.get("files", []))
        comment = Comment.objects.select_related("author").prefetch_related("attachments").get(pk=comment.pk)
        return self.created(CommentSerializer, comment, "incident-comments-detail")


@extend_schema_view(
    list=extend_schema(summary="Files of an incident", parameters=[PARENT_PARAMETER]),
    retrieve=extend_schema(summary="One file's details", parameters=[PARENT_PARAMETER]),
    create=extend_schema(summary="Attach a file", parameters=[PARENT_PARAMETER],
                         request={"multipart/form-data": AttachmentUploadSerializer},
                         responses={201: AttachmentSerializer}),
)
class IncidentAttachmentViewSet(mixins.CreateModelMixin, IncidentPartViewSet):
    """Files of an incident: the reporter's and the public ones for the reporter, every one for
    staff. Uploads are checked like every other (size, allowed types, content)."""

    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Attachment]:
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        return selectors.incident_attachments(self.incident, internal=self.internal)

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        public = self.check_may_write(data["public"])
        attachment = services.attachment_add(incident=self.incident, user=request.user, upload=data["file"],
                                             public=public)
        return self.created(AttachmentSerializer, attachment, "incident-attachments-detail")

    @extend_schema(summary="Download a file", parameters=[PARENT_PARAMETER],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, FileRenderer])
    def download(self, request: Request, *args, **kwargs) -> FileResponse:
        """The file, as a download (never shown inline), to whoever may see it in the list."""
        return uploads.download(self.get_object())


@extend_schema_view(
    list=extend_schema(summary="Incidents linked under a major incident", parameters=[PARENT_PARAMETER]),
    retrieve=extend_schema(summary="One linked incident", parameters=[PARENT_PARAMETER, INCIDENT_PARAMETER]),
    create=extend_schema(summary="Link an incident under a major incident", parameters=[PARENT_PARAMETER],
                         request=ChildLinkSerializer, responses={201: ChildSerializer, 200: ChildSerializer}),
    destroy=extend_schema(summary="Unlink an incident from its major incident",
                          parameters=[PARENT_PARAMETER, INCIDENT_PARAMETER], responses={204: None}),
)
class IncidentChildViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, IncidentPartViewSet):
    """The incidents handled as part of a major incident (`/incidents/{parent}/children/`), each
    addressed by its reference. Linking and unlinking go through the services, which refuse chains,
    cycles, closed parents and confidentiality mismatches (409) with the sentence."""

    serializer_class = ChildSerializer
    lookup_field = "reference"
    pagination_class = OldestFirst

    def get_queryset(self) -> QuerySet[Incident]:
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        # Children the caller may not see are not listed: a confidential one never sits under an
        # open major incident (the services refuse it), but the rule is the one rule all the same.
        return (Incident.objects.visible_to(self.request.user).filter(parent_id=self.incident.pk)
                .select_related("team", "assignee"))

    def get_object(self) -> Incident:
        child = selectors.visible_incident(self.request.user, self.kwargs["reference"], related=("team", "assignee"))
        if child.parent_id != self.incident.pk:
            raise NotFound(f"{child.reference} is not linked under {self.incident.reference}.")
        return child

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = ChildLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        child = selectors.visible_incident(request.user, serializer.validated_data["incident"])
        already = child.parent_id == self.incident.pk
        major.link_child(parent=self.incident, child=child, user=request.user)
        child = Incident.objects.select_related("team", "assignee").get(pk=child.pk)
        if already:
            return Response(ChildSerializer(child).data)
        location = reverse("incident-children-detail",
                           kwargs={"incident_reference": self.incident.reference, "reference": child.reference})
        return Response(ChildSerializer(child).data, status=status.HTTP_201_CREATED, headers={"Location": location})

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        major.unlink_child(child=self.get_object(), user=request.user, reason=request.data.get("reason", "")
                              if isinstance(request.data, Mapping) else "")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- what incidents point at ----------------------------------------------------------------------
class TeamViewSet(RequestChecksMixin, viewsets.ReadOnlyModelViewSet):
    """The resolver teams and their queues (for staff)."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [IsAuthenticated, MayViewTeams]
    pagination_class = ByName
    filter_backends: list = []


class CategoryViewSet(RequestChecksMixin, viewsets.ReadOnlyModelViewSet):
    """What an incident can be about; everyone signed in reads them (the portal's report form offers them)."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    pagination_class = ByName
    filter_backends: list = []


class ServiceViewSet(RequestChecksMixin, viewsets.ReadOnlyModelViewSet):
    """The services an incident can affect; everyone signed in reads them (the portal's report form offers them)."""

    queryset = Service.objects.all()
    serializer_class = ServiceSerializer
    pagination_class = ByName
    filter_backends: list = []
