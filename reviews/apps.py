from celery.schedules import crontab
from django.apps import AppConfig

# Hourly during the working day: the sweep is idempotent (one reminder per item per day), so the
# first run of the day sends and the others catch up if a run was missed. Times in CELERY_TIMEZONE.
BEAT_SCHEDULE = {
    "reviews.remind-overdue-action-items": {
        "task": "reviews.tasks.remind_overdue_action_items",
        "schedule": crontab(minute=0, hour="8-18"),
    },
}


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Post-incident reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery import current_app

        from incidents.known_errors import recurs_with_same_known_error
        from incidents.signals import incident_transitioned
        from incidents.workflow import register_close_gate

        from .receivers import on_incident_transitioned
        from .services import register_recurrence_check, review_close_gate

        incident_transitioned.connect(on_incident_transitioned, dispatch_uid="reviews.create_required_review")
        register_close_gate(review_close_gate)
        # "Same known error": three or more incidents linked to one known error within the window.
        register_recurrence_check(recurs_with_same_known_error)
        # django_celery_beat's DatabaseScheduler copies beat_schedule into its tables at start-up.
        current_app.conf.beat_schedule = {**BEAT_SCHEDULE, **(current_app.conf.beat_schedule or {})}
