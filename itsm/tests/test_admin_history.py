"""No history form saves anything, for any role: simple-history's revert form saves a POST from
anyone who may view the object (`SIMPLE_HISTORY_REVERT_DISABLED` only hides the button), which let
a resolver with `view_team` add himself to the Security team and a desk agent rewrite the P1
response target. Every historised model's admin is `core.admin.RecordHistoryAdmin`, which refuses.

The demo organisation is seeded once for the module, in a transaction rolled back at the end.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from core.admin import RecordHistoryAdmin
from incidents.demo import notifications_delivered_in_memory
from incidents.models import SlaPolicy, Team

pytestmark = pytest.mark.django_db
User = get_user_model()
# One staff member of each role, and the superuser: the demo's logins.
STAFF = ["dana", "nick", "sam", "maria", "admin"]


@pytest.fixture(scope="module", autouse=True)
def _fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        with notifications_delivered_in_memory(), TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", "--quiet")
        _one_of_everything_with_history()
        yield
        transaction.set_rollback(True)


def _one_of_everything_with_history() -> None:
    """What the demo lacks, and a history row for what a migration seeded without one."""
    from incidents.models import EscalationPath, Rotation
    from knowledge_base.tests.factories import ArticleFactory, CategoryFactory, KnownErrorFactory
    from reviews.models import PostIncidentReview
    from reviews.tests.factories import ActionItemFactory, ReviewFactory

    network, platform = Team.objects.get(name="Network"), Team.objects.get(name="Platform")
    EscalationPath.objects.get_or_create(team=network, defaults={"escalates_to": platform})
    Rotation.objects.get_or_create(team=network)
    KnownErrorFactory(category=CategoryFactory())
    ArticleFactory()
    review = PostIncidentReview.objects.first() or ReviewFactory()
    ActionItemFactory(review=review)
    for model in HISTORISED:
        for obj in model._default_manager.order_by("pk")[:1]:
            if not obj.history.exists():
                obj.save()


HISTORISED = sorted(
    (model for model, model_admin in admin.site._registry.items() if isinstance(model_admin, SimpleHistoryAdmin)),
    key=lambda model: model._meta.label,
)


def test_every_historised_model_has_the_admin_that_refuses_reverting():
    assert HISTORISED, "the walk below would prove nothing"
    for model in HISTORISED:
        assert isinstance(admin.site._registry[model], RecordHistoryAdmin), model._meta.label


@pytest.mark.parametrize("model", HISTORISED, ids=lambda model: model._meta.label)
def test_no_history_form_saves_for_any_role(seeded, client, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the demo has no {model._meta.verbose_name}"
    version = obj.history.order_by("history_id").first()
    info = model._meta.app_label, model._meta.model_name
    url = reverse(f"admin:{info[0]}_{info[1]}_simple_history", args=[obj.pk, version.history_id])
    history_url = reverse(f"admin:{info[0]}_{info[1]}_history", args=[obj.pk])
    rows_before = obj.history.count()
    for username in STAFF:
        client.force_login(User.objects.get(username=username))
        for response in (client.get(url), client.post(url, {"_save": "Revert"})):
            # Refused before any form is built: back to the history (or to the list, for a user
            # who may not see this object), never a form and never a save.
            assert response.status_code == 302, (username, response.status_code)
            assert response["Location"] in (history_url, reverse(f"admin:{info[0]}_{info[1]}_changelist"),
                                             reverse("admin:index")), (username, response["Location"])
    assert obj.history.count() == rows_before


def test_a_resolver_cannot_join_the_security_team_through_its_history_form(seeded, client):
    """The reproduction from the review: a valid form, POSTed by a Network resolver who may only view teams."""
    nick = User.objects.get(username="nick")
    security = Team.objects.get(name="Security")
    version = security.history.order_by("history_id").first()
    client.force_login(nick)
    url = reverse("admin:incidents_team_simple_history", args=[security.pk, version.history_id])
    members = [*security.members.values_list("pk", flat=True), nick.pk]
    client.post(url, {"name": security.name, "slug": security.slug, "tier": security.tier, "email": security.email,
                      "members": members, "_save": "Revert"})
    assert not security.members.filter(pk=nick.pk).exists()


def test_a_desk_agent_cannot_stretch_the_p1_response_target_through_its_history_form(seeded, client):
    policy = SlaPolicy.objects.get(priority=1)
    version = policy.history.order_by("history_id").first()
    client.force_login(User.objects.get(username="dana"))
    url = reverse("admin:incidents_slapolicy_simple_history", args=[policy.pk, version.history_id])
    client.post(url, {"priority": 1, "calendar": policy.calendar_id, "response_minutes": 600,
                      "resolution_minutes": policy.resolution_minutes, "_save": "Revert"})
    policy.refresh_from_db()
    assert policy.response_minutes == 15
