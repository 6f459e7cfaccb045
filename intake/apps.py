from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake: monitoring alerts and e-mail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_grant, sender=self, dispatch_uid="intake-roles")


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers configure the sources and mailboxes; the desk reads them and works the
    quarantine (it is their mail that landed there)."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER

    read = ["view_alertsource", "view_alertgroup", "view_mailbox", "view_inboundmessage", "release_inboundmessage"]
    manage = ["add_alertsource", "change_alertsource", "delete_alertsource", "add_labelrule", "change_labelrule",
              "delete_labelrule", "view_labelrule", "add_mailbox", "change_mailbox", "delete_mailbox"]
    grant(sender.label, {DESK_AGENT: [*read, "view_labelrule"], INCIDENT_MANAGER: [*read, *manage]}, using=using)
