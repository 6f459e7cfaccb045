"""Endpoints for the webhook tests (incidents and people come from `incidents.tests`)."""

from __future__ import annotations

from webhooks.models import Endpoint

from .receiver import Receiver


def make_endpoint(owner, receiver: Receiver | None = None, **fields) -> Endpoint:
    """An endpoint of `owner`; with a receiver, pointed at it and sharing its secret."""
    fields.setdefault("name", f"Endpoint of {owner.get_username()}")
    fields.setdefault("url", receiver.url if receiver else "https://hooks.example.com/itsm")
    endpoint = Endpoint.objects.create(owner=owner, **fields)
    if receiver is not None:
        receiver.secret = endpoint.secret
    return endpoint
