from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KnowledgeBaseConfig(AppConfig):
    name = "knowledge_base"
    verbose_name = "Knowledge base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals

        signals.connect()
        post_migrate.connect(_grant, sender=self, dispatch_uid="knowledge-base-roles")


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """The roles' permissions, after every migrate, as every app grants them (migration 0003 gave
    them once; a flushed test database, or a role re-created by hand, lost them). Everyone on the
    staff reads, writes and sends items for review; incident managers also publish and retire
    them. Deflections are a record of what happened: staff only read them."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    edit = [f"{verb}_{model}" for model in ("knownerror", "article", "category") for verb in ("view", "add", "change")]
    grant(sender.label, {DESK_AGENT: [*edit, "view_deflection"], RESOLVER: [*edit, "view_deflection"],
                         INCIDENT_MANAGER: [*edit, "view_deflection", "publish_knownerror", "publish_article"]},
          using=using)
