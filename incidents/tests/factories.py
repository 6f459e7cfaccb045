"""Factories for incident tests (and for other apps' tests that need incidents)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents import roles
from incidents.models import Category, Incident, Service, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")

    @classmethod
    def _generate(cls, strategy, params):
        # Staff from the start: a second save for `is_staff` would write the account's history
        # twice more (its row and its groups'), for every user of every test.
        role = params.get("role")
        if role and role != roles.REPORTER:
            params.setdefault("is_staff", True)
        return super()._generate(strategy, params)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted != roles.REPORTER and not self.is_staff:  # an existing account: got, not made
                self.is_staff = True
                self.save(update_fields=["is_staff"])

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if create and extracted:
            extracted.members.add(self)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))
    tier = 2


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")
    default_team = factory.SubFactory(TeamFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service {n}")


def make_incident(*, reporter=None, category=None, **kwargs) -> Incident:
    """An incident opened the way users open them: through the service."""
    from incidents import services

    reporter = reporter or UserFactory(role=roles.REPORTER)
    kwargs.setdefault("summary", "Cannot connect to the VPN from home")
    kwargs.setdefault("description", "The client says 'authentication failed' since this morning.")
    return services.incident_create(reporter=reporter, category=category, **kwargs)
