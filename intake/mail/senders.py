"""Who wrote: the account of a message's sender, found by address, or made for them when their
mailbox lets unknown senders report.

Such an account is a reporter's, like one the desk would make: it cannot sign in until its owner
sets a password ("Forgot your password?" reaches the address it was made for), and it sees only its
own incidents. A deactivated account is never brought back by mail, nor shadowed by a new one.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from ..accounts import new_reporter


def account_of(address: str):
    """The account with this e-mail address, an active one first; None when there is none."""
    return (get_user_model().objects.filter(email__iexact=address)
            .order_by("-is_active", "pk").first())


def reporter_account(address: str, name: str = ""):
    """A new reporter account for `address`, named after it (rita.jones, rita.jones-2, ...)."""
    local = address.rpartition("@")[0]
    base = slugify(local.replace(".", "-"))[:120].replace("-", ".") or "reporter"
    first, _, last = (name or "").partition(" ")
    return new_reporter(base, email=address, first_name=first[:150], last_name=last[:150])
