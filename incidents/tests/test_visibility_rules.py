"""The read rules exist twice, in Python for one incident (`roles.can_view`, `roles.sees_internal`)
and in SQL for lists (`visible_to`, `seen_internally_by`): they agree for every role on every kind
of incident, so a list never shows what the detail page would refuse, nor the other way round."""

from __future__ import annotations

import pytest

from core.tests.api_support import ROLES
from incidents import roles
from incidents.models import Incident

from .factories import CategoryFactory, UserFactory, make_incident


@pytest.fixture
def incidents(actors):
    network = CategoryFactory(name="Network", default_team=actors.team)
    security = CategoryFactory(name="Security", default_team=actors.team, confidential=True)
    return {
        "ordinary": make_incident(reporter=actors["reporter"], category=network),
        "confidential": make_incident(reporter=actors["reporter"], category=security),
        "confidential, other team": make_incident(reporter=actors["other_reporter"], category=security,
                                                  team=actors.other_team),
        "confidential, reported by a resolver": make_incident(reporter=actors["other_resolver"], category=security),
        "confidential, reported by the desk": make_incident(reporter=actors["desk_agent"], category=security),
    }


@pytest.mark.parametrize("role", [*(r for r in ROLES if r != "anonymous"), "superuser"])
def test_the_python_and_sql_forms_of_each_read_rule_agree(actors, incidents, role):
    user = UserFactory(username="root", is_superuser=True) if role == "superuser" else actors[role]
    visible = set(Incident.objects.visible_to(user).values_list("pk", flat=True))
    internal = set(Incident.objects.seen_internally_by(user).values_list("pk", flat=True))
    for label, incident in incidents.items():
        assert roles.can_view(user, incident) == (incident.pk in visible), (role, label)
        assert roles.sees_internal(user, incident) == (incident.pk in internal), (role, label)
        assert internal <= visible


def test_staff_who_reported_a_confidential_incident_follow_it_on_the_portal_not_in_the_admin(client, actors,
                                                                                           incidents):
    own = incidents["confidential, reported by the desk"]
    client.force_login(actors["desk_agent"])
    listed = client.get("/admin/incidents/incident/").context["cl"].result_list
    assert own not in listed and incidents["ordinary"] in listed
    assert client.get(f"/admin/incidents/incident/{own.pk}/change/").status_code == 302  # "does not exist"
    assert client.get(f"/portal/incidents/{own.reference}/").status_code == 200


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_who_may_be_assigned_agrees_with_who_may_work_on_it(actors, incidents, role):
    from incidents.forms import assignable_users

    user = actors[role]
    for label, incident in incidents.items():
        offered = assignable_users(incident.team_id, confidential=incident.confidential).filter(pk=user.pk).exists()
        assert offered == (roles.can_work_on(user, incident) and roles.is_staff_role(user)), (role, label)


def test_only_its_team_and_managers_work_on_a_confidential_incident(actors, incidents):
    confidential = incidents["confidential"]
    assert roles.can_work_on(actors["team_resolver"], confidential)
    assert roles.can_work_on(actors["incident_manager"], confidential)
    assert not roles.can_work_on(actors["desk_agent"], confidential)
    assert not roles.can_work_on(actors["other_resolver"], incidents["confidential, reported by a resolver"])


def test_staff_who_reported_a_confidential_incident_cannot_act_on_it_as_staff_through_the_api(actors, incidents):
    own = incidents["confidential, reported by the desk"]
    client = actors.client("desk_agent")
    url = f"/api/v1/incidents/{own.reference}/"
    assert client.patch(url, {"confidential": False}, format="json").status_code == 403
    assert client.post(f"{url}comments/", {"body": "a note", "public": False}, format="json").status_code == 403
    assert client.post(f"{url}transitions/claim/", {}, format="json").status_code == 409
    own.refresh_from_db()
    assert own.confidential and own.assignee is None and not own.comments.exists()
