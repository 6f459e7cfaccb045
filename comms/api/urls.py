"""The communications routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

from incidents.api.urls import INCIDENT

from .views import IncidentUpdateViewSet

routes: list = [
    (f"{INCIDENT}/updates", IncidentUpdateViewSet, "incident-updates"),
]
