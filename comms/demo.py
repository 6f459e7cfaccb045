"""The status page of the demo (`manage.py seed_demo`): every demo service listed under a group, the
printers' state set by hand for a planned upgrade, and the communications lead's first public
update on the VPN outage (declared major by `response.demo`), so that `/status/` and the portal's
banner show it.

Through the services, as maria and dana. Idempotent: a component, the override or the update
already there is left as it is.
"""

from __future__ import annotations

from django.db import transaction

from incidents.models import Incident, Service, Team

from . import services
from .models import ComponentStatus, Stakeholder, StatusComponent, StatusGroup, Update
from .status import services as status_services

GROUPS = [
    ("Collaboration", ["E-mail", "File shares"]),
    ("Network and remote access", ["VPN", "Wi-Fi"]),
    ("Business applications", ["CRM", "Payroll"]),
    ("Office", ["Printing"]),
]
OVERRIDE = ("Printing", ComponentStatus.DEGRADED, "Printer firmware upgrade on floor 3 until Friday: "
            "print to the floor 2 printers meanwhile.")
OUTAGE_SUMMARY = "VPN down for all remote staff since 08:00"  # response.demo's major incident
# Who hears the outage's updates besides those who would anyway (its reporter, the managers, the
# commander and the communications lead): the directors' list, and the Platform team, whose
# services sit behind the VPN.
STAKEHOLDERS = [("email", "directors@example.com", "external"), ("team", "Platform", "internal")]
OUTAGE_UPDATE = ("We know that the VPN gateway is unreachable and are working on it with our network "
                 "provider. Staff in the office are not affected. Next update within the hour.")


def seed(org) -> int:
    """Returns how many rows it added (components, the override, the stakeholders, the update)."""
    added = 0
    with transaction.atomic():
        services_by_name = {s.name: s for s in Service.objects.all()}
        for group_position, (group_name, names) in enumerate(GROUPS, start=1):
            group, _ = StatusGroup.objects.get_or_create(name=group_name, defaults={"position": group_position})
            for position, name in enumerate(names, start=1):
                service = services_by_name.get(name)
                if service is None or StatusComponent.objects.filter(service=service).exists():
                    continue
                StatusComponent.objects.create(service=service, group=group, position=position)
                added += 1
        name, status, reason = OVERRIDE
        printing = StatusComponent.objects.filter(service__name=name, override="").first()
        if printing is not None and not printing.history.exclude(override="").exists():
            status_services.set_override(component=printing, status=status, reason=reason, by=org.users["maria"])
            added += 1
        outage = Incident.objects.filter(summary=OUTAGE_SUMMARY, is_major=True).order_by("pk").first()
        if outage is not None and not Stakeholder.objects.filter(incident=outage).exists():
            for kind, value, audience in STAKEHOLDERS:
                chosen = {"email": value} if kind == "email" else {"team": Team.objects.get(name=value)}
                services.add_stakeholder(incident=outage, by=org.users["maria"], audience=audience, **chosen)
                added += 1
        if outage is not None and not Update.objects.filter(incident=outage, to_status_page=True).exists():
            services.post_update(incident=outage, author=org.users["dana"], body=OUTAGE_UPDATE,
                                 subject="VPN outage", to_external=True, to_status_page=True)
            added += 1
    return added
