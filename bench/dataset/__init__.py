"""The benchmark data set: a service desk with a few years of history, generated deterministically.

`generate()` is what the `generate_dataset` management command runs; the benchmarks and the tests
call the command. The same seed, size and anchor date give the same rows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from incidents.models import Incident, Sequence

from .incidents import TABLES, IncidentSimulator
from .knowledge import generate_knowledge
from .people import build_directory
from .rows import RowWriter, next_id, reset_sequences

BATCH = 2000
DEFAULT_PASSWORD = "bench-password"  # the shared login of a throwaway data set

Progress = Callable[[str], None]


@dataclass
class Summary:
    incidents: int
    rows: int
    seconds: float


def generate(*, incidents: int, seed: int, anchor: datetime, password: str = DEFAULT_PASSWORD,
             progress: Progress | None = None) -> Summary:
    """Create `incidents` incidents (and people, known errors, articles) in the current database."""
    say = progress or (lambda message: None)
    if Incident.objects.exists():
        raise ValueError("the database already has incidents; generate into an empty database")
    started = time.monotonic()
    rng = random.Random(seed)
    with transaction.atomic():
        directory = build_directory(incidents=incidents, rng=rng, password=password)
    say(f"people: {len(directory.reporters):,} reporters, "
        f"{sum(len(m) for m in directory.team_members.values()):,} team members in {len(directory.teams)} teams")

    ids = {name: next_id(model) for name, model in TABLES.items()}
    writers = {name: RowWriter(model) for name, model in TABLES.items()}
    simulator = IncidentSimulator(directory, rng=rng, anchor=anchor, ids=ids)
    rows = 0
    last_report = 0.0
    for first in range(1, incidents + 1, BATCH):
        batch = simulator.batch(range(first, min(first + BATCH, incidents + 1)))
        with transaction.atomic():
            # Parents first: comments before the events that point at them.
            writers["incident"].insert(batch.incidents)
            writers["history"].insert(batch.history)
            writers["comment"].insert(batch.comments)
            writers["event"].insert(batch.events)
        rows += batch.rows
        done = min(first + BATCH - 1, incidents)
        elapsed = time.monotonic() - started
        if elapsed - last_report >= 2 or done == incidents:
            last_report = elapsed
            rate = done / elapsed
            say(f"incidents {done:,}/{incidents:,}  {rate:,.0f} incidents/s  {rows / elapsed:,.0f} rows/s  "
                f"eta {(incidents - done) / rate:,.0f} s")
    reset_sequences(list(TABLES.values()))
    Sequence.objects.update_or_create(name="incident", defaults={"value": incidents})

    authors = directory.managers + directory.agents
    known = generate_knowledge(known_errors=max(10, incidents // 10), articles=max(5, incidents // 50),
                               rng=rng, anchor=anchor, authors=authors)
    rows += known
    if known:
        say(f"knowledge base: {known:,} rows (known errors, articles and their history)")
    seconds = time.monotonic() - started
    say(f"done: {incidents:,} incidents, {rows:,} rows in {seconds:,.1f} s")
    return Summary(incidents=incidents, rows=rows, seconds=seconds)
