"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core import roles

from .models import ApiToken

KEY_PREFIX = "itsm_"
# A token used again within this time is not written again: one UPDATE a minute, not one a request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def accounts_for(issuer) -> QuerySet:
    """Whose tokens `issuer` may issue: their own; an incident manager's also those of accounts that
    only report (a monitoring system's, a script's); a superuser's, anyone's. A token acts as its
    account, so issuing one for a colleague or a superuser would be acting as them."""
    users = get_user_model().objects.filter(is_active=True)
    if issuer.is_superuser:
        return users
    if issuer.has_perm("tokens.manage_all_tokens"):
        staff = users.filter(groups__name__in=roles.STAFF_ROLES)
        return users.filter(is_superuser=False).exclude(pk__in=staff.values("pk")) | users.filter(pk=issuer.pk)
    return users.filter(pk=issuer.pk)


def issue(*, user, name: str, created_by=None, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`, issued by `created_by` (default: the user). Returns it and the key,
    which exists nowhere else: show it once."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValueError("Give the token a name that says what uses it.")
    if created_by is not None and created_by.pk != user.pk and not accounts_for(created_by).filter(pk=user.pk).exists():
        raise PermissionError(f"{created_by} may not issue tokens for {user}.")
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=digest(key),
                                    created_by=created_by or user, expires_at=expires_at)
    return token, key


def parse_prefix(key: str) -> str | None:
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = key[len(KEY_PREFIX):].partition("_")
    return prefix if prefix and secret else None


# One-to-one relations of the token's user that the apps above read on every request of such a
# token (an alert source's account: its source), read in the token's own query (`read_with_user`).
USER_RELATIONS: list[str] = []


def read_with_user(relation: str) -> None:
    """Read the user's reverse one-to-one `relation` with every token (from an app's `ready()`):
    an alert source's post then finds its source without a query of its own."""
    if relation not in USER_RELATIONS:
        USER_RELATIONS.append(relation)


def authenticate(key: str, *, ip: str | None = None) -> ApiToken | None:
    """The usable token for this key, or None. Looked up by prefix, compared in constant time."""
    prefix = parse_prefix(key)
    if prefix is None:
        return None
    # The prefix is unique: `get`, not `first()`, which would sort by the model's ordering first.
    try:
        token = (ApiToken.objects.usable()
                 .select_related("user", *(f"user__{relation}" for relation in USER_RELATIONS)).get(prefix=prefix))
    except ApiToken.DoesNotExist:
        token = None
    if token is None or not hmac.compare_digest(token.digest, digest(key)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION or token.last_used_ip != ip:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token


def revoke(token: ApiToken, *, by) -> bool:
    """Revoke the token (it stays listed, with who revoked it and when). False if it already was."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by)
    return bool(updated)
