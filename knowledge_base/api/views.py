"""Known errors and articles in the API: read, filter, search, match a text, and move through the
publish workflow. Who sees what is `selectors.visible_*`; who may take which transition is the
workflow's (`services.available_transitions` / `services.transition`), as in the admin."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import filters, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import RequestChecksMixin, TransitionActions, TransitionInputSerializer

from .. import selectors, services
from ..models import Article, KnownError
from .filters import ArticleFilter, KnownErrorFilter
from .serializers import (
    ArticleSerializer,
    KnownErrorSerializer,
    MatchRequestSerializer,
    MatchResponseSerializer,
    PublicKnownErrorSerializer,
)


def known_error_shapes(*, many: bool = False) -> PolymorphicProxySerializer:
    """Staff and end users get different shapes of a known error: the schema says "one of"."""
    return PolymorphicProxySerializer(
        component_name="KnownErrorAsRead", serializers=[KnownErrorSerializer, PublicKnownErrorSerializer],
        resource_type_field_name=None, many=many,
    )


class KnowledgeViewSet(RequestChecksMixin, TransitionActions, viewsets.ReadOnlyModelViewSet):
    """What known errors and articles share: the visibility rule, filters, search and ordering on
    local fields (cursor pages order by one column), and the publish workflow."""

    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    ordering_fields = ["title", "updated_at", "created_at", "id"]
    ordering = ["title", "id"]

    def offered_transitions(self, obj):
        return services.available_transitions(obj, self.request.user)

    def take_transition(self, obj, name: str, *, reason: str, inputs: dict):
        return services.transition(item=obj, user=self.request.user, name=name, reason=reason)


@extend_schema_view(
    list=extend_schema(summary="Known errors", responses=known_error_shapes(many=True)),
    retrieve=extend_schema(summary="A known error", responses=known_error_shapes()),
    take=extend_schema(request=TransitionInputSerializer, responses={200: known_error_shapes()}),
)
class KnownErrorViewSet(KnowledgeViewSet):
    """Staff see every known error in every state, as in the admin; end users the published ones
    whose workaround is public, without the root cause and the recurrence bookkeeping."""

    filterset_class = KnownErrorFilter
    # The admin's search box: what users see and report, never the internal root cause.
    search_fields = ["title", "symptoms", "affected_service"]

    def get_queryset(self) -> QuerySet[KnownError]:
        return selectors.visible_known_errors(self.request.user).select_related("category")

    def get_serializer_class(self):
        if self.action == "match":
            return MatchRequestSerializer
        if selectors.sees_every_item(self.request.user, KnownError):
            return KnownErrorSerializer
        return PublicKnownErrorSerializer

    @extend_schema(
        summary="Match a text against the knowledge base",
        description="Published known errors and articles ranked against the text, best first: what the portal "
                    "suggests before someone reports an incident, and what the desk sees at triage. End users get "
                    "only the items they may read (public workarounds, public articles).",
        request=MatchRequestSerializer, responses=MatchResponseSerializer,
    )
    @action(detail=False, methods=["post"], url_path="match", filter_backends=[], pagination_class=None)
    def match(self, request: Request) -> Response:
        asked = MatchRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        found = selectors.suggest_for(request.user, asked.validated_data["text"], limit=asked.validated_data["limit"])
        return Response(MatchResponseSerializer({"results": found}, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary="Articles"),
    retrieve=extend_schema(summary="An article"),
    take=extend_schema(request=TransitionInputSerializer, responses={200: ArticleSerializer}),
)
class ArticleViewSet(KnowledgeViewSet):
    """Staff see every article in every state, as in the admin; end users the published public ones."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    search_fields = ["title", "body"]

    def get_queryset(self) -> QuerySet[Article]:
        return selectors.visible_articles(self.request.user).select_related("category")
