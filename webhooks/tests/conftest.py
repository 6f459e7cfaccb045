"""Webhook tests use the incident fixtures (people, teams, categories), a real receiver on
127.0.0.1, and endpoints pointing at it."""

from __future__ import annotations

import uuid

import pytest

from incidents.tests.conftest import (  # noqa: F401  (fixtures, re-exported for this package)
    agent,
    desk_team,
    manager,
    network_category,
    network_team,
    other_reporter,
    other_resolver,
    platform_team,
    reporter,
    resolver,
    security_category,
    security_team,
)
from itsm.celery import app
from itsm.tests.worker_support import publishing_to

from .receiver import Receiver


@pytest.fixture(autouse=True)
def _receivers_on_this_machine(settings):
    """The receiver runs on 127.0.0.1, which the SSRF guard refuses by default: allowed here, as a
    portal whose receivers are on its own network allows it. The guard's own tests switch it off."""
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def broker_without_worker():
    """Tasks really published (not run in-process), to an in-memory broker that no worker reads.
    Yields a function that takes the published messages off the queue and returns their task names."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False

    def taken() -> list[str]:
        names = []
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue(app.conf.task_default_queue)
            while True:
                try:
                    message = queue.get(timeout=0.2)
                except queue.Empty:
                    break
                names.append(message.headers["task"])
                message.ack()
            queue.close()
        return names

    try:
        # A broker URL of this test's own: kombu keeps one connection pool per URL for the whole
        # process, and `publishing_to` closes it afterwards.
        with publishing_to(f"memory://localhost/{uuid.uuid4().hex}"):
            taken()  # whatever an earlier test left on the in-memory queue
            yield taken
    finally:
        app.conf.task_always_eager = eager
