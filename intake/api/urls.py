"""The intake routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

from .alerts import AlertmanagerIntakeViewSet, GenericAlertIntakeViewSet

routes: list = [
    ("intake/alertmanager", AlertmanagerIntakeViewSet, "intake-alertmanager"),
    ("intake/alerts", GenericAlertIntakeViewSet, "intake-alerts"),
]
