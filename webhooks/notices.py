"""The e-mail that tells an endpoint's owner it was disabled for failing, and its task.

Owed as a row like every message (`core.outbox`): disabling sets `disabled_at` and leaves
`disabled_notice_sent_at` empty in the same statement; the task sends and marks it under the row
lock, and the relay (`stale`) queues it again if its task was lost. It goes through the project's
mail settings (EMAIL_*, DEFAULT_FROM_EMAIL), like every other e-mail.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from core import outbox
from core.retry import MAIL_TASK
from core.text import mail_subject

from .models import Endpoint

logger = logging.getLogger(__name__)


def owed():
    return Endpoint.objects.filter(active=False, disabled_at__isnull=False)


def tell_owner(endpoint_id: int) -> int:
    """Send the owed notice about this endpoint, once. Returns how many were sent (0 or 1)."""

    def send(endpoints: list[Endpoint]) -> list[Endpoint]:
        for endpoint in endpoints:
            owner = endpoint.owner
            if not owner.email:
                logger.warning("Webhook endpoint %s was disabled; its owner %s has no e-mail address",
                               endpoint.pk, owner.get_username())
                continue
            body = render_to_string("webhooks/email/disabled.txt", {
                "endpoint": endpoint, "owner": owner, "base_url": settings.ITSM_BASE_URL,
                "give_up_hours": settings.ITSM_WEBHOOK_GIVE_UP_HOURS,
                "link": reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
            })
            send_mail(mail_subject(f"Webhook endpoint disabled: {endpoint.name}"), body, None, [owner.email])
        # Marked told either way: an owner without an address cannot be e-mailed on a later try.
        return endpoints

    return outbox.send_owed(owed().filter(pk=endpoint_id).select_related("owner"), send,
                            sent_field="disabled_notice_sent_at")


def stale(written_before, written_after, limit: int):
    """The relay's finder: notices still owed for endpoints disabled in the window."""
    rows = (owed().filter(disabled_notice_sent_at__isnull=True, disabled_at__lt=written_before,
                          disabled_at__gte=written_after)
            .order_by("disabled_at").values_list("pk", flat=True)[:limit])
    for endpoint_id in rows:
        yield tell_owner_task, (endpoint_id,)


@shared_task(name="webhooks.tasks.tell_owner_disabled", **MAIL_TASK)
def tell_owner_task(endpoint_id: int) -> int:
    return tell_owner(endpoint_id)
