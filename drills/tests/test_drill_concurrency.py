"""Two workers sweeping the drills' steps at the same moment (beat delivered the task twice, or two
workers picked it up): each step runs once, the rows one holds the other skips."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from comms.models import Update
from drills import services
from drills.models import DrillStep, StepStatus
from incidents.models import Comment, EventKind, IncidentEvent


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_run_each_step_once(require_postgres, core_switch, manager):
    drill = services.start_drill(scenario=core_switch, by=manager)
    later = drill.started_at + timedelta(minutes=20)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker() -> None:
        try:
            start.wait(timeout=30)
            results.append(services.run_due_steps(now=later, batch_size=1))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(r.done for r in results) == 4 and sum(r.failed for r in results) == 0
    assert DrillStep.objects.filter(drill=drill, status=StepStatus.DONE).count() == 4
    assert IncidentEvent.objects.filter(incident=drill.incident, kind=EventKind.ALERT).count() == 2
    assert Update.objects.filter(incident=drill.incident).count() == 1
    assert Comment.objects.filter(incident=drill.incident).count() == 1
