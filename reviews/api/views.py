"""Post-incident reviews and action items in the API: read, filter, edit a review's narrative, and
take the transitions the workflow allows the caller.

Who may open the lists at all is the admin's gate (the model's view permission: staff roles);
which rows they see is `selectors.visible_*` (a review of a confidential incident stays with the
people who may see that incident); edits and transitions are `services`' own rules.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, permissions, viewsets
from rest_framework.exceptions import PermissionDenied

from core.api.views import RequestChecksMixin, TransitionActions, TransitionInputSerializer
from core.errors import WorkflowError

from .. import selectors, services
from ..models import ActionItem, PostIncidentReview, TimelineEntry
from .filters import ActionItemFilter, ReviewFilter
from .serializers import ActionItemSerializer, ReviewDetailSerializer, ReviewSerializer


class HoldsViewPermission(permissions.BasePermission):
    """The view's `view_permission`, as the admin requires it before showing the model at all."""

    message = "Post-incident reviews are for the service desk, resolvers and incident managers."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm(view.view_permission)


class ReviewsViewSet(RequestChecksMixin, TransitionActions, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, HoldsViewPermission]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    view_permission: str


@extend_schema_view(
    list=extend_schema(summary="Post-incident reviews"),
    retrieve=extend_schema(summary="A post-incident review, with its timeline and action items"),
    partial_update=extend_schema(
        summary="Edit a review's narrative",
        description="The review's owner or an incident manager, until it is published (403 otherwise). "
                    "The state changes through transitions only."),
    take=extend_schema(request=TransitionInputSerializer, responses={200: ReviewSerializer}),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ReviewsViewSet):
    view_permission = "reviews.view_postincidentreview"
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ["-created_at", "-id"]
    # PATCH edits; a PUT would have to restate every field, and POST is for transitions.
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[PostIncidentReview]:
        queryset = PostIncidentReview.objects.select_related("incident", "owner")
        if self.action in ("retrieve", "partial_update"):
            queryset = queryset.prefetch_related(
                Prefetch("timeline", queryset=TimelineEntry.objects.select_related("actor")),
                Prefetch("action_items", queryset=ActionItem.objects.select_related("owner", "team")),
            )
        return selectors.visible_reviews(self.request.user, selectors.with_action_counts(queryset))

    def get_serializer_class(self):
        return ReviewDetailSerializer if self.action in ("retrieve", "partial_update") else ReviewSerializer

    def perform_update(self, serializer) -> None:
        review = serializer.instance
        changed = [name for name, value in serializer.validated_data.items() if getattr(review, name) != value]
        for name in changed:
            setattr(review, name, serializer.validated_data[name])
        try:
            services.review_save_edits(review=review, user=self.request.user, changed=changed)
        except WorkflowError as refused:
            # Not the caller's to edit (someone else's review, or a published record).
            raise PermissionDenied(refused.message) from None
        serializer.instance = self.get_queryset().get(pk=review.pk)

    def offered_transitions(self, obj: PostIncidentReview):
        return services.available_transitions(obj, self.request.user)

    def take_transition(self, obj: PostIncidentReview, name: str, *, reason: str, inputs: dict) -> PostIncidentReview:
        done = services.review_transition(review=obj, user=self.request.user, name=name, reason=reason)
        return self.get_queryset().get(pk=done.pk)


@extend_schema_view(
    list=extend_schema(summary="Action items of post-incident reviews"),
    retrieve=extend_schema(summary="An action item"),
    take=extend_schema(
        request=TransitionInputSerializer, responses={200: ActionItemSerializer},
        description="`drop` (won't do) takes its reason in `reason`, and is refused (409) without one."),
)
class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ReviewsViewSet):
    view_permission = "reviews.view_actionitem"
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "priority", "created_at", "id"]
    ordering = ["due_date", "priority", "id"]

    def get_queryset(self) -> QuerySet[ActionItem]:
        queryset = ActionItem.objects.select_related("review__incident", "review__owner", "owner", "team")
        return selectors.visible_action_items(self.request.user, queryset)

    def offered_transitions(self, obj: ActionItem):
        return services.available_transitions(obj, self.request.user)

    def take_transition(self, obj: ActionItem, name: str, *, reason: str, inputs: dict) -> ActionItem:
        # The won't-do reason is the transition's reason (`ActionItemTransitions.prepare`).
        done = services.action_item_transition(item=obj, user=self.request.user, name=name, reason=reason)
        return self.get_queryset().get(pk=done.pk)
