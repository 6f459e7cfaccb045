"""The OpenAPI description: every operation lists the error responses it can give, in the one
error shape (`core.api.errors`), so that a client reads what a 409 or a 429 carries."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(help_text="A stable code: invalid, not_authenticated, authentication_failed, "
                                           "permission_denied, not_found, refused, stale, transition_refused, "
                                           "payload_too_large, throttled, ...")
    detail = serializers.CharField(help_text="A sentence for a person.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="400: the fields that are not valid, each with its messages.")
    allowed_transitions = serializers.ListField(child=serializers.CharField(), required=False,
                                                help_text="409 on a transition: those the caller may take now.")
    retry_after = serializers.IntegerField(required=False, help_text="429: seconds to wait.")

    class Meta:
        ref_name = "Error"


ERRORS = {
    "400": "The request is not valid: `errors` names the fields.",
    "401": "No credentials, or a token that is not valid, revoked or expired.",
    "403": "The caller may not do this.",
    "404": "No such object, or not one the caller may see.",
    "409": "Refused as things stand: an illegal or stale transition (`detail` says why).",
    "413": "The request body is too large.",
    "415": "The body is not in a format this operation takes (JSON, or multipart for files).",
    "429": "Too many requests: wait `retry_after` seconds.",
}
READ_ERRORS = ("400", "401", "403", "404", "429")  # 400: a filter value that is not valid
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "429")


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = READ_ERRORS if self.method in ("GET", "HEAD", "OPTIONS") else WRITE_ERRORS
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[code]), code)
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The API token (`tokens.authentication`), named by path: the kernel imports no app."""

    target_class = "tokens.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "http", "scheme": "bearer",
                "description": "An API token issued in the admin: `Authorization: Bearer itsm_…`."}
