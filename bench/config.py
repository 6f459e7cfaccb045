"""What a benchmark run is asked to do, read from the environment (so `make bench VAR=...` works).

    DATABASE_URL      postgres://... to run on PostgreSQL; unset: SQLite in bench/data/
    BENCH_SCALE       fraction of the 100,000-incident data set (default 1.0; 0.01 = 1,000)
    BENCH_SEED        generator seed (default 42)
    BENCH_ONLY        comma-separated benchmark names to run (default: all)
    BENCH_REPEATS     timed requests per page variant (default 30)
    BENCH_DURATION    seconds of load per portal measurement (default 20)
    BENCH_CONCURRENCY load generator connections (default 4)
    BENCH_RESULTS     where to write the results (default bench/results.json)
    BENCH_DATA_DIR    the SQLite file, uploads and broker queues of the run (default bench/data)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
FULL_SIZE = 100_000


@dataclass(frozen=True)
class Config:
    scale: float
    seed: int
    database_url: str
    data_dir: Path
    results_path: Path
    only: tuple[str, ...]
    repeats: int
    duration: float
    concurrency: int

    @property
    def incidents(self) -> int:
        return max(50, round(FULL_SIZE * self.scale))

    @property
    def vendor(self) -> str:
        return "postgresql" if self.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def database_label(self) -> str:
        """The database, without a password, for the report."""
        if not self.database_url:
            return f"sqlite:///{self.data_dir / 'itsm.sqlite3'}"
        parts = urlsplit(self.database_url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit((parts.scheme, user + host, parts.path, "", ""))

    def child_env(self) -> dict[str, str]:
        """The environment of every benchmark process."""
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        env["ITSM_VAR_DIR"] = str(self.data_dir)
        env["DEBUG"] = "0"
        env.setdefault("LOG_LEVEL", "WARNING")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_DIR), env.get("PYTHONPATH", "")]))
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env.pop("DATABASE_URL", None)
        env.update({
            "BENCH_SCALE": str(self.scale), "BENCH_SEED": str(self.seed), "BENCH_REPEATS": str(self.repeats),
            "BENCH_DURATION": str(self.duration), "BENCH_CONCURRENCY": str(self.concurrency),
        })
        return env


def from_env(environ: dict[str, str] | None = None) -> Config:
    e = os.environ if environ is None else environ
    data_dir = Path(e.get("BENCH_DATA_DIR") or BENCH_DIR / "data").resolve()
    return Config(
        scale=float(e.get("BENCH_SCALE") or 1.0),
        seed=int(e.get("BENCH_SEED") or 42),
        database_url=e.get("DATABASE_URL", ""),
        data_dir=data_dir,
        results_path=Path(e.get("BENCH_RESULTS") or BENCH_DIR / "results.json").resolve(),
        only=tuple(name.strip() for name in (e.get("BENCH_ONLY") or "").split(",") if name.strip()),
        repeats=int(e.get("BENCH_REPEATS") or 30),
        duration=float(e.get("BENCH_DURATION") or 20),
        concurrency=int(e.get("BENCH_CONCURRENCY") or 4),
    )
