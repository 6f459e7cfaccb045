"""`manage.py seed_demo`: a demo organisation that shows every part of the portal.

Here, in the wiring layer, because it is the one place that may call every app: each app seeds its
own part (`incidents.demo`, `knowledge_base.demo`, ...) through its own services, as the people in
the story, and this command calls the parts in the order they build on each other. Each part is
idempotent, so running the command again changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comms import demo as comms_demo
from drills import demo as drills_demo
from incidents import demo as incidents_demo
from incidents.demo_data import DEMO_PASSWORD, USERS
from incidents.models import Incident
from incidents.oncall import demo as oncall_demo
from incidents.sla import demo as sla_demo
from intake import demo as intake_demo
from knowledge_base import demo as knowledge_base_demo
from response import demo as response_demo
from reviews import demo as reviews_demo


class Command(BaseCommand):
    help = (
        "Create demo teams, categories, services, one user per role (password "
        f"'{DEMO_PASSWORD}'), about fifty incidents, a knowledge base, on-call rotations, a breached P2, "
        "post-incident reviews and monitoring alerts. Running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing (for tests and scripts).")
        parser.add_argument(
            "--force", action="store_true",
            help="Seed even with ITSM_PRODUCTION=1 (the demo accounts have a published password).",
        )

    def handle(self, *args, quiet: bool = False, force: bool = False, **options) -> None:
        if settings.ITSM_PRODUCTION and not force:
            raise CommandError(
                "ITSM_PRODUCTION is set: the demo accounts' password is public. Use --force to seed anyway."
            )
        added: dict[str, int] = {}
        with incidents_demo.notifications_delivered_in_memory():
            org = incidents_demo.organisation()
            # Before the stories, so that the desk could have found these while triaging them.
            added["knowledge base items"] = knowledge_base_demo.seed(org.users)
            added["runbooks linked"] = incidents_demo.link_runbooks()
            added["incidents"] = incidents_demo.tell_stories(org)
            # Rotations and escalation paths before the breached P2: its sweep pages the on-call
            # and routes it up the path.
            added["on-call rotations"] = oncall_demo.seed(org)
            added["escalation paths"] = sla_demo.seed_escalation_paths(org)
            added["breached P2"] = sla_demo.seed_breached_incident(org)
            added["post-incident reviews written"] = reviews_demo.seed(org)
            added["alert groups"] = intake_demo.seed(org)
            added["major incidents"] = response_demo.seed(org)
            added["security incidents"] = response_demo.seed_security(org)
            added["regulatory clocks"] = response_demo.seed_regulatory(org)
            # After the major incident: its first public update is on the status page.
            added["status page rows"] = comms_demo.seed(org)
            # Last: a drill pages and alerts like the real thing, and nothing above counts it.
            added["drill scenarios and drills"] = drills_demo.seed(org)
        if not quiet:
            self.print_summary(added)

    def print_summary(self, added: dict[str, int]) -> None:
        total = Incident.objects.count()
        made = [f"{count} {what}" for what, count in added.items() if count]
        if made:
            self.stdout.write(f"Demo data: {', '.join(made)} created ({total} incidents in the database).")
        else:
            self.stdout.write(f"Demo data already present ({total} incidents); nothing to add.")
        base = settings.ITSM_BASE_URL
        self.stdout.write("")
        self.stdout.write(f"Portal: {base}/portal/    Admin: {base}/admin/")
        self.stdout.write(f"Demo logins (every password is: {DEMO_PASSWORD})")
        for user in USERS:
            role = user.role or "Superuser"
            team = f" ({user.team})" if user.team else ""
            self.stdout.write(f"  {user.username:<7} {role + team:<34} {user.what_to_try}")
