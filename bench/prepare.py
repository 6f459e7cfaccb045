"""The data set step: migrate, then reuse the data set when its stamp matches, else (re)generate it.

The stamp is a one-row table written after a complete generation: the size, the seed and a hash of
the generator's code. A second `make bench` with the same settings therefore starts measuring at
once, and a changed generator or scale regenerates instead of measuring stale data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from .config import BENCH_DIR, PROJECT_DIR, Config
from .report import figure

STAMP_TABLE = "bench_dataset_stamp"
CACHE_DIR = BENCH_DIR / "data" / "cache"
GENERATOR_FILES = [*sorted((BENCH_DIR / "dataset").glob("*.py")),
                   BENCH_DIR / "management" / "commands" / "generate_dataset.py"]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def wanted_stamp(config: Config) -> dict:
    digest = hashlib.sha256()
    for path in GENERATOR_FILES:
        digest.update(path.read_bytes())
    return {"incidents": config.incidents, "seed": config.seed, "generator": digest.hexdigest()[:16]}


def read_stamp() -> dict | None:
    if STAMP_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {STAMP_TABLE}")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def write_stamp(stamp: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} (value TEXT NOT NULL)")
        cursor.execute(f"DELETE FROM {STAMP_TABLE}")
        cursor.execute(f"INSERT INTO {STAMP_TABLE} (value) VALUES (%s)", [json.dumps(stamp)])


def has_incidents() -> bool:
    from incidents.models import Incident

    return Incident.objects.exists()


def migrations_key() -> str:
    """Changes whenever the schema a migrate would build could change."""
    digest = hashlib.sha256(django.get_version().encode())
    digest.update(",".join(settings.INSTALLED_APPS).encode())
    digest.update((PROJECT_DIR / "requirements.txt").read_bytes())
    for path in sorted(PROJECT_DIR.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrate() -> None:
    """Migrate, listing each migration on stderr (a fresh PostgreSQL takes minutes). A new SQLite file starts as a copy of an already migrated one when the migrations
    are the same: running them all takes longer than generating a small data set."""
    if connection.vendor != "sqlite":
        call_command("migrate", verbosity=1, interactive=False, stdout=sys.stderr)
        return
    path = Path(settings.DATABASES["default"]["NAME"])
    template = CACHE_DIR / f"migrated-{migrations_key()}.sqlite3"
    fresh = not path.exists() or path.stat().st_size == 0
    if fresh and template.exists():
        connection.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, path)
    call_command("migrate", verbosity=1, interactive=False, stdout=sys.stderr)
    if fresh and not template.exists():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(path, partial)
        partial.replace(template)
        for stale in CACHE_DIR.glob("migrated-*.sqlite3"):
            if stale != template:
                stale.unlink(missing_ok=True)


def reset_database(config: Config) -> None:
    """Start from an empty database: a new SQLite file, or an empty public schema on PostgreSQL."""
    if connection.vendor == "sqlite":
        path = Path(settings.DATABASES["default"]["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    migrate()


def prepare(config: Config) -> dict:
    log("migrating the bench database ...")
    migrate()
    stamp = wanted_stamp(config)
    found = read_stamp()
    if found == stamp:
        log(f"reusing the data set ({config.incidents:,} incidents, seed {config.seed})")
        return {"status": "ok", "note": "reused", "figures": [figure("incidents (reused)", config.incidents, "rows")]}
    if found is None and has_incidents():
        raise SystemExit(
            "This database has incidents the bench did not generate; refusing to wipe it. "
            "Point DATABASE_URL at an empty database (e.g. createdb itsm_bench)."
        )
    if found is not None:
        log(f"the data set differs ({found} != {stamp}); recreating the database")
        reset_database(config)
    # Marked incomplete first: a generation cut short is ours to wipe next time.
    write_stamp({**stamp, "complete": False})
    log(f"generating {config.incidents:,} incidents (seed {config.seed}); progress below")
    started = time.monotonic()
    call_command("generate_dataset", incidents=config.incidents, seed=config.seed, verbosity=1)
    seconds = time.monotonic() - started
    # Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would leave them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    write_stamp(stamp)
    from incidents.models import Incident

    history = Incident.history.model.objects.count()
    return {"status": "ok", "note": "generated", "figures": [
        figure("incidents (generated)", Incident.objects.count(), "rows"),
        figure("incident history rows", history, "rows"),
        figure("generation time", seconds, "s"),
    ]}
