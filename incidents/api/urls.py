"""The incidents routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

from .views import (
    CategoryViewSet,
    IncidentAttachmentViewSet,
    IncidentChildViewSet,
    IncidentCommentViewSet,
    IncidentViewSet,
    ServiceViewSet,
    TeamViewSet,
)

# An incident's comments and files hang under it, addressed by its reference or id.
INCIDENT = r"incidents/(?P<incident_reference>[^/.]+)"

routes: list = [
    ("incidents", IncidentViewSet, "incident"),
    (f"{INCIDENT}/comments", IncidentCommentViewSet, "incident-comments"),
    (f"{INCIDENT}/attachments", IncidentAttachmentViewSet, "incident-attachments"),
    (f"{INCIDENT}/children", IncidentChildViewSet, "incident-children"),
    ("teams", TeamViewSet, "team"),
    ("categories", CategoryViewSet, "category"),
    ("services", ServiceViewSet, "service"),
]
