from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.outbox import register_relay
        from incidents import panels

        from . import delivery
        from .defaults import ensure_templates
        from .panels import communications_panel, post_update_url
        from .status import invalidation

        post_migrate.connect(_grant, sender=self, dispatch_uid="comms-roles")
        # An update's messages whose task was lost are queued again.
        register_relay("stakeholder updates", delivery.stale)
        panels.register("admin", "comms.communications", communications_panel)
        # The reminder of a missed stakeholder update links to the form, its template ready.
        panels.register_link("post_update", post_update_url)
        post_migrate.connect(ensure_templates, sender=self, dispatch_uid="comms-default-templates")
        # The status page's cached snapshot is stale once something on it changes.
        invalidation.connect()


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers write the communication templates (what the organisation says in a
    crisis is theirs to word) and run the status page (its groups, which services it lists, a
    state set by hand); the desk and resolvers read them, and use them."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    # Who posts an update or adds a stakeholder to an incident is decided per incident (those who
    # work on it: `services.may_post`); these let them reach the pages.
    work = ["view_template", "view_update", "add_update", "view_stakeholder", "add_stakeholder",
            "delete_stakeholder", "view_serviceowner", "view_updatemessage", "view_statusgroup",
            "view_statuscomponent"]
    grant(sender.label, {DESK_AGENT: work, RESOLVER: work,
                         INCIDENT_MANAGER: [*work, "add_template", "change_template", "delete_template",
                                            "add_serviceowner", "change_serviceowner", "delete_serviceowner",
                                            "add_statusgroup", "change_statusgroup", "delete_statusgroup",
                                            "add_statuscomponent", "change_statuscomponent",
                                            "delete_statuscomponent"]},
          using=using)
