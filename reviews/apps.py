from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Post-incident reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.outbox import register_relay
        from incidents.known_errors import recurs_with_same_known_error
        from incidents.signals import incident_transitioned
        from incidents.workflow import register_close_gate

        from . import receivers, reminders
        from .receivers import on_incident_transitioned
        from .services import register_recurrence_check, review_close_gate

        incident_transitioned.connect(on_incident_transitioned, dispatch_uid="reviews.create_required_review")
        register_close_gate(review_close_gate)
        # "Same known error": three or more incidents linked to one known error within the window.
        register_recurrence_check(recurs_with_same_known_error)
        register_relay("required reviews", receivers.stale)
        register_relay("action item reminders", reminders.stale)
        post_migrate.connect(_grant, sender=self, dispatch_uid="reviews-roles")


def _grant(sender, using="default", apps=None, **kwargs) -> None:
    """The roles' permissions, after every migrate, as every app grants them (migration 0002 gave
    them once; a flushed test database lost them): incident managers every review permission;
    desk agents and resolvers read reviews and change action items (the admin limits that to the
    items they own)."""
    from core.permissions import grant
    from core.roles import DESK_AGENT, INCIDENT_MANAGER, RESOLVER

    everything = [f"{verb}_{model._meta.model_name}" for model in sender.get_models()
                  for verb in model._meta.default_permissions]
    everything += [codename for model in sender.get_models() for codename, _ in model._meta.permissions]
    read_and_own = ["view_postincidentreview", "view_timelineentry", "view_actionitem", "change_actionitem"]
    grant(sender.label, {DESK_AGENT: read_and_own, RESOLVER: read_and_own, INCIDENT_MANAGER: everything},
          using=using)
