"""`manage.py verify_audit [--incident INC-000123]`: walk the audit chains, name the first broken row."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from compliance.audit import verify


class Command(BaseCommand):
    help = ("Walk the global audit chain and every incident's chain, recompute each entry from the rows "
            "as they are now, and name the first entry that does not hold. Exits non-zero if one is broken.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--incident", metavar="REFERENCE", help="only this incident's chain, e.g. INC-000123")
        parser.add_argument("--batch-size", type=int, default=2000, help="entries checked per round of reads")

    def handle(self, *args, incident=None, batch_size=2000, **options) -> None:
        from incidents.models import Incident

        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        incident_id = None
        if incident:
            incident_id = Incident.objects.filter(reference=incident.strip().upper()).values_list("pk", flat=True).first()
            if incident_id is None:
                raise CommandError(f"No incident {incident}.")
        report = verify(incident_id=incident_id, batch_size=batch_size)
        scope = f"the chain of {incident}" if incident else "the audit chain"
        if not report.ok:
            raise CommandError(f"{scope} is BROKEN after {report.entries} good entries: {report.broken}")
        self.stdout.write(
            f"{scope[0].upper()}{scope[1:]} holds: {report.entries} entries"
            + ("" if incident else f", {report.incidents} incident chains")
            + f"; head {report.head[0]} {report.head[1]}."
        )
