"""Reference data of the data set: teams, categories, services, and the people who use the desk."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from incidents import roles
from incidents.models import Category, Service, Team

from . import text


@dataclass
class Directory:
    """Ids the incident generator draws from."""

    teams: dict[str, int] = field(default_factory=dict)  # slug -> id
    team_members: dict[int, list[int]] = field(default_factory=dict)  # team id -> user ids
    categories: list[tuple[int, str, int, bool]] = field(default_factory=list)  # id, name, team id, confidential
    category_weights: list[int] = field(default_factory=list)
    services: list[int] = field(default_factory=list)
    reporters: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)


def sizes(incidents: int) -> dict[str, int]:
    """How many people a desk with this many incidents has (100k: 5,000 reporters, 1,000 staff)."""
    return {
        "reporters": max(20, incidents // 20),
        "staff": max(len(text.TEAMS) * 2, incidents // 100),
        "managers": max(2, incidents // 20_000),
    }


def build_directory(*, incidents: int, rng: random.Random, password: str) -> Directory:
    directory = Directory()
    for name, slug, tier, _share in text.TEAMS:
        team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name, "tier": tier,
                                                                  "email": f"{slug}@example.com"})
        directory.teams[slug] = team.pk
    for name, team_slug, confidential, weight in text.CATEGORIES:
        category, _ = Category.objects.get_or_create(
            name=name, defaults={"default_team_id": directory.teams[team_slug], "confidential": confidential}
        )
        directory.categories.append((category.pk, name, category.default_team_id, category.confidential))
        directory.category_weights.append(weight)
    for name in text.SERVICES:
        service, _ = Service.objects.get_or_create(name=name)
        directory.services.append(service.pk)
    _create_people(directory, incidents=incidents, rng=rng, password=password)
    return directory


def _create_people(directory: Directory, *, incidents: int, rng: random.Random, password: str) -> None:
    User = get_user_model()
    counts = sizes(incidents)
    # One hash for everyone: hashing 6,000 passwords would take longer than the rest of the seed.
    hashed = make_password(password)
    taken = set(User.objects.values_list("username", flat=True))
    serial = 0

    def new_user(staff: bool):
        nonlocal serial
        while True:
            serial += 1
            first, last = rng.choice(text.FIRST_NAMES), rng.choice(text.LAST_NAMES)
            username = f"{first}.{last}{serial}".lower()
            if username not in taken:
                taken.add(username)
                return User(username=username, first_name=first, last_name=last, email=f"{username}@example.com",
                            password=hashed, is_staff=staff)

    total_share = sum(share for *_, share in text.TEAMS)
    plan: list[tuple[str, str | None]] = [(roles.REPORTER, None)] * counts["reporters"]
    plan += [(roles.INCIDENT_MANAGER, None)] * counts["managers"]
    for _name, slug, _tier, share in text.TEAMS:
        members = max(2, counts["staff"] * share // total_share)
        role = roles.DESK_AGENT if slug == "service-desk" else roles.RESOLVER
        plan += [(role, slug)] * members

    users = User.objects.bulk_create([new_user(role != roles.REPORTER) for role, _ in plan], batch_size=500)
    groups = dict(Group.objects.filter(name__in=roles.ALL_ROLES).values_list("name", "pk"))
    memberships, team_rows = [], []
    for user, (role, slug) in zip(users, plan, strict=True):
        memberships.append(User.groups.through(user_id=user.pk, group_id=groups[role]))
        if slug:
            team_id = directory.teams[slug]
            team_rows.append(Team.members.through(team_id=team_id, user_id=user.pk))
            directory.team_members.setdefault(team_id, []).append(user.pk)
        if role == roles.REPORTER:
            directory.reporters.append(user.pk)
        elif role == roles.INCIDENT_MANAGER:
            directory.managers.append(user.pk)
        if role == roles.DESK_AGENT:
            directory.agents.append(user.pk)
    User.groups.through.objects.bulk_create(memberships, batch_size=500)
    Team.members.through.objects.bulk_create(team_rows, batch_size=500)
