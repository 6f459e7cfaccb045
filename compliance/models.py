"""Who changed who may do what: the history of every user account and of every group.

A role is a group, so a user's group membership is their access (an incident manager sees every
confidential incident); a group's permissions are what the role may do. Both are recorded like
the incident's own history: each change a row, with who made it and when. Sign-ins and failed
sign-ins are django-axes' access and failure logs (`itsm.settings`, AXES_*).

The password hash is never copied into history, and `last_login` is left out (it changes on every
sign-in, which the access log records anyway).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from simple_history import register

from .metrics.models import SlaMetrics  # noqa: F401  (the SLA metrics' admin page and permission)

register(get_user_model(), app=__package__, m2m_fields=["groups", "user_permissions"],
         excluded_fields=["password", "last_login"])
register(Group, app=__package__, m2m_fields=["permissions"])
