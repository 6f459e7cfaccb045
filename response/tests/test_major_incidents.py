"""Major incidents, as the SOP has them: declared with a reason by an incident manager (or the
escalation rule), run by a commander and a communications lead, with the reports of the same
outage linked under them one level deep and resolved with them."""

from __future__ import annotations

import pytest
from django.core import mail

from comms import stakeholders
from core.errors import WorkflowError
from incidents import major, roles, services
from incidents.models import EventKind, Incident
from incidents.tests.factories import UserFactory, make_incident
from incidents.workflow import State

pytestmark = pytest.mark.django_db


def claimed(incident: Incident, user) -> Incident:
    return services.transition(incident=incident, user=user, name="claim")


@pytest.fixture
def outage(reporter, network_category, resolver, manager):
    """The core switch is down: in progress with nick, declared major by maria."""
    incident = claimed(make_incident(reporter=reporter, category=network_category, summary="Core switch down",
                                     impact="high", urgency="high"), resolver)
    return major.declare(incident=incident, user=manager, reason="Two buildings offline")


@pytest.fixture
def reports(other_reporter, network_category):
    """Three reports of the same outage, as people filed them."""
    return [make_incident(reporter=other_reporter, category=network_category, summary=f"No network on floor {n}")
            for n in (1, 2, 3)]


# --- declaring ------------------------------------------------------------------------------------
def test_an_incident_manager_declares_a_major_incident_with_a_reason_commander_and_comms_lead(
        reporter, network_category, manager, resolver, agent):
    incident = make_incident(reporter=reporter, category=network_category)
    declared = major.declare(incident=incident, user=manager, reason="Every site is down", comms_lead=agent)
    assert (declared.is_major, declared.commander, declared.comms_lead) == (True, manager, agent)
    assert declared.major_since is not None
    row = declared.history.latest()
    assert (row.history_user, row.history_change_reason) == (manager, "Declared a major incident: Every site is down")
    event = declared.events.get(kind=EventKind.MAJOR)
    assert not event.public and "Every site is down" in event.message and "Commander: " in event.message


@pytest.mark.parametrize("who", ["resolver", "agent"])
def test_only_incident_managers_declare(request, reporter, network_category, who):
    incident = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(WorkflowError, match="Only incident managers"):
        major.declare(incident=incident, user=request.getfixturevalue(who), reason="Big")
    assert not Incident.objects.get(pk=incident.pk).is_major


def test_a_declaration_needs_a_reason(reporter, network_category, manager):
    incident = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(WorkflowError, match="Say why"):
        major.declare(incident=incident, user=manager, reason="  ")


def test_the_commander_must_be_staff_who_may_work_on_it(reporter, security_category, manager, resolver):
    secret = make_incident(reporter=reporter, category=security_category, summary="Ransomware")
    with pytest.raises(WorkflowError, match="cannot be the incident commander"):
        major.declare(incident=secret, user=manager, reason="Spreading", commander=resolver)
    with pytest.raises(WorkflowError, match="cannot be the communications lead"):
        major.declare(incident=secret, user=manager, reason="Spreading", comms_lead=reporter)


def test_the_system_declares_for_the_escalation_rule_without_a_commander(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    declared = major.declare(incident=incident, user=None, reason="Escalated: P1 unassigned")
    assert declared.is_major and declared.commander is None
    assert declared.history.latest().history_user.username == services.SYSTEM_USERNAME


def test_the_commander_the_comms_lead_and_the_managers_hear_a_major_incidents_updates(
        reporter, network_category, manager, resolver, agent):
    low = make_incident(reporter=reporter, category=network_category)  # a P4: managers hear of P1/P2 only
    assert not [r for r in stakeholders.audience(low) if r.why.startswith("incident manager")]
    mark = UserFactory(username="mark", role=roles.INCIDENT_MANAGER)
    major.declare(incident=low, user=manager, reason="Hits every branch", commander=resolver,
                           comms_lead=agent)
    heard = {r.address: (r.audience, r.why) for r in stakeholders.audience(Incident.objects.get(pk=low.pk))}
    assert heard[resolver.email] == ("internal", "incident commander")
    assert heard[agent.email] == ("internal", "communications lead")
    assert heard[mark.email] == ("internal", "incident manager (major incident)")


def test_standing_down_needs_a_reason_and_no_linked_incidents(outage, reports, manager):
    major.link_child(parent=outage, child=reports[0], user=manager)
    with pytest.raises(WorkflowError, match="unlink them"):
        major.stand_down(incident=outage, user=manager, reason="Only one building")
    major.unlink_child(child=reports[0], user=manager)
    with pytest.raises(WorkflowError, match="Say why"):
        major.stand_down(incident=outage, user=manager, reason="")
    down = major.stand_down(incident=outage, user=manager, reason="Only one switch")
    assert (down.is_major, down.commander, down.major_since) == (False, None, None)
    assert down.history.latest().history_change_reason.startswith("Stood down as a major incident")


# --- children -------------------------------------------------------------------------------------
def test_linking_writes_on_both_timelines_and_tells_the_childs_reporter(
        outage, reports, manager, other_reporter, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        child = major.link_child(parent=outage, child=reports[0], user=manager)
    assert child.parent == outage
    assert child.history.latest().history_change_reason == f"Linked to major incident {outage.reference}"
    assert outage.events.filter(kind=EventKind.LINK, public=False, message__contains=child.reference).exists()
    told = child.events.get(kind=EventKind.LINK)
    assert told.public and f"handled as part of {outage.reference} (Core switch down)" in told.message
    assert [m.to for m in mail.outbox] == [[other_reporter.email]]
    assert outage.reference in mail.outbox[0].body
    # Again: nothing more.
    major.link_child(parent=outage, child=child, user=manager)
    assert child.events.filter(kind=EventKind.LINK).count() == 1


def test_a_chain_is_refused_either_way(outage, reports, manager, reporter, network_category):
    major.link_child(parent=outage, child=reports[0], user=manager)
    other = major.declare(incident=make_incident(reporter=reporter, category=network_category),
                                   user=manager, reason="Second outage")
    # A child of a child: the child is no major incident, and a major incident is not put under another.
    with pytest.raises(WorkflowError, match="not a major incident"):
        major.link_child(parent=reports[0], child=reports[1], user=manager)
    with pytest.raises(WorkflowError, match="no chains"):
        major.link_child(parent=other, child=outage, user=manager)
    # A child cannot become a parent, so a cycle cannot close.
    with pytest.raises(WorkflowError, match="is handled as part of"):
        major.declare(incident=reports[0], user=manager, reason="Bigger")
    with pytest.raises(WorkflowError, match="part of .* already"):
        major.link_child(parent=other, child=reports[0], user=manager)
    with pytest.raises(WorkflowError, match="cannot be part of itself"):
        major.link_child(parent=outage, child=outage, user=manager)


def test_a_closed_or_cancelled_parent_takes_no_children(outage, reports, manager, resolver):
    services.transition(incident=outage, user=resolver, name="resolve", resolution_code="fixed",
                        resolution_notes="Switch replaced")
    with pytest.raises(WorkflowError, match="is resolved"):
        major.link_child(parent=outage, child=reports[0], user=manager)
    services.transition(incident=reports[1], user=manager, name="cancel", reason="Duplicate")
    parent = major.declare(incident=reports[2], user=manager, reason="Floor 3 is the real one")
    with pytest.raises(WorkflowError, match="nothing left to handle"):
        major.link_child(parent=parent, child=reports[1], user=manager)


def test_confidential_and_ordinary_incidents_are_not_linked_together(outage, manager, reporter, security_category):
    secret = make_incident(reporter=reporter, category=security_category, summary="Phishing on floor 2")
    with pytest.raises(WorkflowError, match="is confidential"):
        major.link_child(parent=outage, child=secret, user=manager)
    secret_major = major.declare(
        incident=make_incident(reporter=reporter, category=security_category, summary="Credential theft"),
        user=manager, reason="Spreading")
    plain = make_incident(reporter=reporter, summary="Odd mail")
    with pytest.raises(WorkflowError, match="is confidential"):
        major.link_child(parent=secret_major, child=plain, user=manager)
    major.link_child(parent=secret_major, child=secret, user=manager)


def test_who_links_must_be_able_to_work_on_both(outage, other_resolver, reporter, network_category):
    child = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(WorkflowError, match="work on both"):
        major.link_child(parent=outage, child=child, user=other_resolver)


# --- resolving the parent -------------------------------------------------------------------------
def test_parent_resolves_children_with_history_rows(
        outage, reports, manager, resolver, other_reporter, django_capture_on_commit_callbacks):
    in_progress, on_hold, new = reports
    claimed(in_progress, resolver)
    services.transition(incident=claimed(on_hold, resolver), user=resolver, name="hold", hold_reason="Vendor")
    for child in reports:
        major.link_child(parent=outage, child=child, user=manager)
    closed_before = make_incident(reporter=other_reporter, summary="Floor 4", category=in_progress.category)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(incident=outage, user=resolver, name="resolve", resolution_code="fixed",
                            resolution_notes="The core switch was replaced at 10:40.")
    for child in Incident.objects.filter(pk__in=[c.pk for c in reports]):
        assert child.state == State.RESOLVED, child.reference
        assert child.resolution_notes == "The core switch was replaced at 10:40."
        row = child.history.latest()
        assert (row.history_user, row.history_change_reason) == (resolver, f"Resolve: Resolved with {outage.reference}")
        public = child.events.get(transition="resolve")
        assert public.public and public.message == "The core switch was replaced at 10:40."
    # The new one was started first (by its parent's assignee), the one on hold resumed.
    assert Incident.objects.get(pk=new.pk).assignee == resolver
    assert Incident.objects.get(pk=on_hold.pk).events.filter(transition="resume").exists()
    assert Incident.objects.get(pk=closed_before.pk).state == State.NEW  # not linked: untouched
    summary = outage.events.filter(kind=EventKind.LINK, message__startswith="Resolved with it").get()
    assert all(c.reference in summary.message for c in reports)
    assert sum(1 for m in mail.outbox if m.to == [other_reporter.email] and "Resolved" in m.subject) == 3


def test_a_child_that_cannot_be_resolved_is_left_open_and_named_on_the_parent(
        outage, manager, resolver, reporter, platform_team):
    stray = make_incident(reporter=reporter, summary="No team yet")  # no category, no team: cannot be started
    major.link_child(parent=outage, child=stray, user=manager)
    services.transition(incident=outage, user=resolver, name="resolve", resolution_code="fixed",
                        resolution_notes="Switch replaced")
    assert Incident.objects.get(pk=outage.pk).state == State.RESOLVED
    assert Incident.objects.get(pk=stray.pk).state == State.NEW
    left = outage.events.filter(kind=EventKind.LINK, message__contains="Left open").get()
    assert stray.reference in left.message and "needs a team" in left.message


def test_reopening_the_parent_does_not_reopen_its_children(outage, reports, manager, resolver, other_reporter):
    resolved_child, closed_child = reports[:2]
    for child in (resolved_child, closed_child):
        major.link_child(parent=outage, child=claimed(child, resolver), user=manager)
    services.transition(incident=outage, user=resolver, name="resolve", resolution_code="fixed",
                        resolution_notes="Switch replaced")
    services.transition(incident=closed_child.pk, user=other_reporter, name="close", reason="Works")
    services.transition(incident=outage.pk, user=resolver, name="reopen", reason="Down again")
    states = dict(Incident.objects.filter(pk__in=[resolved_child.pk, closed_child.pk]).values_list("pk", "state"))
    assert states == {resolved_child.pk: State.RESOLVED, closed_child.pk: State.CLOSED}
