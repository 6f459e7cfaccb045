from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_grant, sender=self, dispatch_uid="tokens-roles")


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    own = ["add_apitoken", "view_apitoken", "change_apitoken"]
    grant(sender.label, {DESK_AGENT: own, RESOLVER: own, INCIDENT_MANAGER: [*own, "manage_all_tokens"]}, using=using)
