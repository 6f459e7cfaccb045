"""The regulations every installation has, ensured after every migrate (a flush in transactional
tests removes rows a data migration wrote), and the roles' permissions on the clocks."""

from __future__ import annotations

from datetime import timedelta

BUILTINS = (
    {"code": "gdpr", "name": "GDPR", "window": timedelta(hours=72),
     "authority": "The lead supervisory authority (data protection authority)",
     "description": "Art. 33 GDPR: notify the supervisory authority without undue delay and, where feasible, "
                    "not later than 72 hours after having become aware of a personal data breach."},
    {"code": "hipaa", "name": "HIPAA", "window": timedelta(days=60),
     "authority": "The affected individuals and the HHS Secretary (and the media above 500 residents of a state)",
     "description": "45 CFR 164.404: notify without unreasonable delay and in no case later than 60 calendar "
                    "days after discovery of a breach of unsecured protected health information."},
)


def ensure_builtins(sender, using: str = "default", apps=None, **kwargs) -> None:
    """post_migrate: the built-in regulations exist (an admin's edits to them are kept)."""
    if apps is None:
        from django.apps import apps
    try:
        Regulation = apps.get_model("response", "Regulation")
    except LookupError:  # migrated back below the regulatory tables
        return
    for row in BUILTINS:
        Regulation.objects.using(using).get_or_create(code=row["code"], defaults=row)


def grant(sender, using: str = "default", apps=None, **kwargs) -> None:
    """Who works incidents sees the clocks (each as far as they see the incident) and applies or
    stops them where the service lets them; incident managers keep the catalogue; auditors read."""
    from core.permissions import grant as grant_roles
    from core.roles import AUDITOR, DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    reading = ["view_regulation", "view_regulatoryclock"]
    grant_roles(sender.label, {
        DESK_AGENT: reading, RESOLVER: reading, AUDITOR: reading,
        INCIDENT_MANAGER: [*reading, "add_regulation", "change_regulation"],
    }, using=using)
