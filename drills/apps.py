from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DrillsConfig(AppConfig):
    """Exercises: a scenario started as a drill incident that runs the real workflow, clocks and
    paging, kept out of the status page, external stakeholders and the metrics, and scored by its
    SOP conformance."""

    name = "drills"
    verbose_name = "Drills"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents import panels

        from .panels import admin_panel

        post_migrate.connect(_grant, sender=self, dispatch_uid="drills-roles")
        panels.register("admin", "drills.drill", admin_panel)


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """Incident managers prepare scenarios and run drills (the services check it again); the rest of
    the staff open a drill's page as far as they may see its incident."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    manage = ["add_scenario", "change_scenario", "view_scenario", "delete_scenario", "add_scenariostep",
              "change_scenariostep", "view_scenariostep", "delete_scenariostep", "view_drill", "view_drillstep"]
    grant(sender.label, {INCIDENT_MANAGER: manage, DESK_AGENT: ["view_drill"], RESOLVER: ["view_drill"]},
          using=using)
