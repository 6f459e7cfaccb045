"""The alerts behind an incident, on its admin page: which source, how often it fired, what is
firing now (registered on `incidents.panels` from `IntakeConfig.ready`)."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import AlertGroup

LISTED = 10


def alert_panel(request, incident) -> str:
    if not request.user.has_perm("intake.view_alertgroup"):
        return ""
    group = (AlertGroup.objects.select_related("source", "previous__incident")
             .filter(incident=incident).first())
    if group is None:
        return ""
    return render_to_string("intake/admin/alert_panel.html", {
        "group": group, "alerts": group.alerts[:LISTED], "more": max(len(group.alerts) - LISTED, 0),
    }, request=request)
