"""Factories for knowledge base tests. Staff users get their role's group, as the data migrations
define it (the groups exist in every test database)."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from knowledge_base.models import Article, Category, KnownError
from knowledge_base.workflow import State

DESK_AGENT = "Service desk agent"
RESOLVER = "Resolver"
INCIDENT_MANAGER = "Incident manager"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"kbuser{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # No password: tests log in with force_login, and hashing one costs seconds per user.
    password = "!"

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            self.is_staff = True
            self.save(update_fields=["is_staff"])


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"KB category {n}")


class KnownErrorFactory(factory.django.DjangoModelFactory):
    """A known error straight in the given state (default published), as an import would make it."""

    class Meta:
        model = KnownError

    title = factory.Sequence(lambda n: f"Known error number {n}")
    symptoms = "Users see an error."
    root_cause = "A defect."
    workaround = "Restart the application."
    affected_service = "E-mail"
    public = True
    state = State.PUBLISHED


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article number {n}")
    body = "Do this, then that."
    audience = "public"
    state = State.PUBLISHED
