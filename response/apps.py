from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ResponseConfig(AppConfig):
    """Major incidents: the page that runs one (its roles, children, communications, timeline, SLA
    clock and review), above the apps it gathers them from."""

    name = "response"
    verbose_name = "Incident response"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents import panels

        from .panels import admin_panel, portal_panel
        from .regulatory import hooks as regulatory_hooks
        from .security import hooks as security_hooks

        post_migrate.connect(_grant, sender=self, dispatch_uid="response-roles")
        panels.register("admin", "response.major", admin_panel)
        panels.register("portal", "response.part_of", portal_panel)
        regulatory_hooks.connect(self)
        security_hooks.connect(self)


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Everyone who works incidents opens the major-incident pages (each one as far as they may
    see the incident); declaring is the incident managers', which the service checks."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    grant(sender.label, {role: ["view_majorincident"] for role in (DESK_AGENT, RESOLVER, INCIDENT_MANAGER)},
          using=using)
