"""The house rules that keep the layout honest: every Celery task keeps the name beat and queued
messages know it by, and every model has a place in the admin (or a stated reason not to)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin

from itsm.celery import app

PROJECT_APPS = ("core", "knowledge_base", "incidents", "reviews", "webhooks", "intake", "comms", "response", "compliance", "drills")

# Names that queued messages and beat's table already hold: a task moved to another module must
# keep its name, or messages in flight during a deploy would find no task.
PINNED_TASK_NAMES = {
    "comms.tasks.refresh_status_page",
    "comms.tasks.send_update",
    "core.tasks.relay_outbox",
    "drills.tasks.run_due_steps",
    "incidents.tasks.notify_event",
    "incidents.tasks.deliver_sla_notices",
    "incidents.tasks.handoff_briefings",
    "incidents.tasks.send_handoff_briefing",
    "incidents.tasks.send_page",
    "incidents.tasks.sla_sweep",
    "intake.tasks.poll_mailbox",
    "intake.tasks.poll_mailboxes",
    "intake.tasks.send_refusal",
    "response.tasks.send_notice",
    "reviews.tasks.create_required_review",
    "reviews.tasks.remind_overdue_action_items",
    "reviews.tasks.send_reminder",
    "webhooks.tasks.deliver",
    "webhooks.tasks.retry_due",
    "webhooks.tasks.tell_owner_disabled",
}

# Models with no admin page of their own, each with the reason.
NOT_IN_ADMIN = {
    "incidents.Sequence": "the reference counter (INC-000123); nobody edits it",
    "incidents.SlaConfigStamp": "the SLA configuration's cache stamp, renewed by every change",
    "incidents.Comment": "read and written on the incident's change page, under the incident's access rules",
    "incidents.Attachment": "listed and uploaded on the incident's change page, under the incident's access rules",
    "response.ContainmentStep": "ticked on the security incident's page, where its timeline shows who and when",
    "response.AffectedCustomer": "listed and added on the security incident's page, under its access rules",
    "drills.DrillStep": "shown on the drill's page; the beat task runs them, nobody edits them",
    "response.RegulatoryThreshold": "written once by the sweep and shown on the incident's clock panel and timeline",
}


def project_tasks() -> dict[str, object]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items()
            if getattr(task, "__module__", "").split(".")[0] in PROJECT_APPS}


def test_every_pinned_task_name_is_registered():
    assert set(project_tasks()) >= PINNED_TASK_NAMES


def test_every_task_of_the_project_is_named_under_its_apps_tasks_module():
    """`@shared_task(name=...)` beside the code it runs, but named as if in `<app>.tasks`: the door in."""
    for name, task in project_tasks().items():
        app_label = task.__module__.split(".")[0]
        assert name.startswith(f"{app_label}.tasks."), f"{task.__module__}.{task.__name__} is registered as {name}"
    assert set(project_tasks()) == PINNED_TASK_NAMES, "a new task: pin its name and add it above"


def test_redis_hands_a_task_to_another_worker_only_after_its_longest_wait():
    """A task queued with a countdown (a retry's backoff) waits unacknowledged in a worker; Redis
    must not take it for lost and hand it out again while it waits."""
    for name, task in project_tasks().items():
        backoff = task.retry_backoff_max if getattr(task, "autoretry_for", ()) else 0
        longest = backoff + (task.time_limit or settings.CELERY_TASK_TIME_LIMIT)
        assert longest < settings.REDIS_VISIBILITY_TIMEOUT, f"{name} may wait {longest}s"
    assert settings.REDIS_VISIBILITY_TIMEOUT <= 15 * 60, "a killed worker's tasks would wait too long"


def test_every_beat_entry_names_a_registered_task():
    tasks = project_tasks()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in tasks


def _inlined_models() -> set[type]:
    inlined = set()
    for model_admin in admin.site._registry.values():
        inlined.update(inline.model for inline in model_admin.inlines)
    return inlined


@pytest.mark.parametrize("model", [
    m for m in apps.get_models()
    if m._meta.app_label in PROJECT_APPS and not m.__name__.startswith("Historical")
], ids=lambda m: m._meta.label)
def test_every_model_is_in_the_admin_or_says_why_not(model):
    label = model._meta.label
    placed = admin.site.is_registered(model) or model in _inlined_models()
    if label in NOT_IN_ADMIN:
        assert not placed, f"{label} is in the admin now: take it off NOT_IN_ADMIN"
    else:
        assert placed, f"{label} has no admin page and no inline: register it, or say why in NOT_IN_ADMIN"


def test_the_tests_package_contract_catches_a_product_module_importing_its_own_apps_tests(tmp_path, monkeypatch):
    """The built-in `forbidden` contract skips a module importing a package beside it
    (`knowledge_base.relevance` -> `knowledge_base.tests.data`, the mistake it is meant to catch);
    the project's own contract type does not."""
    import grimp

    from tools.import_contracts import ImportedOnlyByContract

    package = tmp_path / "shop"
    (package / "tests").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tests" / "__init__.py").write_text("")
    (package / "tests" / "data.py").write_text("")
    (package / "tests" / "test_prices.py").write_text("import shop.tests.data\nimport shop.prices\n")
    (package / "prices.py").write_text("import shop.tests.data\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("shop", cache_dir=None)
    contract = ImportedOnlyByContract(
        name="no tests", session_options={},
        contract_options={"modules": ["**.tests"], "allowed_importers": ["**.tests"]},
    )
    check = contract.check(graph, verbose=False)
    assert not check.kept
    assert [(importer, imported) for importer, imported, _ in check.metadata["broken"]] == [
        ("shop.prices", "shop.tests.data"),
    ]
