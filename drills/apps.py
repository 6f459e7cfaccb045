from django.apps import AppConfig


class DrillsConfig(AppConfig):
    """Exercises: a scenario started as a drill incident that runs the real workflow, clocks and
    paging, kept out of the status page, external stakeholders and the metrics, and scored by its
    SOP conformance."""

    name = "drills"
    verbose_name = "Drills"
    default_auto_field = "django.db.models.BigAutoField"
