"""The incident's communications on its admin page: who hears its updates, the updates posted, and
the way to post one (registered on `incidents.panels` from `CommsConfig.ready`)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from . import services, stakeholders
from .models import Update

LISTED = 5


def communications_panel(request, incident) -> str:
    if not request.user.has_perm("comms.view_update"):
        return ""
    internal, external = stakeholders.by_audience(incident)
    updates = list(Update.objects.filter(incident=incident).select_related("posted_by")[:LISTED])
    return render_to_string("comms/admin/panel.html", {
        "incident": incident, "updates": updates, "may_post": services.may_post(request.user, incident),
        "internal": internal, "external": external,
    }, request=request)


def post_update_url(incident) -> str:
    """The "Post an update" form for the incident, filled from the status-update template."""
    return f"{reverse('admin:comms_update_add')}?incident={incident.reference}&purpose=update"
