"""Granting each app's permissions to the roles (Django groups), after every migrate.

Apps declare which of their permissions each role holds; `grant` is connected to post_migrate,
which Django also sends after a test database is flushed, so roles survive transactional tests
just as the built-in permissions do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


def grant(app_label: str, role_permissions: Mapping[str, Sequence[str]], *, apps=global_apps, using: str = "default") -> None:
    """Give each role (created if missing) the listed permission codenames of `app_label`."""
    app_config = apps.get_app_config(app_label)
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in role_permissions.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        perms = list(
            Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise LookupError(f"{app_label} has no permissions {sorted(missing)} to give to {role}")
        group.permissions.add(*perms)
