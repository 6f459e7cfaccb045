from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .defaults import ensure_templates

        post_migrate.connect(_grant, sender=self, dispatch_uid="comms-roles")
        post_migrate.connect(ensure_templates, sender=self, dispatch_uid="comms-default-templates")


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers write the communication templates (what the organisation says in a
    crisis is theirs to word); the desk and resolvers read them, and use them."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    read = ["view_template"]
    grant(sender.label, {DESK_AGENT: read, RESOLVER: read,
                         INCIDENT_MANAGER: [*read, "add_template", "change_template", "delete_template"]},
          using=using)
