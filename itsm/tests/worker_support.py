"""Real Celery processes in tests: their environment, waiting on them, and stopping them.

Shared by the tests that need a worker (notifications, the SLA sweep, required reviews), so that
each of them starts, watches and stops a worker the same way.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from itsm.celery import app

ROOT = Path(__file__).resolve().parents[2]
# Settings of this test process that must not reach the processes under test.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "ITSM_VAR_DIR",
                 "MEDIA_ROOT", "STATIC_ROOT", "EMAIL_BACKEND", "ITSM_PRODUCTION", "DEBUG"}


def process_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(DJANGO_SETTINGS_MODULE="itsm.settings", PYTHONUNBUFFERED="1", **settings)
    return env


def database_url(db: dict) -> str:
    """A URL for the database this test runs on (the test database pytest-django created)."""
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def worker_env(*, db: dict, redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker on the test's PostgreSQL database and Redis."""
    return process_env(
        DB_CONN_MAX_AGE="0", DATABASE_URL=database_url(db), REDIS_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ITSM_VAR_DIR=str(var_dir), **extra,
    )


def output_of(*logs: Path) -> str:
    return "\n".join(f"--- {log}\n{log.read_text()[-3000:]}" for log in logs if log.exists())


def wait_for(condition: Callable[[], bool], seconds: float, what: str, *logs: Path) -> None:
    """Poll until `condition()`; fail with `what` and the processes' output when time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"{what} within {seconds:.0f}s.\n{output_of(*logs)}")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a process in its own session (so that it can be killed with its children)."""
    with log.open("w") as output:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def start_worker(script: str, name: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Run a worker `script` (Python source; argv[1] is the node name) and wait until it is ready."""
    process = start([sys.executable, "-c", script, name], env, log)
    try:
        wait_for(lambda: process.poll() is not None or " ready." in log.read_text(), 60, "the worker did not start",
                 log)
        assert process.poll() is None, log.read_text()
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    """A warm shutdown, then a kill of the whole session if it does not end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A process for the duration of the block; stopped (then killed) afterwards."""
    process = start(args, env, log)
    try:
        yield process
    finally:
        stop(process)


@contextmanager
def routed_to(queue: str, *patterns: str) -> Iterator[None]:
    """Send these tasks to a queue of the test's own, so that no other worker on this Redis takes them."""
    previous = app.conf.task_routes
    app.conf.update(task_routes={pattern: {"queue": queue} for pattern in patterns})
    try:
        yield
    finally:
        app.conf.update(task_routes=previous)


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """This test process queues its tasks on `broker_url` (a Redis of the test's own), with fresh
    connections; the previous broker and pools come back afterwards."""
    saved = app.conf.broker_url, app._pool, app.amqp._producer_pool
    app.conf.update(broker_url=broker_url)
    app._pool, app.amqp._producer_pool = None, None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.update(broker_url=saved[0])
        app._pool, app.amqp._producer_pool = saved[1], saved[2]


# A worker that takes only the tasks of the given apps, from a queue of the test's own.
QUEUE_WORKER = """
import os, sys
from itsm.celery import app
queue, apps = os.environ["ITSM_TEST_QUEUE"], os.environ["ITSM_TEST_QUEUE_APPS"].split(",")
app.conf.update(task_routes={f"{name}.tasks.*": {"queue": queue} for name in apps})
app.worker_main(["worker", "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", sys.argv[1],
                 "--without-gossip", "--without-mingle"])
"""


@contextmanager
def queue_worker(apps: tuple[str, ...], *, db: dict, redis_url: str, folder: Path,
                 **settings: str) -> Iterator[tuple[subprocess.Popen, Path]]:
    """A real worker for the tasks of `apps` (their `<app>.tasks.*`), on a queue no other worker on
    this Redis reads, with this test process queueing those tasks there. Yields the process and its
    log; stopped (then killed) afterwards."""
    import uuid

    queue = f"itsm-test-{uuid.uuid4().hex[:10]}"
    env = worker_env(db=db, redis_url=redis_url, var_dir=folder / "var", ITSM_TEST_QUEUE=queue,
                     ITSM_TEST_QUEUE_APPS=",".join(apps))
    env.update(settings)  # may override the defaults (a mail server instead of the in-memory outbox)
    log = folder / "worker.log"
    with routed_to(queue, *(f"{name}.tasks.*" for name in apps)):
        process = start_worker(QUEUE_WORKER, f"{queue}@%h", env, log)
        try:
            yield process, log
        finally:
            stop(process)


class MailSink:
    """The mail server at the far end: a small SMTP server on a free port that keeps every message
    it accepted. `hold()` makes it stop answering at the next DATA command (a send in progress that
    a test can kill), until `release()`."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.holding = threading.Event()  # set while a client waits at DATA
        self._hold = False
        self._release = threading.Event()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.reply("250 sink")
                    elif command.startswith("DATA"):
                        if sink._hold:
                            sink.holding.set()
                            sink._release.wait(120)
                            return  # the client is gone (killed) or the test is over: nothing accepted
                        self.reply("354 end with <CRLF>.<CRLF>")
                        body = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                        sink.messages.append(email.message_from_bytes(body.replace(b"\r\n..", b"\r\n."),
                                                                      policy=email.policy.default))
                        self.reply("250 accepted")
                    elif command.startswith("QUIT"):
                        self.reply("221 bye")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.reply("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if address in m.get("To", "")]

    def hold(self) -> None:
        self._hold, self._release = True, threading.Event()

    def release(self) -> None:
        self._hold = False
        self._release.set()

    def env(self) -> dict[str, str]:
        """The settings that point a worker at this server."""
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.port)}

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
