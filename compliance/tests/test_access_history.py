"""Who was given which role, by whom and when: user accounts and groups keep their history, the
way incidents do, and no password hash is ever copied into it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from incidents import roles
from incidents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("root", "root@example.com", "a-long-admin-password")


def test_making_someone_an_incident_manager_is_recorded_with_who_did_it(client, admin_user):
    nick = UserFactory(username="nick", role=roles.RESOLVER)
    managers = Group.objects.get(name=roles.INCIDENT_MANAGER)
    client.force_login(admin_user)
    page = client.get(reverse("admin:auth_user_change", args=[nick.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["groups"] = [g.pk for g in nick.groups.all()] + [managers.pk]
    data.update({"date_joined_0": "2026-01-05", "date_joined_1": "09:00:00", "_save": "Save"})
    data = {k: v for k, v in data.items() if k not in ("password", "date_joined", "last_login")}
    response = client.post(reverse("admin:auth_user_change", args=[nick.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""

    assert set(nick.groups.values_list("name", flat=True)) == {roles.RESOLVER, roles.INCIDENT_MANAGER}
    latest = nick.history.latest()
    assert latest.history_user == admin_user
    assert set(latest.groups.values_list("group__name", flat=True)) == {roles.RESOLVER, roles.INCIDENT_MANAGER}
    before = latest.prev_record
    assert set(before.groups.values_list("group__name", flat=True)) == {roles.RESOLVER}
    history = client.get(reverse("admin:auth_user_history", args=[nick.pk])).content.decode()
    assert "root" in history


def test_adding_a_member_in_code_is_recorded_too(db):
    dana = UserFactory(username="dana", role=roles.DESK_AGENT)
    dana.groups.add(Group.objects.get(name=roles.INCIDENT_MANAGER))
    assert set(dana.history.latest().groups.values_list("group__name", flat=True)) == {
        roles.DESK_AGENT, roles.INCIDENT_MANAGER,
    }


def test_no_password_hash_reaches_the_history(db):
    user = User.objects.create_user("rita", "rita@example.com", "correct horse battery staple")
    user.set_password("another long password")
    user.save()
    historical = user.history.model
    assert "password" not in {f.name for f in historical._meta.fields}
    assert user.history.count() == 2


def test_a_roles_permissions_keep_their_history(db):
    desk = Group.objects.get(name=roles.DESK_AGENT)
    permission = Permission.objects.get(codename="view_escalation")
    desk.permissions.add(permission)
    assert "view_escalation" in set(desk.history.latest().permissions.values_list("permission__codename", flat=True))
    desk.permissions.remove(permission)
    assert "view_escalation" not in set(
        desk.history.latest().permissions.values_list("permission__codename", flat=True))
