"""Due-steps that apps above incidents add to the SLA sweep (the regulatory clocks of `response`).

The incidents app may not import the apps above it, yet their deadlines are swept the same way
and on the same beat: each registers, from its `ready()`, a step `step(ctx, batch_size) -> int`
that finds what is due with its own indexed query, fires it exactly once in its own bounded,
`skip_locked` transactions, and returns how many things it fired. The sweep runs every step after
the incidents' own work; a step that fails is logged and counted, and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .context import Context

logger = logging.getLogger(__name__)

Step = Callable[[Context, int], int]
STEPS: dict[str, Step] = {}


def register(name: str, step: Step) -> Step:
    """Add `step` to every sweep, once under `name` (from an app's `ready()`)."""
    STEPS[name] = step
    return step


def run(ctx: Context, batch_size: int) -> tuple[int, int]:
    """Run every registered step. Returns (things fired, steps that failed)."""
    fired = errors = 0
    for name, step in list(STEPS.items()):
        try:
            fired += step(ctx, batch_size)
        except Exception:
            # What a failed step did not commit is still due: the next sweep does it.
            logger.exception("SLA sweep step %s failed", name)
            errors += 1
    return fired, errors
