"""The accounts intake acts as: an alert source's and a pipe mailbox's own account.

Such an account reports incidents and holds API tokens; it cannot sign in (no usable password) and
holds no staff role, so that a leaked intake token can open and follow incidents, nothing more.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify

from core.roles import REPORTER


def service_account(kind: str, name: str):
    """A new account for the `kind` ("alerts", "mail") called `name`, e.g. intake-alerts-prometheus."""
    return new_reporter(f"intake-{kind}-{slugify(name)[:100] or 'source'}", first_name=name[:150],
                        last_name="(monitoring)" if kind == "alerts" else "(mail)")


def new_reporter(base: str, **fields):
    """A new account that only reports and cannot sign in (no usable password), under the first free
    username of `base`, `base-2`, ... `fields` are its name and address."""
    User = get_user_model()
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, **fields)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=REPORTER)[0])
    return user
