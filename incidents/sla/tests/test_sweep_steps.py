"""The steps that apps above incidents add to the SLA sweep: each runs in every sweep, and one that
fails is logged and counted without stopping the others."""

from __future__ import annotations

import pytest

from incidents.sla import steps, sweep

pytestmark = pytest.mark.django_db


def test_every_registered_step_runs_in_the_sweep_and_a_failing_one_does_not_stop_the_others(monkeypatch):
    monkeypatch.setattr(steps, "STEPS", {})  # only this test's steps
    asked: list[int] = []

    def broken(ctx, batch_size: int) -> int:
        raise RuntimeError("a step that fails")

    def counting(ctx, batch_size: int) -> int:
        asked.append(batch_size)
        return 2

    steps.register("broken", broken)
    steps.register("counting", counting)
    result = sweep.sweep(batch_size=7)
    assert (result.steps_fired, result.errors, asked) == (2, 1, [7])
