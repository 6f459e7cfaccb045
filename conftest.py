"""Project-wide test fixtures: service availability, the Celery mode, and per-test media."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

REQUIRE_SERVICES = os.environ.get("ITSM_REQUIRE_SERVICES") == "1"


def pytest_configure(config) -> None:
    """Under pytest-xdist (`make test` runs the suite in one process per core), each process has a
    test database of its own (pytest-django names it per process) and cache keys of its own, so
    that one process's status page snapshot or lock is never another's on a shared Redis. The
    processes a test starts (a Celery worker) inherit the prefix through the environment."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    import copy

    from django.conf import settings
    from django.test.utils import override_settings

    prefix = f"{settings.CACHE_KEY_PREFIX}{worker}:"
    os.environ["ITSM_CACHE_KEY_PREFIX"] = prefix
    caches = copy.deepcopy(settings.CACHES)
    for cache in caches.values():
        cache["KEY_PREFIX"] = prefix
    override_settings(CACHE_KEY_PREFIX=prefix, CACHES=caches).enable()


def need(condition: bool, reason: str) -> None:
    """Skip (printing why) when a service is absent; fail instead under ITSM_REQUIRE_SERVICES=1."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (ITSM_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def require_postgres(settings):
    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    need(port_open(url, 6379), f"Redis at {url} does not answer")
    return url


class OwnRedis:
    """A redis-server of the test's own, on a free port, that the test may stop and start again
    (an outage) without touching the shared one. It keeps nothing on disk: a restart loses every
    queued message, as a crashed Redis without persistence does."""

    def __init__(self, folder) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        import subprocess
        import time

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while not port_open(self.url, self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path):
    import shutil

    need(shutil.which("redis-server") is not None, "needs redis-server on PATH (apt-get install redis-server)")
    folder = tmp_path / "own-redis"
    folder.mkdir()
    redis = OwnRedis(folder)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def chromium_path():
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    need(os.path.exists(path), f"needs Chromium at {path} (apt-get install chromium)")
    return path


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process, at the point `.delay()` is called (after commit, like production).

    Tests marked `worker` talk to a real worker instead."""
    from itsm.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _fresh_vocabulary():
    # The known-error matcher caches its vocabulary per process; a test's data is rolled back.
    from knowledge_base.matching import vocabulary

    vocabulary.clear()
    yield
    vocabulary.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Test users are made by the hundred; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_request_budgets(monkeypatch):
    """API rate limits count per test: ids come round again once a test's rows are rolled back, and
    every test client calls from one address, so a suite would run into 429s no test earned. The
    cache is left alone (it may be a shared Redis); the keys are the test's own."""
    import uuid

    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "cache_format", f"throttle_{uuid.uuid4().hex[:12]}_%(scope)s_%(ident)s")
