"""Benchmark 5: the SLA sweep and alert ingest (the known-error match is in kb_match.py).

Their issues add the features and wire their measurement here; until then each slot says so
instead of reporting a number it does not have.
"""

from __future__ import annotations

from .config import Config

NOT_BUILT = "not built yet"


def sla_sweep(config: Config) -> dict:
    return {"status": NOT_BUILT, "note": "the SLA sweep's issue adds this measurement", "figures": []}


def alert_ingest(config: Config) -> dict:
    return {"status": NOT_BUILT, "note": "the alert intake issue adds this measurement", "figures": []}
