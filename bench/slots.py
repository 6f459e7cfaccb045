"""Benchmark 5: alert ingest (the SLA sweep and the known-error match are in sla_sweep.py and kb_match.py).

Its issue adds the feature and wires its measurement here; until then the slot says so
instead of reporting a number it does not have.
"""

from __future__ import annotations

from .config import Config

NOT_BUILT = "not built yet"


def alert_ingest(config: Config) -> dict:
    return {"status": NOT_BUILT, "note": "the alert intake issue adds this measurement", "figures": []}
