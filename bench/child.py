"""One benchmark in its own process: `python -m bench.child NAME`.

A process per benchmark keeps each one's peak memory its own. The result is the last line of
stdout, prefixed with RESULT_PREFIX; progress goes to stderr. A benchmark that raises exits 1.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time

RESULT_PREFIX = "BENCH-RESULT "


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.config import from_env
    from bench.registry import by_name

    benchmark = by_name(argv[0])
    module, function = benchmark.entry.split(":")
    started = time.monotonic()
    result = getattr(importlib.import_module(module), function)(from_env())
    result.setdefault("status", "ok")
    result["seconds"] = round(time.monotonic() - started, 1)
    result["peak_rss_mb"] = peak_rss_mb()
    children = peak_rss_mb(resource.RUSAGE_CHILDREN)
    if children:
        result["peak_rss_children_mb"] = children
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
