from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_grant_metrics, sender=self, dispatch_uid="compliance-metrics-roles")


def _grant_metrics(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers and auditors read the SLA metrics and export the period's incidents (each
    of them only the incidents they may see)."""
    from core.permissions import grant
    from core.roles import AUDITOR, INCIDENT_MANAGER

    grant(sender.label, {role: ["view_slametrics"] for role in (INCIDENT_MANAGER, AUDITOR)}, using=using)
