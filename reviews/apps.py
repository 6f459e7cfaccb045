from django.apps import AppConfig


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
