"""The shared kernel: what every app uses and nothing domain-specific. It has no models.

Errors, set-based row writes, role predicates and permission grants, business-time arithmetic,
the capped paginator, Celery retry presets, the one transition runner, the outbox helpers and
the admin pieces every app's admin shares. Nothing here imports an app of the project.
"""
