from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake: monitoring alerts and e-mail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.outbox import register_relay
        from incidents import panels
        from tokens.services import read_with_user

        from . import panels as intake_panels
        from .mail import replies

        post_migrate.connect(_grant, sender=self, dispatch_uid="intake-roles")
        # An alert source posts with its account's token: its source comes with the token's query.
        read_with_user("alert_source")
        # A refusal to an unknown sender whose task was lost is queued again (intake.mail.replies).
        register_relay("intake refusals", replies.stale)
        # The alerts behind a monitoring incident, on its admin page.
        panels.register("admin", "intake.alerts", intake_panels.alert_panel)


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers configure the sources and mailboxes; the desk reads them and works the
    quarantine (it is their mail that landed there); resolvers read the alerts behind their
    incidents (the groups are listed only where the incident may be read: `AlertGroupAdmin`)."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    alerts = ["view_alertsource", "view_labelrule", "view_alertgroup"]
    mail = ["view_mailbox", "view_inboundmessage", "release_inboundmessage"]
    manage = ["add_alertsource", "change_alertsource", "delete_alertsource", "add_labelrule", "change_labelrule",
              "delete_labelrule", "add_mailbox", "change_mailbox", "delete_mailbox"]
    grant(sender.label, {DESK_AGENT: [*alerts, *mail], RESOLVER: alerts, INCIDENT_MANAGER: [*alerts, *mail, *manage]},
          using=using)
