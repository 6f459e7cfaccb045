"""Benchmark 6: webhook fan-out. 1,000 incident events, each owed to 3 endpoints, delivered by a
real Celery worker to receivers on this machine that verify every signature.

The events are recorded one transaction each, as services record them, as fast as this process
can; each commit's time is taken in its after-commit callback, each arrival's by the receiver
(the same monotonic clock: one machine). Reported: deliveries per second from the first commit
to the last arrival, and the p50/p95 from commit to arrival. The ceiling: the same number of
signed POSTs of the same bodies, sent from this process to the same receivers in a loop, with no
database, broker or worker in between.

The worker is a prefork pool of 2 on the bench's filesystem broker, on a queue of its own (the
harness never lets a bench task reach REDIS_URL). Everything written is deleted afterwards, so the
data set stays as stamped. At a scale under 1% (the harness's quick run) 20 events are sent.
"""

from __future__ import annotations

import sys
import time
import uuid

from django.db import transaction
from django.utils import timezone

from .config import Config
from .report import figure, percentile

FULL_EVENTS = 1_000
QUICK_EVENTS = 20
ENDPOINTS = 3
WAIT_S = 300
WORKER = """
import os, sys
from itsm.celery import app
queue = os.environ["BENCH_WEBHOOK_QUEUE"]
# The filesystem transport looks for new messages once a second by default: that would measure
# the poll, not the delivery (Redis, in production, hands messages over as they come).
app.conf.update(task_routes={"webhooks.tasks.*": {"queue": queue}},
                broker_transport_options={**app.conf.broker_transport_options, "polling_interval": 0.01})
app.worker_main(["worker", "--pool=prefork", "--concurrency=2", "--loglevel=INFO", "-Q", queue,
                 "-n", sys.argv[1], "--without-gossip", "--without-mingle", "--without-heartbeat"])
"""


def log(message: str) -> None:
    print(f"[bench]   {message}", file=sys.stderr, flush=True)


def event_count(scale: float) -> int:
    return FULL_EVENTS if scale >= 0.01 else QUICK_EVENTS


def _owner():
    from django.contrib.auth import get_user_model

    from core.roles import INCIDENT_MANAGER

    users = get_user_model().objects.filter(is_active=True)
    owner = users.filter(groups__name=INCIDENT_MANAGER).order_by("pk").first() or users.filter(
        is_superuser=True).order_by("pk").first()
    if owner is None:
        raise AssertionError("the data set has no incident manager to own the endpoints")
    return owner


def raw_posts(receivers, bodies: list[str]) -> float:
    """The ceiling: signed POSTs of the given bodies to the receivers, one after another, in this
    process (urllib3, a new connection each, as the worker makes them). Returns POSTs per second."""
    import urllib3

    from webhooks import signing

    started = time.monotonic()
    for n, body in enumerate(bodies):
        receiver = receivers[n % len(receivers)]
        headers = {"Content-Type": "application/json", **signing.headers(
            message_id=signing.new_message_id(), body=body, signing_secrets=[receiver.secret], at=timezone.now())}
        with urllib3.HTTPConnectionPool("127.0.0.1", receiver.server.server_address[1], retries=False) as pool:
            response = pool.urlopen("POST", receiver.path, body=body.encode(), headers=headers)
            assert response.status == 200, response.status
    return len(bodies) / (time.monotonic() - started)


def webhook_fanout(config: Config) -> dict:
    from incidents import events
    from incidents.models import EventKind, Incident, IncidentEvent
    from itsm.celery import app
    from itsm.tests.worker_support import output_of, start_worker, stop
    from webhooks.models import Delivery, DeliveryState, Endpoint, PayloadFormat
    from webhooks.tests.receiver import Receiver

    count = event_count(config.scale)
    incidents = list(Incident.objects.filter(confidential=False).order_by("pk").values_list("pk", flat=True)[:50])
    owner = _owner()
    queue = f"bench-webhooks-{uuid.uuid4().hex[:8]}"
    receivers = [Receiver(path=f"/hook/{n}") for n in range(ENDPOINTS)]
    endpoints = []
    for n, receiver in enumerate(receivers):
        endpoint = Endpoint.objects.create(name=f"bench fan-out {n}", url=receiver.url, owner=owner,
                                           payload_format=PayloadFormat.STANDARD, events=[EventKind.CLASSIFICATION])
        receiver.secret = endpoint.secret
        endpoints.append(endpoint)
    env = config.child_env()
    env.update(BENCH_WEBHOOK_QUEUE=queue, ITSM_WEBHOOK_ALLOW_PRIVATE="1", LOG_LEVEL="WARNING")
    log_file = config.data_dir / "webhook-worker.log"
    worker = start_worker(WORKER, f"{queue}@%h", env, log_file)
    previous_routes = app.conf.task_routes
    app.conf.update(task_routes={"webhooks.tasks.*": {"queue": queue}})
    committed: dict[int, float] = {}
    first_event = (IncidentEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    try:
        log(f"webhook_fanout: {count:,} events x {ENDPOINTS} endpoints, worker: prefork x 2, filesystem broker")
        started = time.monotonic()
        for n in range(count):
            stamp: dict[str, float] = {}
            with transaction.atomic():
                # The first after-commit callback: the moment of the commit, before the deliveries'
                # tasks are published.
                transaction.on_commit(lambda stamp=stamp: stamp.update(at=time.monotonic()))
                incident = Incident.objects.get(pk=incidents[n % len(incidents)])
                event = events.record(incident, kind=EventKind.CLASSIFICATION, notify=False,
                                      message=f"Bench fan-out {n}")
            committed[event.pk] = stamp["at"]
        recorded_s = time.monotonic() - started
        expected = count * ENDPOINTS
        deadline = time.monotonic() + WAIT_S
        while sum(len(r.accepted) for r in receivers) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        arrivals = [(r.payload["data"]["id"], r.at) for receiver in receivers for r in receiver.accepted]
        if len(arrivals) < expected:
            log(f"webhook_fanout: only {len(arrivals)} of {expected} arrived within {WAIT_S} s\n{output_of(log_file)}")
        latencies = [(at - committed[event_id]) * 1000 for event_id, at in arrivals if event_id in committed]
        wall = max(at for _, at in arrivals) - started if arrivals else float("nan")
        rate = len(arrivals) / wall if arrivals else 0.0
        bodies = list(Delivery.objects.filter(endpoint__in=endpoints, state=DeliveryState.DELIVERED)
                      .values_list("payload", flat=True)[:expected])
        ceiling = raw_posts(receivers, bodies) if bodies else float("nan")
    finally:
        app.conf.update(task_routes=previous_routes)
        stop(worker)
        for receiver in receivers:
            receiver.close()
        Endpoint.objects.filter(pk__in=[e.pk for e in endpoints]).delete()  # and their deliveries
        IncidentEvent.objects.filter(pk__gte=first_event, kind=EventKind.CLASSIFICATION,
                                     message__startswith="Bench fan-out ").delete()
    log(f"webhook_fanout: recorded in {recorded_s:.1f} s; {len(arrivals):,} of {expected:,} arrived")
    return {"figures": [
        figure(f"deliveries/s ({count:,} events x {ENDPOINTS})", rate, "deliveries/s",
               ceiling="signed POSTs/s, one process, no database", ceiling_value=ceiling, higher_is_better=True),
        figure("commit to arrival p50", percentile(latencies, 50), "ms"),
        figure("commit to arrival p95", percentile(latencies, 95), "ms"),
        figure("delivered", len(arrivals) / expected if expected else 0.0, "share", target="1.0",
               met=len(arrivals) == expected, higher_is_better=True),
    ]}
