"""The intake routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

from .alerts import AlertmanagerIntakeViewSet, GenericAlertIntakeViewSet
from .mail import RawEmailIntakeViewSet

routes: list = [
    ("intake/alertmanager", AlertmanagerIntakeViewSet, "intake-alertmanager"),
    ("intake/alerts", GenericAlertIntakeViewSet, "intake-alerts"),
    ("intake/email", RawEmailIntakeViewSet, "intake-email"),
]
