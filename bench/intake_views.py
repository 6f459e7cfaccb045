"""The ceiling of the alert ingest benchmark (`bench.alert_ingest`), mounted only by `bench.settings`.

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
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes, throttle_classes
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from intake.alerts.signals import digest
from intake.api.alerts import IntakeThrottle
from intake.models import AlertGroup, AlertSource

from .views import write_submission_rows


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
