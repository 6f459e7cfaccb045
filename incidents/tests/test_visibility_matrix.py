"""One registered rule per question (`incidents.visibility`): who reads an incident, who reads its
whole record, who works on it. Each clause gives its Python predicate and its SQL side by side;
these matrices hold the promised answer for every kind of user on every kind of incident, and check
that the Python form (`roles.can_view`, ...) and the SQL form (`visible_to`, ...) agree on all."""

from __future__ import annotations

import pytest

from incidents import roles, visibility
from incidents.models import Incident

from .security_world import USERS, make_world

ALL = {"ordinary", "confidential", "security"}
# The kind of each incident of the world, as the matrices below name it.
KIND = {"ordinary": "ordinary", "confidential": "confidential", "security": "security", "flagged": "security",
        "security, not confidential, Network queue": "security"}

READS = {
    "reporter": ALL,  # they follow their own report, whatever it turned out to be
    "other_reporter": set(),
    "desk_agent": {"ordinary"},
    "resolver": {"ordinary", "confidential"},  # the confidential one is their team's
    "outside_resolver": {"ordinary"},
    "security_member": {"ordinary", "security"},
    "security_member_without_role": {"security"},
    "participant": {"confidential", "security"},
    "staff_participant": ALL,
    "incident_manager": ALL,
    "auditor": {"ordinary"},
    "superuser": ALL,
}
READS_INTERNALS = {
    "reporter": set(), "other_reporter": set(), "desk_agent": {"ordinary"},
    "resolver": {"ordinary", "confidential"}, "outside_resolver": {"ordinary"},
    "security_member": {"ordinary", "security"}, "security_member_without_role": set(),
    "participant": set(), "staff_participant": ALL, "incident_manager": ALL, "auditor": {"ordinary"},
    "superuser": ALL,
}
WORKS_ON = {
    "reporter": set(), "other_reporter": set(), "desk_agent": {"ordinary"},
    "resolver": {"ordinary", "confidential"}, "outside_resolver": set(),  # the ordinary one is Network's
    "security_member": {"security"}, "security_member_without_role": set(),
    "participant": set(), "staff_participant": {"ordinary"},  # named to read it, not to work it
    "incident_manager": ALL, "auditor": set(), "superuser": ALL,
}
RULES = {
    "read": (visibility.READ, roles.can_view, Incident.objects.visible_to, READS),
    "internal": (visibility.INTERNAL, roles.sees_internal, Incident.objects.seen_internally_by, READS_INTERNALS),
    "work": (visibility.WORK, roles.can_work_on, None, WORKS_ON),
}


@pytest.fixture
def world(db):
    return make_world()


@pytest.mark.parametrize("user_name", USERS)
def test_each_rule_gives_every_user_what_it_promises_on_every_kind_of_incident(world, user_name):
    for rule_name, (rule, python_form, sql_form, promised) in RULES.items():
        user = world.fresh(user_name)
        allowed = set(rule.filter(Incident.objects.all(), user).values_list("pk", flat=True))
        if sql_form is not None:
            assert set(sql_form(user).values_list("pk", flat=True)) == allowed
        for name, incident in world.incidents.items():
            expected = KIND[name] in promised[user_name]
            assert python_form(user, incident) is expected, (user_name, rule_name, name)
            # The SQL twin agrees with the Python form on every incident.
            assert (incident.pk in allowed) is expected, (user_name, rule_name, name, "sql")


def test_nobody_signed_out_is_allowed_anything(world):
    from django.contrib.auth.models import AnonymousUser

    for rule, python_form, _sql, _promised in RULES.values():
        assert not rule.filter(Incident.objects.all(), AnonymousUser()).exists()
        assert not any(python_form(AnonymousUser(), incident) for incident in world.incidents.values())


def test_whoever_reads_the_whole_record_or_works_on_an_incident_also_reads_it(world):
    for user_name in USERS:
        user = world.fresh(user_name)
        for incident in world.incidents.values():
            if roles.sees_internal(user, incident) or roles.can_work_on(user, incident):
                assert roles.can_view(user, incident), (user_name, incident.summary)


def test_each_clause_of_each_rule_agrees_with_its_own_sql_on_every_incident(world):
    # Clause by clause, not only as a whole: a clause whose halves drift is caught even when another
    # clause happens to cover the same incident.
    for rule in (visibility.READ, visibility.INTERNAL, visibility.WORK):
        for clause in rule.clauses:
            for user_name in USERS:
                user = world.fresh(user_name)
                if not clause.who(user):
                    continue
                where = clause.where(user)
                matched = set(Incident.objects.filter(where).values_list("pk", flat=True))
                for name, incident in world.incidents.items():
                    assert clause.matches(user, incident) is (incident.pk in matched), (rule.name, clause.name,
                                                                                         user_name, name)


def test_participants_read_from_a_prefetch_cost_no_query_per_incident(world, django_assert_num_queries):
    user = world.fresh("participant")
    roles.team_ids(user), roles.role_names(user)
    incidents = list(Incident.objects.filter(pk__in=[i.pk for i in world.incidents.values()])
                     .prefetch_related("participants"))
    with django_assert_num_queries(0):
        seen = [incident for incident in incidents if roles.can_view(user, incident)]
    assert {KIND[name] for name, i in world.incidents.items() if i in seen} == {"confidential", "security"}


def test_the_assignee_choices_offer_exactly_who_may_work_on_a_security_incident(world):
    from incidents.forms import assignable_users

    incident = world.incidents["security"]
    offered = set(assignable_users(incident.team_id, confidential=True, security=True).values_list("pk", flat=True))
    for user_name in USERS:
        if user_name == "superuser":
            continue  # offered as nobody's colleague: superusers hold no role
        user = world.fresh(user_name)
        may = roles.can_work_on(user, incident) and roles.is_staff_role(user)
        assert (user.pk in offered) is may, user_name


def test_rows_read_with_the_participation_annotation_are_judged_without_a_query_each(world,
                                                                                  django_assert_num_queries):
    user = world.fresh("staff_participant")
    roles.team_ids(user), roles.role_names(user)
    rows = list(visibility.with_participation(Incident.objects.visible_to(user), user))
    with django_assert_num_queries(0):
        internal = {incident.pk for incident in rows if roles.sees_internal(user, incident)}
    assert internal == {i.pk for i in world.incidents.values()}
