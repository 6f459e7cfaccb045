"""Where regulatory clocks plug into the layers below (called once from `ResponseConfig.ready`):
the built-in regulations and the roles' permissions after every migrate, the step the SLA sweep
runs for their thresholds, and the panel on the incident's admin page."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def connect(app: AppConfig) -> None:
    from incidents import panels
    from incidents.sla import steps

    from . import catalogue, panel, sweep

    post_migrate.connect(catalogue.ensure_builtins, sender=app, dispatch_uid="response-regulations")
    post_migrate.connect(catalogue.grant, sender=app, dispatch_uid="response-regulatory-roles")
    steps.register("response.regulatory", sweep.sweep_step)
    panels.register("admin", "response.regulatory", panel.admin_panel)
