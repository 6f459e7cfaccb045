"""POST /api/v1/intake/email/: a raw RFC 822 message in, from a mail server that pipes its mail.

Called with a token of a pipe mailbox's own account (`Mailbox.service_user`): the token says which
mailbox the message came to, so its unknown-sender rule and defaults apply; revoking it (or
deactivating the mailbox) cuts the mail server off. Any other account's token is refused with 403.

The body is the message itself, `Content-Type: message/rfc822` (or application/octet-stream), up
to ITSM_MAIL_MAX_BYTES (larger than the API's general body limit: a message carries its
attachments base64-encoded). Answers:
201 for a message not received before, whatever became of it (opened, a reply, ignored, refused,
quarantined: `outcome` says), 200 with the first outcome for one received before. A mail server
can therefore retry on anything but a 2xx (and 401/403/413/415, which retrying does not change).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import PayloadTooLarge
from core.api.schema import ErrorSerializer
from core.api.views import RequestChecksMixin

from ..mail import process
from ..models import Mailbox, MailboxKind, MessageOutcome
from .alerts import IntakeThrottle

MEDIA_TYPE = "message/rfc822"


class RawMessageParser(BaseParser):
    """The body as bytes, read up to the mail limit (the API's JSON limit is not the mail's)."""

    media_type = MEDIA_TYPE

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        if stream is None:
            return b""
        raw = stream.read(settings.ITSM_MAIL_MAX_BYTES + 1)
        if len(raw) > settings.ITSM_MAIL_MAX_BYTES:
            raise PayloadTooLarge(too_large(len(raw)))
        return raw


class OctetStreamMessageParser(RawMessageParser):
    """The same, for a pipe that labels the message as plain bytes."""

    media_type = "application/octet-stream"


def too_large(size: int) -> str:
    return (f"The message is {size:,} bytes or more; at most {settings.ITSM_MAIL_MAX_BYTES:,} are accepted "
            "(ITSM_MAIL_MAX_BYTES).")


class InboundResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=MessageOutcome.choices,
                                      help_text="What became of the message (of its first delivery, for a repeat).")
    incident = serializers.CharField(allow_null=True, help_text="The incident it opened or answered, if any.")
    duplicate = serializers.BooleanField(help_text="Whether the message had been received before.")
    message_key = serializers.CharField(help_text="Its Message-ID, or sha256:<digest> for a message without one.")
    rejected_attachments = serializers.ListField(child=serializers.DictField(),
                                                 help_text="Attachments the upload checks refused, with why.")
    detail = serializers.CharField()

    class Meta:
        ref_name = "InboundEmailResult"


class RawEmailIntakeViewSet(RequestChecksMixin, viewsets.ViewSet):
    """One raw RFC 822 message (`Content-Type: message/rfc822`), as a mail server pipes it, with a
    token of a pipe mailbox's account. A new message opens an incident for its sender or becomes a
    reply on the incident it answers; a program's mail is recorded and ignored; each message is
    processed once, by its Message-ID."""

    parser_classes = [RawMessageParser, OctetStreamMessageParser]
    permission_classes = [IsAuthenticated]
    throttle_classes = [IntakeThrottle]

    def body_limit(self) -> int:
        return settings.ITSM_MAIL_MAX_BYTES

    def too_large(self, length: int) -> str:
        return too_large(length)

    def mailbox(self, request: Request) -> Mailbox:
        mailbox = (Mailbox.objects.select_related("default_category", "default_team")
                   .filter(service_user=request.user).first())
        if mailbox is None or mailbox.kind != MailboxKind.PIPE:
            raise PermissionDenied("This token is not a pipe mailbox's: issue one from the mailbox in the admin "
                                   "(Intake → Mailboxes).")
        if not mailbox.active:
            raise PermissionDenied(f"The mailbox “{mailbox}” is inactive.")
        return mailbox

    @extend_schema(
        operation_id="intake_email", summary="Receive a raw e-mail message",
        request={MEDIA_TYPE: OpenApiTypes.BINARY, "application/octet-stream": OpenApiTypes.BINARY},
        responses={
            201: OpenApiResponse(InboundResultSerializer, description="A message not received before: `outcome` "
                                                                      "says what became of it."),
            200: OpenApiResponse(InboundResultSerializer, description="Received before: nothing was done again."),
            403: OpenApiResponse(ErrorSerializer, description="The token is not a pipe mailbox's, or the mailbox "
                                                              "is inactive."),
        },
    )
    def create(self, request: Request) -> Response:
        mailbox = self.mailbox(request)
        raw = request.data
        if not isinstance(raw, bytes) or not raw.strip():
            raise exceptions.ValidationError({"non_field_errors": ["Send the raw message as the request body "
                                                                   f"(Content-Type: {MEDIA_TYPE})."]})
        row = process.receive(mailbox, raw)
        body = {
            "outcome": row.outcome, "incident": row.incident.reference if row.incident_id else None,
            "duplicate": row.duplicate, "message_key": row.message_key,
            "rejected_attachments": row.rejected_attachments, "detail": row.reason,
        }
        return Response(body, status=status.HTTP_200_OK if row.duplicate else status.HTTP_201_CREATED)
