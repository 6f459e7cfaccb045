"""`manage.py export_audit --user NAME (--incident INC-000123 | --from DAY --to DAY) [--output FILE]`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance.audit import export


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a day: write it as 2026-12-01") from None


class Command(BaseCommand):
    help = ("Write an audit bundle (zip) of one incident or of a period, as the named user sees it; "
            "the export is recorded in the audit chain as theirs.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="who exports: what they may see is what is bundled")
        parser.add_argument("--incident", metavar="REFERENCE")
        parser.add_argument("--from", dest="first", metavar="DAY", help="first day, e.g. 2026-11-01")
        parser.add_argument("--to", dest="last", metavar="DAY", help="last day, included")
        parser.add_argument("--output", help="file to write (default: the bundle's name, here)")

    def handle(self, *args, user, incident=None, first=None, last=None, output=None, **options) -> None:
        exporter = get_user_model().objects.filter(username=user).first()
        if exporter is None:
            raise CommandError(f"No user {user}.")
        if bool(incident) == bool(first or last):
            raise CommandError("Give either --incident, or --from and --to.")
        try:
            if incident:
                bundle = export.incident_bundle(user=exporter, reference=incident)
            else:
                if not (first and last):
                    raise CommandError("Give both --from and --to.")
                zone = timezone.get_current_timezone()
                since = datetime.combine(_day(first), time.min, tzinfo=zone)
                until = datetime.combine(_day(last) + timedelta(days=1), time.min, tzinfo=zone)
                bundle = export.range_bundle(user=exporter, since=since, until=until)
        except export.ExportRefused as refused:
            raise CommandError(refused.message) from None
        target = Path(output or bundle.filename)
        target.write_bytes(bundle.data)
        self.stdout.write(f"Wrote {target}: {bundle.entries} entries, {bundle.incidents} incidents; "
                          f"manifest sha256 {bundle.manifest['sha256']}.")
