"""The incidents' part of the demo (`manage.py seed_demo`, in `itsm`): teams, categories, services,
one user per role and the incident stories of `demo_data`.

Idempotent: what exists is left alone (teams, categories and services by name, users by username,
incidents by summary), so running it again changes nothing. Every incident is opened and moved
through its life by the services, as the people in its story, so the history, timeline and
notifications look exactly as if they had used the portal and the admin. Its steps take time (`Pace`):
the stories happened over the last four weeks, so the staff home's response and resolution times,
its charts and the queues' ages are figures, not zeros.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import DateTimeField, F, QuerySet
from django.test.utils import override_settings

from incidents import roles, services
from incidents.demo_data import (
    CATEGORIES,
    DEMO_PASSWORD,
    RANDOM_SEED,
    SERVICES,
    STORIES,
    TEAMS,
    USERS,
    Story,
)
from incidents.models import Category, Channel, Comment, Incident, IncidentEvent, Notification, Service, Team
from incidents.workflow import State

# Who works each team's queue in the stories.
TEAM_WORKER = {"Service Desk": "dana", "Network": "nick", "Platform": "paula", "Security": "sam"}

REPORTER_CHASERS = [
    "Any news on this? It is still happening.",
    "Is there anything I can try in the meantime?",
    "This is blocking my work today, could someone have a look?",
]
CLOSE_REASONS = ["Works again, thank you!", "Confirmed, all good now.", "Yes, fixed. Thanks for the quick help."]


@dataclass(frozen=True)
class Organisation:
    """What the other apps' demo parts build on: the people and how incidents are classified."""

    teams: dict[str, Team]
    categories: dict[str, Category]
    services: dict[str, Service]
    users: dict[str, object]


def organisation() -> Organisation:
    """Teams, categories, services and the demo users, each created when missing."""
    teams = ensure_teams()
    return Organisation(teams=teams, categories=ensure_categories(teams), services=ensure_services(),
                        users=ensure_users(teams))


def tell_stories(org: Organisation) -> int:
    """Tell each story of `demo_data` whose incident does not exist yet. Returns how many were told."""
    told = 0
    for story in STORIES:
        if Incident.objects.filter(summary=story.summary).exists():
            continue
        with transaction.atomic():
            tell(story, users=org.users, categories=org.categories, services_by_name=org.services)
        told += 1
    return told


# The runbooks the desk follows at triage: an internal article of the demo's knowledge base for a
# service and for a category (`Service.runbook`, `Category.runbook`).
RUNBOOKS = [
    ("service", "Printing", "Clearing a stuck print queue on the print server"),
    ("category", "Security", "Handling a reported phishing e-mail"),
]


def link_runbooks() -> int:
    """Mark the knowledge base's runbooks (after it is seeded); a runbook already chosen is kept.
    Returns how many were linked."""
    from knowledge_base.models import Article

    linked = 0
    for kind, name, title in RUNBOOKS:
        model = Service if kind == "service" else Category
        article = Article.objects.filter(title=title).first()
        if article is not None:
            linked += model.objects.filter(name=name, runbook__isnull=True).update(runbook=article)
    return linked


@contextmanager
def notifications_delivered_in_memory() -> Iterator[None]:
    """Run the notification tasks in this process, into an in-memory outbox.

    The stories happened "in the past": e-mailing them would flood a console or, worse, send real
    mail to example.com; queueing them would keep a fresh worker busy for minutes. The
    notification rows are still written, as for any event.
    """
    from celery import current_app as app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    # Celery logs every eager task at INFO: hundreds of lines that say nothing here.
    trace_logger = logging.getLogger("celery.app.trace")
    previous_level = trace_logger.level
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    trace_logger.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous
        trace_logger.setLevel(previous_level)


def ensure_teams() -> dict[str, Team]:
    teams = {}
    for name, slug, tier, email in TEAMS:
        teams[name], _ = Team.objects.get_or_create(name=name, defaults={"slug": slug, "tier": tier, "email": email})
    return teams


def ensure_categories(teams: dict[str, Team]) -> dict[str, Category]:
    categories = {}
    for name, team, confidential in CATEGORIES:
        categories[name], _ = Category.objects.get_or_create(
            name=name, defaults={"default_team": teams[team], "confidential": confidential}
        )
    return categories


def ensure_services() -> dict[str, Service]:
    return {
        name: Service.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in SERVICES
    }


def ensure_users(teams: dict[str, Team]) -> dict[str, object]:
    User = get_user_model()
    users = {}
    password_hash = None
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            # One hash for all: the password is public anyway, and each hash takes a second.
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                username=spec.username, first_name=spec.first_name, last_name=spec.last_name,
                email=f"{spec.username}@example.com", password=password_hash,
                # Everyone but reporters works in the admin.
                is_staff=spec.role != roles.REPORTER, is_superuser=spec.role is None,
            )
            if spec.role:
                user.groups.add(Group.objects.get(name=spec.role))
            if spec.team:
                teams[spec.team].members.add(user)
        users[spec.username] = user
    return users


def tell(story: Story, *, users: dict, categories: dict[str, Category], services_by_name: dict[str, Service]) -> None:
    """Open the incident and take it, through the services, to where its story ends.

    Time passes between the steps (`Pace`): before each step, what the incident has so far is
    moved back by the time the step took, so that each service acts on a clock as it would have
    stood then, and the response and resolution times are a story's own."""
    rng = random.Random(f"{RANDOM_SEED}:{story.summary}")
    reporter = users[story.reporter]
    desk = users["dana"]
    logged_by_desk = story.channel in (Channel.PHONE, Channel.EMAIL, Channel.WALK_IN)
    incident = services.incident_create(
        reporter=reporter, created_by=desk if logged_by_desk else None,
        summary=story.summary, description=story.description, channel=story.channel,
        category=categories[story.category] if story.category else None,
        service=services_by_name[story.service] if story.service else None,
        impact=story.impact, urgency=story.urgency,
    )
    pace = Pace(story, incident.priority)
    if story.state == State.NEW:
        incident = pace.wait(incident, NEW_FOR)
        chase(incident, reporter, rng)
        return
    incident = pace.wait(incident, TO_RESPONSE)
    if story.state == State.CANCELLED and story.cancel_by == "reporter":
        incident = services.transition(incident=incident, user=reporter, name="cancel", reason=story.cancel_reason)
        pace.wait(incident, SINCE[story.state])
        return

    # Confidential incidents are triaged by the incident manager: the desk cannot see them.
    confidential = story.category and categories[story.category].confidential
    triager = users["maria"] if confidential else desk
    inputs = {"category": categories[story.triage_category]} if story.triage_category else {}
    incident = services.transition(incident=incident, user=triager, name="triage", **inputs)
    if story.route:
        incident = pace.wait(incident, TO_ROUTE)
        incident = services.incident_route(
            incident=incident, user=desk, team=Team.objects.get(name=story.route),
            reason=f"Needs the {story.route} team.",
        )
    if story.state == State.CANCELLED:
        incident = services.transition(incident=incident, user=desk, name="cancel", reason=story.cancel_reason)
        pace.wait(incident, SINCE[story.state])
        return
    if story.state == State.TRIAGED:
        reply = story.reply or (rng.random() < 0.5 and f"Thanks for reporting this; it is with the {incident.team} team.")
        if reply:
            services.comment_add(incident=incident, author=desk, body=reply, public=True)
        incident = pace.wait(incident, SINCE[story.state])
        chase(incident, reporter, rng)
        return

    worker = users[TEAM_WORKER[incident.team.name]]
    incident = pace.wait(incident, TO_CLAIM)
    if rng.random() < 0.7 or worker == triager:
        incident = services.transition(incident=incident, user=worker, name="claim")
    else:
        incident = services.transition(incident=incident, user=triager, name="start", assignee=worker,
                                       reason=f"Assigned to {worker.first_name}.")
    if story.paused:
        incident = pace.wait(incident, TO_HOLD)
        incident = services.transition(incident=incident, user=worker, name="hold", hold_reason=story.paused)
        incident = pace.wait(incident, PAUSED_FOR)
        incident = services.transition(incident=incident, user=worker, name="resume", reason="Got what we needed.")
    if story.note:
        services.comment_add(incident=incident, author=worker, body=story.note, public=False)
    if story.reply:
        services.comment_add(incident=incident, author=worker, body=story.reply, public=True)
    if story.state == State.IN_PROGRESS:
        incident = pace.wait(incident, SINCE[story.state])
        chase(incident, reporter, rng)
        return
    if story.state == State.ON_HOLD:
        incident = pace.wait(incident, TO_HOLD)
        incident = services.transition(incident=incident, user=worker, name="hold", hold_reason=story.hold)
        pace.wait(incident, SINCE[story.state])
        return

    if story.first_fix:
        incident = pace.wait(incident, TO_FIX)
        incident = services.transition(incident=incident, user=worker, name="resolve",
                                       resolution_code="fixed", resolution_notes=story.first_fix)
        incident = pace.wait(incident, TO_REOPEN)
        incident = services.transition(incident=incident, user=reporter, name="reopen", reason=story.reopen_reason)
    incident = pace.wait(incident, TO_FIX)
    incident = services.transition(incident=incident, user=worker, name="resolve",
                                   resolution_code=story.code, resolution_notes=story.fix)
    if story.state == State.CLOSED:
        incident = pace.wait(incident, TO_CLOSE)
        if rng.random() < 0.75:
            incident = services.transition(incident=incident, user=reporter, name="close",
                                           reason=rng.choice(CLOSE_REASONS))
        else:
            incident = services.transition(incident=incident, user=desk, name="close",
                                           reason="Reporter confirmed by phone.")
    pace.wait(incident, SINCE[story.state])


# --- How long things took -------------------------------------------------------------------------
# Minutes each step of a story took, drawn per story between (shortest, longest), by priority. Chosen
# so that what is still open is within its targets, and its escalations start when `make run` does:
# an open incident's age stays below 75% of its resolution target (in wall-clock minutes, which are
# never fewer than business minutes), and a new one's below its response target. A resolved one was
# resolved within the last 18 hours, before its auto-close (3 business days) is due.
def _by_priority(p1: tuple[int, int], p2: tuple[int, int], p3: tuple[int, int], p4: tuple[int, int]) -> dict:
    return {1: p1, 2: p2, 3: p3, 4: p4}


def _always(shortest: int, longest: int) -> dict:
    return dict.fromkeys((1, 2, 3, 4), (shortest, longest))


HOUR, DAY = 60, 24 * 60
NEW_FOR = _by_priority((1, 4), (1, 4), (10, 2 * HOUR), (20, 4 * HOUR))
TO_RESPONSE = _by_priority((2, 12), (5, 25), (15, 150), (30, 4 * HOUR))
TO_ROUTE = _always(5, 30)
TO_CLAIM = _by_priority((1, 5), (5, 30), (15, 2 * HOUR), (30, 4 * HOUR))
TO_HOLD = _by_priority((20, 60), (30, 2 * HOUR), (1 * HOUR, 8 * HOUR), (1 * HOUR, 10 * HOUR))
PAUSED_FOR = _always(1 * HOUR, 10 * HOUR)
TO_FIX = _by_priority((30, 150), (1 * HOUR, 5 * HOUR), (2 * HOUR, 30 * HOUR), (4 * HOUR, 50 * HOUR))
TO_REOPEN = _always(2 * HOUR, 20 * HOUR)
TO_CLOSE = _always(1 * HOUR, 30 * HOUR)
# From a story's last step to now.
SINCE = {
    State.TRIAGED: _always(5, 90),
    State.IN_PROGRESS: _always(5, 90),
    State.ON_HOLD: _always(30, 10 * HOUR),
    State.RESOLVED: _always(30, 18 * HOUR),
    State.CLOSED: _always(1 * DAY, 27 * DAY),
    State.CANCELLED: _always(1 * HOUR, 10 * DAY),
}


class Pace:
    """The durations of one story's steps: the same on every database that tells it."""

    def __init__(self, story: Story, priority: int) -> None:
        # Its own sequence, so that the story's other choices (who claims, who closes) stay as they were.
        self.rng = random.Random(f"{RANDOM_SEED}:{story.summary}:pace")
        self.priority = priority

    def wait(self, incident: Incident, ranges: dict[int, tuple[int, int]]) -> Incident:
        """Let the step's time pass: what the incident has so far moves back by it. Returns it fresh."""
        shortest, longest = ranges[self.priority]
        move_into_the_past(incident, timedelta(minutes=self.rng.randint(shortest, longest)))
        return Incident.objects.get(pk=incident.pk)


def move_into_the_past(incident: Incident, by: timedelta) -> None:
    """Move every moment of an incident back by `by`: its opening and the other moments of its
    record, its SLA clock, its timeline, comments, notifications and history, so that it reads as if
    all of it had happened that much earlier.

    Not `save()`: these columns are the record's own bookkeeping, which no service changes; its
    last-modified time stays the real one."""
    pk = incident.pk
    _shift(Incident.objects.filter(pk=pk), by, skip={"updated_at"})
    _shift(Incident.history.filter(id=pk), by)
    _shift(IncidentEvent.objects.filter(incident_id=pk), by)
    _shift(Comment.objects.filter(incident_id=pk), by)
    _shift(Notification.objects.filter(event__incident_id=pk), by)


def _shift(rows: QuerySet, by: timedelta, skip: frozenset[str] | set[str] = frozenset()) -> None:
    moments = {field.name: F(field.name) - by for field in rows.model._meta.concrete_fields
               if isinstance(field, DateTimeField) and field.name not in skip}
    rows.update(**moments)


def chase(incident: Incident, reporter, rng: random.Random) -> None:
    """Some reporters ask for news while they wait."""
    if rng.random() < 0.3:
        services.comment_add(incident=incident, author=reporter, body=rng.choice(REPORTER_CHASERS), public=True)
