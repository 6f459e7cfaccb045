from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IncidentsConfig(AppConfig):
    name = "incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles_and_defaults, sender=self, dispatch_uid="incidents-defaults")
        from .sla_defaults import ensure as ensure_sla_defaults

        post_migrate.connect(ensure_sla_defaults, sender=self, dispatch_uid="incidents-sla-defaults")


def _ensure_roles_and_defaults(sender, using="default", apps=None, **kwargs) -> None:
    """Roles with their permissions, the default priority matrix and the reference counter.

    Idempotent; runs after every migrate and after a test database is flushed."""
    from itsm.permissions import grant

    from .models import DEFAULT_MATRIX, PriorityRule, Sequence
    from .roles import ROLE_PERMISSIONS

    grant(sender.label, ROLE_PERMISSIONS, using=using)
    for (impact, urgency), priority in DEFAULT_MATRIX.items():
        PriorityRule.objects.using(using).get_or_create(impact=impact, urgency=urgency,
                                                        defaults={"priority": priority})
    Sequence.objects.using(using).get_or_create(name="incident")
