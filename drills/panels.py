"""The drill on its incident's admin page (registered on `incidents.panels`): which scenario, who
started it, its score once ended, and the way to the drill's page."""

from __future__ import annotations

from django.template.loader import render_to_string

from incidents import roles

from . import selectors


def admin_panel(request, incident) -> str:
    if not incident.exercise or not roles.sees_internal(request.user, incident):
        return ""
    drill = selectors.drill_of(incident)
    if drill is None:
        return ""
    return render_to_string("drills/admin/panel.html", {"drill": drill, "incident": incident}, request=request)
