"""Fill an empty database with a service desk's history, for benchmarks and load tests.

    python manage.py generate_dataset --incidents 100000 --seed 42

100,000 incidents come with about 615,000 history rows, 617,000 timeline events, 120,000 comments,
5,000 reporters, 1,000 team members, 10,000 known errors and 2,000 articles. Every user's password
is the one given by --password. The same seed, size and --anchor date give the same rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.management.base import BaseCommand, CommandError

from bench.dataset import DEFAULT_PASSWORD, generate


class Command(BaseCommand):
    help = "Generate a realistic, deterministic incident data set into an empty database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--incidents", type=int, default=100_000, help="How many incidents (default 100000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--anchor", type=date.fromisoformat, default=None,
            help="The date the history ends at, YYYY-MM-DD (default: today). Open incidents are recent to it.",
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Password of every generated user.")

    def handle(self, *args, incidents: int, seed: int, anchor: date | None, password: str, **options) -> None:
        if incidents < 1:
            raise CommandError("--incidents must be at least 1.")
        day = anchor or datetime.now(UTC).date()
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        verbose = options["verbosity"] > 0

        def progress(message: str) -> None:
            # stderr, so that progress never mixes with output a caller parses.
            if verbose:
                self.stderr.write(f"[generate_dataset] {message}", style_func=str)
                self.stderr.flush()

        try:
            summary = generate(incidents=incidents, seed=seed, anchor=moment, password=password, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbose:
            self.stdout.write(f"{summary.incidents} incidents, {summary.rows} rows in {summary.seconds:.1f} s")
