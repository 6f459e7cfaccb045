from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance evidence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_grant_metrics, sender=self, dispatch_uid="compliance-metrics-roles")
        _chain_audit(self)
        _conformance(self)


def _grant_metrics(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers and auditors read the SLA metrics and export the period's incidents (each
    of them only the incidents they may see)."""
    from core.permissions import grant
    from core.roles import AUDITOR, INCIDENT_MANAGER

    grant(sender.label, {role: ["view_slametrics"] for role in (INCIDENT_MANAGER, AUDITOR)}, using=using)


def _chain_audit(config: AppConfig) -> None:
    """Every event, history row and export joins the audit chain in its own transaction."""
    from django.db.models.signals import post_save
    from simple_history.signals import post_create_historical_m2m_records, post_create_historical_record

    from incidents import events
    from response.models import CustodyEntry, Notice

    from .audit import sources

    events.register_owed(sources.on_events)
    post_create_historical_record.connect(sources.on_history, dispatch_uid="compliance-audit-history")
    post_create_historical_m2m_records.connect(sources.on_m2m_history, dispatch_uid="compliance-audit-m2m")
    for model in (CustodyEntry, Notice):
        post_save.connect(sources.on_security_record, sender=model, dispatch_uid=f"compliance-audit-{model.__name__}")
    post_migrate.connect(_grant_audit, sender=config, dispatch_uid="compliance-audit-roles")


def _grant_audit(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers and auditors read the audit trail and export bundles (of the incidents
    each may see)."""
    from core.permissions import grant
    from core.roles import AUDITOR, INCIDENT_MANAGER

    grant(sender.label, {role: ["view_auditentry", "export_audit"] for role in (INCIDENT_MANAGER, AUDITOR)},
          using=using)


def _conformance(config: AppConfig) -> None:
    """The SOP checklist on the incident's admin page and on the major-incident page (the response
    app, below this one, renders the "major" panels), and the report's grant."""
    from incidents import panels

    from .conformance.panels import checklist_panel

    panels.register("admin", "compliance.conformance", checklist_panel)
    panels.register("major", "compliance.conformance", checklist_panel)
    post_migrate.connect(_grant_conformance, sender=config, dispatch_uid="compliance-conformance-roles")


def _grant_conformance(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers and auditors read the conformance report (of the incidents each may see)."""
    from core.permissions import grant
    from core.roles import AUDITOR, INCIDENT_MANAGER

    grant(sender.label, {role: ["view_conformancereport"] for role in (INCIDENT_MANAGER, AUDITOR)}, using=using)
