"""How the security response plugs into the rest: its panel on the incident's admin page, the relay
for notices' e-mails, the communications' "affected customers", the checklist of an incident that
has just become a security incident, and the permissions of each role."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def connect(app: AppConfig) -> None:
    """From the app's `ready()`."""
    from comms import stakeholders
    from core.outbox import register_relay
    from incidents import panels
    from incidents.signals import event_recorded

    from . import delivery, selectors
    from . import panels as security_panels

    post_migrate.connect(_grant, sender=app, dispatch_uid="response-security-roles")
    panels.register("admin", "response.security", security_panels.admin_panel)
    register_relay("security notices", delivery.stale)
    stakeholders.register_customers(selectors.customer_addresses)
    event_recorded.connect(_became_security, dispatch_uid="response-security-steps")


def _became_security(sender, event_id: int, incident_id: int, kind: str, **kwargs) -> None:
    """An incident flagged as security gets its containment steps at once (after the flag committed);
    one classified into a security category gets them when its page first asks (`ensure_steps`)."""
    from incidents.models import EventKind, Incident

    from .services import ensure_steps

    if kind == EventKind.SECURITY:
        incident = Incident.objects.filter(pk=incident_id, security=True).first()
        if incident is not None:
            ensure_steps(incident)


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Those who work incidents reach the security pages (each incident only as far as the visibility
    rule lets them, and only its workers act: the services check); auditors read them. Incident
    managers configure the checklists and who legal and compliance are."""
    from core.permissions import grant
    from core.roles import AUDITOR, DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    read = ["view_evidence", "view_custodyentry", "view_notice", "view_noticemessage",
            "view_forensicsengagement", "view_containmentitem", "view_noticerecipient"]
    work = [*read, "add_evidence", "change_evidence", "add_notice", "add_forensicsengagement"]
    configure = ["add_containmentitem", "change_containmentitem", "delete_containmentitem",
                 "add_noticerecipient", "change_noticerecipient", "delete_noticerecipient"]
    grant(sender.label, {DESK_AGENT: work, RESOLVER: work, INCIDENT_MANAGER: [*work, *configure], AUDITOR: read},
          using=using)
