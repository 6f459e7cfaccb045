"""Team membership is access (a Security member sees confidential incidents), so who changed it,
and when, is in the team's history: through the admin and through code alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def members_of(record) -> set[int]:
    return set(record.members.values_list("user_id", flat=True))


def test_adding_a_member_in_the_admin_is_in_the_teams_history_with_who_did_it(client, security_team, manager):
    newcomer = UserFactory(username="nina")
    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    url = reverse("admin:incidents_team_change", args=[security_team.pk])
    response = client.post(url, {"name": security_team.name, "slug": security_team.slug, "tier": security_team.tier,
                                 "email": security_team.email, "members": [newcomer.pk]})
    assert response.status_code == 302
    latest = security_team.history.order_by("-history_id").first()
    assert members_of(latest) == {newcomer.pk}
    assert latest.history_user == admin_user


def test_membership_changed_in_code_leaves_a_history_row_for_each_change(security_team):
    first, second = UserFactory(username="ann"), UserFactory(username="ben")
    security_team.members.add(first)
    security_team.members.add(second)
    security_team.members.remove(first)
    states = [members_of(record) for record in security_team.history.order_by("history_id")]
    assert states[-3:] == [{first.pk}, {first.pk, second.pk}, {second.pk}]
