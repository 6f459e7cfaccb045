"""Secrets and signatures in the Standard Webhooks scheme (https://www.standardwebhooks.com/).

Each message carries `webhook-id` (the same on every attempt, so that a receiver can drop a
duplicate), `webhook-timestamp` (this attempt's time, so that a replayed request is recognised as
old) and `webhook-signature`: HMAC-SHA256 of "id.timestamp.body" under the endpoint's secret,
"v1,<base64>", one per secret that signs (two while a rotated secret is being phased out).
A receiver checks them with any Standard Webhooks library: `Webhook(secret).verify(body, headers)`.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes, base64, with the scheme's prefix (the form receivers' libraries expect)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def headers(*, message_id: str, body: str, signing_secrets: Iterable[str], at: datetime) -> dict[str, str]:
    """The three headers of one attempt to send `body`."""
    at = at.astimezone(UTC)
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in signing_secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
