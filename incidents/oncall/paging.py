"""Pages: an urgent e-mail and an outbound webhook to one person, acknowledged from a signed link
(the link's page is `views.acknowledge_view`).

`send_page` runs in a task after the page row is committed. Each channel has its own "sent"
marker, set under the row lock right after the send, so a redelivered task does not repeat what
finished; a send cut off by a dying worker is repeated, and the webhook carries an
`Idempotency-Key` so that the far end can tell.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.retry import MAIL_ERRORS, MAIL_TASK
from core.text import mail_subject

from .. import events
from ..models import EventKind, Page
from ..notifications import DRILL_TEXT, drill_marked

logger = logging.getLogger(__name__)

ACK_SALT = "incidents.page-ack"
ACK_MAX_AGE = 7 * 24 * 3600
# Outbound failures worth a retry (the task retries them a bounded number of times).
TRANSIENT = (urllib.error.URLError, ConnectionError, TimeoutError)


def ack_token(page: Page | int) -> str:
    return signing.dumps({"page": page if isinstance(page, int) else page.pk}, salt=ACK_SALT)


def ack_url(page: Page | int) -> str:
    return settings.ITSM_BASE_URL + reverse("paging:ack", args=[ack_token(page)])


def page_from_token(token: str) -> Page | None:
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    except signing.BadSignature:
        return None
    return Page.objects.select_related("incident", "user").filter(pk=data.get("page")).first()


def acknowledge(page: Page | int, *, by=None, at=None) -> bool:
    """Mark the page acknowledged (the chain stops). False if it already was.

    `by` is who acknowledges; only the person paged may (the view checks who is signed in)."""
    pk = page if isinstance(page, int) else page.pk
    at = at or timezone.now()
    with transaction.atomic():
        locked = Page.objects.select_for_update().select_related("incident", "user").get(pk=pk)
        if by is not None and by.pk != locked.user_id:
            raise PermissionError(f"page {pk} was sent to {locked.user}, not to {by}")
        if locked.acknowledged_at is not None:
            return False
        locked.acknowledged_at = at
        locked.save(update_fields=["acknowledged_at"])
        events.record(locked.incident, kind=EventKind.PAGE, actor=locked.user, notify=False,
                      message=f"{locked.user} acknowledged the page.")
    return True


def _payload(page: Page) -> dict:
    incident = page.incident
    return {
        "page": page.pk,
        "step": page.step,
        "incident": incident.reference,
        "summary": drill_marked(incident, incident.summary, mark=DRILL_TEXT),
        # A drill's page: the paging service may route it differently (or not wake anyone at night).
        "exercise": incident.exercise,
        "priority": f"P{incident.priority}",
        "team": str(incident.team) if incident.team_id else None,
        "user": page.user.get_username(),
        "email": page.user.email,
        "acknowledge_url": ack_url(page),
        "incident_url": settings.ITSM_BASE_URL + reverse("admin:incidents_incident_change", args=[incident.pk])
        if _admin_registered() else settings.ITSM_BASE_URL + incident.get_absolute_url(),
    }


def _admin_registered() -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse("admin:incidents_incident_change", args=[1])
    except NoReverseMatch:
        return False
    return True


def post_webhook(url: str, payload: dict, *, key: str, timeout: float = 10.0) -> int:
    """POST the page to the paging service. Standard library only; raises on failure."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": key, "User-Agent": "itsm-paging/1"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (URL from settings)
        return response.status


class PageBusy(Exception):
    """Another worker holds the page row (sending it, or died holding it): try again shortly."""


def send_page(page_id: int) -> dict[str, bool]:
    """Send one page by e-mail and webhook; each at most once once it has succeeded.

    Raises PageBusy when another worker holds the row: the task retries, rather than assume that
    the other one will finish (it may be a worker that died mid-send).
    """
    pages = Page.objects.filter(pk=page_id).select_related("incident__team", "user")

    def email(rows: list[Page]) -> list[Page]:
        page = rows[0]
        if not page.user.email:
            return []
        incident = page.incident
        drill = "This is a drill: answer it as you would the real thing.\n\n" if incident.exercise else ""
        send_mail(
            mail_subject(drill_marked(incident, f"[PAGE] {incident.reference} P{incident.priority}: {incident.summary}")),
            drill_marked(incident, f"You are on call and {incident.reference} needs you now.\n\n", mark=DRILL_TEXT)
            + f"{drill}{incident.summary}\n\nAcknowledge: {ack_url(page)}\n",
            None, [page.user.email],
        )
        return rows

    sent = {"email": bool(outbox.send_owed(pages, email, sent_field="email_sent_at", busy=PageBusy)), "webhook": False}
    url = getattr(settings, "ITSM_PAGING_WEBHOOK_URL", "")
    if not url:
        return sent

    def webhook(rows: list[Page]) -> list[Page]:
        page = rows[0]
        post_webhook(url, _payload(page), key=f"page-{page.pk}")
        Page.objects.filter(pk=page.pk).update(attempts=F("attempts") + 1)
        return rows

    try:
        sent["webhook"] = bool(outbox.send_owed(pages, webhook, sent_field="webhook_sent_at", busy=PageBusy))
    except TRANSIENT as error:
        Page.objects.filter(pk=page_id).update(last_error=str(error)[:1000])
        raise
    return sent


def stale(written_before, written_after, limit: int):
    """The relay's finder (`core.outbox.register_relay`): pages not acknowledged whose e-mail (to a
    person with an address) or webhook is still unsent, written in the window."""
    owed = Q(email_sent_at__isnull=True) & ~Q(user__email="")
    if getattr(settings, "ITSM_PAGING_WEBHOOK_URL", ""):
        owed |= Q(webhook_sent_at__isnull=True)
    pages = (Page.objects.filter(owed, acknowledged_at__isnull=True, created_at__lt=written_before,
                                 created_at__gte=written_after)
             .order_by("pk").values_list("pk", flat=True)[:limit])
    for page_id in pages:
        yield send_page_task, (page_id,)


# --- the task that sends (name pinned: it was registered under incidents.tasks) ------------------
@shared_task(
    name="incidents.tasks.send_page",
    **{**MAIL_TASK, "autoretry_for": (*MAIL_ERRORS, *TRANSIENT, PageBusy), "max_retries": 8,
       "retry_backoff": 5, "retry_backoff_max": 120},
)
def send_page_task(page_id: int) -> dict:
    return send_page(page_id)
