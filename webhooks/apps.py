from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.outbox import register_relay
        from incidents import events

        from . import notices, retries, routing

        # In the transaction of every event: the deliveries it owes are rows of that transaction.
        events.register_owed(routing.owe_deliveries)
        register_relay("webhook deliveries", retries.stale)
        register_relay("webhook endpoint notices", notices.stale)
        post_migrate.connect(_grant, sender=self, dispatch_uid="webhooks-roles")


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Staff manage their own endpoints (they receive what they may see); incident managers manage
    every endpoint, and alone may delete one (and its delivery log)."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    own = ["add_endpoint", "change_endpoint", "view_endpoint", "view_delivery", "view_attempt",
           "redeliver_delivery"]
    grant(sender.label, {DESK_AGENT: own, RESOLVER: own,
                         INCIDENT_MANAGER: [*own, "delete_endpoint", "manage_all_endpoints"]}, using=using)
