"""The major incident on an incident's pages (registered on `incidents.panels`): on the admin's,
a major incident's roles and children with the way to its page, a child's parent, or the way to
declare one; on the portal's, a child's reporter reads which incident theirs is handled with."""

from __future__ import annotations

from django.template.loader import render_to_string

from incidents import roles

from . import selectors


def admin_panel(request, incident) -> str:
    user = request.user
    if not roles.sees_internal(user, incident):
        return ""
    if incident.is_major:
        children = selectors.children_of(incident)
        return render_to_string("response/admin/panel_major.html", {
            "incident": incident, "children": children,
            "open_children": sum(1 for child in children if child.is_open),
        }, request=request)
    if incident.parent_id is not None:
        return render_to_string("response/admin/panel_child.html", {"incident": incident, "parent": incident.parent},
                                request=request)
    if roles.is_incident_manager(user) and incident.is_open:
        return render_to_string("response/admin/panel_declare.html", {"incident": incident}, request=request)
    return ""


def portal_panel(request, incident) -> str:
    if incident.parent_id is None or not roles.can_view(request.user, incident):
        return ""
    # The services link confidential incidents with confidential ones only: the parent's summary
    # is no more secret than the child's.
    return render_to_string("response/portal/part_of.html", {"incident": incident, "parent": incident.parent},
                            request=request)
