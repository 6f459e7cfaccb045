"""The conformance checklist on an incident's admin page and on the major-incident page (registered
on `incidents.panels` from `ComplianceConfig.ready`: the response app sits below compliance)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from incidents import roles
from incidents.models import Incident

from . import checklist


def checklist_panel(request: HttpRequest, incident: Incident) -> str:
    """The SOP checklist with its evidence, for those who read the incident's whole record."""
    if not roles.sees_internal(request.user, incident):
        return ""
    result = checklist(incident)
    met, applicable = result.score
    return render_to_string("compliance/conformance/panel.html", {
        "incident": incident, "checklist": result, "met": met, "applicable": applicable,
    }, request=request)
