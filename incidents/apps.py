from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IncidentsConfig(AppConfig):
    name = "incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles_and_defaults, sender=self, dispatch_uid="incidents-defaults")
        from .sla.defaults import ensure as ensure_sla_defaults

        post_migrate.connect(ensure_sla_defaults, sender=self, dispatch_uid="incidents-sla-defaults")
        _watch_sla_configuration()
        _relay_owed_messages()
        from . import major
        from .signals import incident_transitioned

        # Resolving a major incident resolves its children, in the same transaction.
        incident_transitioned.connect(major.on_incident_transitioned, dispatch_uid="incidents.major.resolve_children")
        from . import security

        # Triage into a security category is a security event on the timeline.
        incident_transitioned.connect(security.on_incident_transitioned, dispatch_uid="incidents.security.triaged")
        from . import panels
        from .admin import security as security_admin

        panels.register("admin", "security", security_admin.panel)


def _relay_owed_messages() -> None:
    """What incidents owes and the outbox relay must not lose (`core.outbox`)."""
    from core.outbox import register_relay

    from . import notifications
    from .oncall import handoff, paging

    register_relay("incident e-mails", notifications.stale)
    register_relay("pages", paging.stale)
    register_relay("handoff briefings", handoff.stale)


def _watch_sla_configuration() -> None:
    """Every save or deletion of the SLA configuration gives it a new stamp (see clock.current_config).

    Teams too: a rule keeps its target team, and deleting a team empties that field without a save.
    A stamp loaded from a fixture (a raw save) is renewed at once, lest it bring back a token that
    processes already hold.
    """
    from django.db.models.signals import post_delete, post_save

    from .models import BusinessCalendar, BusinessHours, EscalationRule, Holiday, SlaConfigStamp, SlaPolicy, Team
    from .sla import clock

    for model in (SlaPolicy, BusinessCalendar, BusinessHours, Holiday, EscalationRule, Team):
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(clock.config_changed, sender=model, dispatch_uid=f"sla-config-{model.__name__}-{name}")
    post_save.connect(_renew_loaded_stamp, sender=SlaConfigStamp, dispatch_uid="sla-config-stamp-loaded")


def _renew_loaded_stamp(sender, instance, raw=False, using=None, **kwargs) -> None:
    if raw:
        sender.renew(using)


def _ensure_roles_and_defaults(sender, using="default", apps=None, **kwargs) -> None:
    """Roles with their permissions, the default priority matrix, the reference counter and the
    hold reasons.

    Idempotent; runs after every migrate and after a test database is flushed."""
    from core.permissions import grant

    from .models import DEFAULT_HOLD_REASONS, DEFAULT_MATRIX, HoldReason, PriorityRule, Sequence
    from .roles import ROLE_PERMISSIONS

    grant(sender.label, ROLE_PERMISSIONS, using=using)
    for (impact, urgency), priority in DEFAULT_MATRIX.items():
        PriorityRule.objects.using(using).get_or_create(impact=impact, urgency=urgency,
                                                        defaults={"priority": priority})
    Sequence.objects.using(using).get_or_create(name="incident")
    # The hold reasons once, on an empty table: the desk edits the list afterwards.
    if not HoldReason.objects.using(using).exists():
        HoldReason.objects.using(using).bulk_create(
            [HoldReason(name=name, waits_for_reporter=waits, position=n)
             for n, (name, waits) in enumerate(DEFAULT_HOLD_REASONS)])
