"""The incidents' part of the demo (`manage.py seed_demo`, in `itsm`): teams, categories, services,
one user per role and the incident stories of `demo_data`.

Idempotent: what exists is left alone (teams, categories and services by name, users by username,
incidents by summary), so running it again changes nothing. Every incident is opened and moved
through its life by the services, as the people in its story, so the history, timeline and
notifications look exactly as if they had used the portal and the admin.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
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
from incidents.models import Category, Channel, Incident, Service, Team
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
    """Open the incident and take it, through the services, to where its story ends."""
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
    if story.state == State.NEW:
        chase(incident, reporter, rng)
        return
    if story.state == State.CANCELLED and story.cancel_by == "reporter":
        services.transition(incident=incident, user=reporter, name="cancel", reason=story.cancel_reason)
        return

    # Confidential incidents are triaged by the incident manager: the desk cannot see them.
    confidential = story.category and categories[story.category].confidential
    triager = users["maria"] if confidential else desk
    inputs = {"category": categories[story.triage_category]} if story.triage_category else {}
    incident = services.transition(incident=incident, user=triager, name="triage", **inputs)
    if story.route:
        incident = services.incident_route(
            incident=incident, user=desk, team=Team.objects.get(name=story.route),
            reason=f"Needs the {story.route} team.",
        )
    if story.state == State.CANCELLED:
        services.transition(incident=incident, user=desk, name="cancel", reason=story.cancel_reason)
        return
    if story.state == State.TRIAGED:
        reply = story.reply or (rng.random() < 0.5 and f"Thanks for reporting this; it is with the {incident.team} team.")
        if reply:
            services.comment_add(incident=incident, author=desk, body=reply, public=True)
        chase(incident, reporter, rng)
        return

    worker = users[TEAM_WORKER[incident.team.name]]
    if rng.random() < 0.7 or worker == triager:
        incident = services.transition(incident=incident, user=worker, name="claim")
    else:
        incident = services.transition(incident=incident, user=triager, name="start", assignee=worker,
                                       reason=f"Assigned to {worker.first_name}.")
    if story.paused:
        incident = services.transition(incident=incident, user=worker, name="hold", hold_reason=story.paused)
        incident = services.transition(incident=incident, user=worker, name="resume", reason="Got what we needed.")
    if story.note:
        services.comment_add(incident=incident, author=worker, body=story.note, public=False)
    if story.reply:
        services.comment_add(incident=incident, author=worker, body=story.reply, public=True)
    if story.state == State.IN_PROGRESS:
        chase(incident, reporter, rng)
        return
    if story.state == State.ON_HOLD:
        services.transition(incident=incident, user=worker, name="hold", hold_reason=story.hold)
        return

    if story.first_fix:
        incident = services.transition(incident=incident, user=worker, name="resolve",
                                       resolution_code="fixed", resolution_notes=story.first_fix)
        incident = services.transition(incident=incident, user=reporter, name="reopen", reason=story.reopen_reason)
    incident = services.transition(incident=incident, user=worker, name="resolve",
                                   resolution_code=story.code, resolution_notes=story.fix)
    if story.state == State.CLOSED:
        if rng.random() < 0.75:
            services.transition(incident=incident, user=reporter, name="close", reason=rng.choice(CLOSE_REASONS))
        else:
            services.transition(incident=incident, user=desk, name="close", reason="Reporter confirmed by phone.")


def chase(incident: Incident, reporter, rng: random.Random) -> None:
    """Some reporters ask for news while they wait."""
    if rng.random() < 0.3:
        services.comment_add(incident=incident, author=reporter, body=rng.choice(REPORTER_CHASERS), public=True)
