"""What every API view of the project shares: the body limit, and the transitions of a state machine
(`TransitionActions`), written once for incidents, knowledge items, reviews and action items."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, routers, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import WorkflowError
from core.transitions import TransitionInfo

from .errors import Conflict, PayloadTooLarge
from .schema import ErrorSerializer
from .throttling import AnonymousIPThrottle


class RequestChecksMixin:
    """The checks every API view makes before anything else (first in each viewset's bases):

    - 413 before a byte of an oversize body is parsed (ITSM_API_MAX_BODY_BYTES);
    - the per-address limit for callers without valid credentials, before the 401: DRF checks
      permissions before throttles, so a client guessing tokens would never be slowed down.
    """

    def body_limit(self) -> int:
        """The largest body this view reads (a view taking whole e-mails allows more)."""
        return settings.ITSM_API_MAX_BODY_BYTES

    def too_large(self, length: int) -> str:
        return f"The request body is {length:,} bytes; at most {self.body_limit():,} are accepted."

    def initial(self, request: Request, *args, **kwargs) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.body_limit():
            raise PayloadTooLarge(self.too_large(length))
        failure = None
        try:
            authenticated = request.user.is_authenticated
        except exceptions.AuthenticationFailed as error:
            authenticated, failure = False, error
        if not authenticated:
            limit = AnonymousIPThrottle()
            if not limit.allow_request(request, self):
                self.throttled(request, limit.wait())
        if failure is not None:
            raise failure  # DRF would otherwise go on as anonymous and say "not provided"
        super().initial(request, *args, **kwargs)


class ApiRootView(RequestChecksMixin, routers.APIRootView):
    """/api/v1/: the list of the API's collections."""


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField(help_text="The state it leads to.")
    needs_reason = serializers.BooleanField()
    inputs = serializers.ListField(child=serializers.CharField(), help_text="Inputs it takes besides `reason`.")

    class Meta:
        ref_name = "Transition"

    @staticmethod
    def of(info: TransitionInfo) -> dict:
        return {"name": info.name, "label": info.label, "target": info.target, "needs_reason": info.needs_reason,
                "inputs": list(info.fields)}


class TransitionInputSerializer(serializers.Serializer):
    """What every transition takes; a state machine's own inputs are added by its viewset."""

    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    from_state = serializers.CharField(
        required=False, help_text="The state the caller saw. If the object has moved on since, the transition "
                                  "is refused with 409 (`stale`) instead of acting on a state nobody looked at.")


class TransitionActions:
    """`GET <detail>/transitions/`: the transitions the caller may take now, and
    `POST <detail>/transitions/<name>/`: take one, with `reason`, `from_state` and the inputs the
    state machine's forms take. A refusal is 409 with its sentence and the transitions allowed now.

    A viewset says how: `offered_transitions(obj)`, `take_transition(obj, name, reason, inputs)`,
    and optionally `transition_input_serializer(name)` for the inputs of each transition.
    """

    state_field = "state"

    def offered_transitions(self, obj) -> list[TransitionInfo]:
        raise NotImplementedError

    def take_transition(self, obj, name: str, *, reason: str, inputs: dict):
        raise NotImplementedError

    def transition_input_serializer(self, name: str) -> type[serializers.Serializer]:
        return TransitionInputSerializer

    def refused(self, message: str, *, code: str) -> Conflict:
        fresh = self.get_object()
        return Conflict(message, code=code, state=getattr(fresh, self.state_field),
                        allowed_transitions=[info.name for info in self.offered_transitions(fresh)])

    @extend_schema(responses=TransitionSerializer(many=True), summary="Transitions the caller may take now")
    @action(detail=True, methods=["get"], url_path="transitions", filter_backends=[], pagination_class=None)
    def transitions(self, request: Request, *args, **kwargs) -> Response:
        obj = self.get_object()
        return Response([TransitionSerializer.of(info) for info in self.offered_transitions(obj)])

    @extend_schema(
        summary="Take a transition",
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, description="The transition's name.")],
        responses={200: None, 409: OpenApiResponse(ErrorSerializer, description="Refused: `detail` says why, "
                                                   "`allowed_transitions` what is possible now.")},
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)", filter_backends=[])
    def take(self, request: Request, name: str, *args, **kwargs) -> Response:
        obj = self.get_object()
        serializer = self.transition_input_serializer(name)(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        inputs = dict(serializer.validated_data)
        reason = inputs.pop("reason", "")
        from_state = inputs.pop("from_state", None)
        if from_state is not None and from_state != getattr(obj, self.state_field):
            raise self.refused(f"It is now {getattr(obj, self.state_field)}, not {from_state}: someone else changed it "
                               "since you loaded it.", code="stale")
        try:
            result = self.take_transition(obj, name, reason=reason, inputs=inputs)
        except WorkflowError as refusal:
            raise self.refused(refusal.message, code="transition_refused") from None
        return Response(self.get_serializer(result).data)
