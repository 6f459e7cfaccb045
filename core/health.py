"""`/healthz`: can this process reach its database, its cache and its broker? For a container's
health check and a load balancer. It names what failed and nothing else, and needs no login."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("itsm:healthz", "ok", 10)
    if cache.get("itsm:healthz") != "ok":
        raise RuntimeError("the cache did not keep a value")


def _broker() -> None:
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=3)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "broker": _broker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure is the answer; the details go to the log, not the response
            logger.exception("health check %s failed", name)
            results[name] = "failing"
        else:
            results[name] = "ok"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "failing", **results}, status=200 if healthy else 503)
