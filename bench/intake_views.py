"""The ceilings of the intake benchmarks (`bench.alert_ingest`, `bench.mail_ingest`), mounted only by
`bench.settings`.

`bare_alert` is a plain DRF function view behind what the intake's own view sits behind: the same
middleware, the Bearer token authentication, `IsAuthenticated`, the intake's per-token throttle
(`IntakeThrottle`), the JSON parser and renderer. It reads the payload's `groupKey` and writes the
fewest rows the post needs, in one transaction:

- a key with an open group of the caller's source (a repeat): lock that group's row, add one to its
  occurrences and stamp its last-seen time, as the product's repeat does; 200;
- a new key: the rows of a bare incident (`write_submission_rows`: counter, incident, history row,
  event, outbox row) and the group's row; 201.

No payload validation, signal, label rules, classification, SLA clock, signature or timeline
check: what the intake's own work is measured against. Its answer has the fields the load
generator checks (`opened`, `changed`).

`bare_email` sits behind what the raw-message endpoint does (the same middleware, authentication,
permission, throttle and raw-message parser) and finds the caller's mailbox as it does. It reads
the Message-ID and the subject with a regular expression, not a MIME parser, and writes the rows:
the message's record (`InboundMessage`, no raw file) and, for a subject naming an incident, a public
comment and its event on it; otherwise a bare incident's rows. No loop, rate or sender checks, no
text extraction or reply cutting, no classification. 201 with the fields the load checks.
"""

from __future__ import annotations

import hashlib
import re

from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes, throttle_classes
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.models import Comment, EventKind, Incident, IncidentEvent
from intake.alerts.signals import digest
from intake.api.alerts import IntakeThrottle
from intake.api.mail import RawMessageParser
from intake.models import AlertGroup, AlertSource, InboundMessage, Mailbox, MessageOutcome

from .views import write_submission_rows

MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
SUBJECT = re.compile(rb"^subject:[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
REFERENCE = re.compile(r"\[(INC-\d{6,})\]")


@api_view(["POST"])
@parser_classes([JSONParser])
@permission_classes([IsAuthenticated])
@throttle_classes([IntakeThrottle])
def bare_alert(request: Request) -> Response:
    # The harness deletes the groups and incidents it writes afterwards, as it does the product's.
    key = str(request.data.get("groupKey", ""))
    key_digest = digest(key)
    now = timezone.now()
    with transaction.atomic():
        group = (AlertGroup.objects.select_for_update(of=("self",))
                 .filter(source__service_user=request.user, key_digest=key_digest, open=True).first())
        if group is not None:
            group.occurrences += 1
            group.last_seen_at = now
            group.save(update_fields=["occurrences", "last_seen_at"])
            return Response({"opened": False, "changed": False, "occurrences": group.occurrences})
        source = AlertSource.objects.get(service_user=request.user)
        incident = write_submission_rows(request.user, summary=key, description="")
        AlertGroup.objects.create(source=source, dedup_key=key, key_digest=key_digest, incident=incident,
                                  first_seen_at=now, last_seen_at=now, alerts=request.data.get("alerts", []))
    return Response({"opened": True, "changed": True, "occurrences": 1}, status=status.HTTP_201_CREATED)


@api_view(["POST"])
@parser_classes([RawMessageParser])
@permission_classes([IsAuthenticated])
@throttle_classes([IntakeThrottle])
def bare_email(request: Request) -> Response:
    # The harness deletes the records, incidents and comments it writes afterwards.
    raw = request.data
    mailbox = Mailbox.objects.filter(service_user=request.user).first()
    found = MESSAGE_ID.search(raw)
    subject = SUBJECT.search(raw)
    subject = subject.group(1).decode("utf-8", "replace").strip() if subject else ""
    reference = REFERENCE.search(subject)
    with transaction.atomic():
        row = InboundMessage.objects.create(
            mailbox=mailbox, message_key=found.group(1).decode() if found else hashlib.sha256(raw).hexdigest(),
            message_digest=hashlib.sha256(raw).hexdigest(), sender=str(request.user.email)[:254],
            subject=subject[:300], outcome=MessageOutcome.OPENED, size=len(raw))
        incident = Incident.objects.filter(reference=reference.group(1)).first() if reference else None
        if incident is not None:
            comment = Comment.objects.create(incident=incident, author=incident.reporter, body=subject, public=True)
            IncidentEvent.objects.create(incident=incident, kind=EventKind.COMMENT, actor=incident.reporter,
                                         comment=comment, public=True, message=subject[:200])
            row.outcome = MessageOutcome.COMMENTED
        else:
            incident = write_submission_rows(request.user, summary=subject, description=raw.decode("utf-8", "replace"))
        row.incident = incident
        row.save(update_fields=["outcome", "incident"])
    return Response({"outcome": row.outcome, "incident": incident.reference, "duplicate": False},
                    status=status.HTTP_201_CREATED)
