"""The shift handoff: the person coming on call is briefed on what happened during the shift and
what they inherit, once, by e-mail at the handoff and on an admin page for any window; the person
going off shift leaves a note on each open incident of the team."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.tests.api_support import assert_constant_queries, count_queries
from incidents import roles, services, tasks
from incidents.models import (
    Comment,
    Escalation,
    EventKind,
    Handoff,
    HoldReason,
    Incident,
    Page,
    Rotation,
    RotationMember,
    RotationOverride,
)
from incidents.oncall import handoff
from incidents.sla.tests.sla_support import open_incident, timeline
from incidents.tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def at_london(day: int, hour: int, minute: int = 0) -> datetime:
    # June: London is UTC+1.
    return datetime(2025, 6, day, hour - 1, minute, tzinfo=UTC)


# The daily rotation hands off at 09:00 London: ann has 2 June, ben 3 June.
SHIFT_START, HANDOFF = at_london(2, 9), at_london(3, 9)


@pytest.fixture
def rotation(network_team):
    people = [UserFactory(username=name, role=roles.RESOLVER, team=network_team) for name in ("ann", "ben", "cai")]
    rotation = Rotation.objects.create(team=network_team, time_zone="Europe/London", starts_on=date(2025, 6, 2),
                                       handoff_time=time(9), shift_hours=24, ack_minutes=10)
    for position, person in enumerate(people):
        RotationMember.objects.create(rotation=rotation, user=person, position=position)
    return rotation


def person(username: str):
    return UserFactory._meta.model.objects.get(username=username)


def _escalate(incident: Incident, at: datetime, key: str = "breach-response:1") -> Escalation:
    return Escalation.objects.create(incident=incident, key=key, fired_at=at, due_at=at)


def _page(incident: Incident, at: datetime, user) -> Page:
    escalation = _escalate(incident, at, key="page")
    return Page.objects.create(incident=incident, escalation=escalation, user=user, created_at=at,
                               escalate_at=at + timedelta(minutes=10))


@pytest.fixture
def shift(rotation, reporter, network_category, platform_team):
    """A day of ann's shift on the Network team, with one incident for each section of the
    briefing, one of another team, and a confidential one."""
    ann = person("ann")
    with time_machine.travel(at_london(1, 12), tick=False):
        older = open_incident(4, reporter=reporter, category=network_category, summary="Printer queue stuck")
        services.comment_add(incident=older, author=ann, body="Spooler restarted, watching it.", public=False)
    with time_machine.travel(at_london(2, 10), tick=False) as traveller:
        new = open_incident(3, reporter=reporter, category=network_category, summary="Wi-Fi drops on floor 3")
        breached = open_incident(2, reporter=reporter, category=network_category, summary="VPN gateway slow")
        Incident.objects.filter(pk=breached.pk).update(response_breached=True)
        escalated = open_incident(3, reporter=reporter, category=network_category, summary="DNS timeouts")
        _escalate(escalated, at_london(2, 11))
        waiting = open_incident(4, reporter=reporter, category=network_category, summary="Cannot reach share")
        services.transition(incident=waiting, user=ann, name="claim")
        services.transition(incident=waiting.pk, user=ann, name="hold",
                            hold_kind=HoldReason.objects.get(waits_for_reporter=True), hold_reason="Which share?")
        major = open_incident(1, reporter=reporter, category=network_category, summary="Core switch down")
        Incident.objects.filter(pk=major.pk).update(is_major=True)
        paged = open_incident(1, reporter=reporter, category=network_category, summary="Firewall cluster failover")
        _page(paged, at_london(2, 12), ann)
        elsewhere = open_incident(2, reporter=reporter, team=platform_team,
                                  category=CategoryFactory(name="Platform", default_team=platform_team),
                                  summary="Kubernetes nodes not ready")
        _escalate(elsewhere, at_london(2, 11))
        secret = open_incident(3, reporter=reporter, category=network_category, summary="Suspicious VPN logins")
        Incident.objects.filter(pk=secret.pk).update(confidential=True)
        traveller.move_to(at_london(2, 16))
        services.comment_add(incident=new, author=ann, body="Access point AP-3-2 rebooted.", public=False)
    # Only the VPN gateway breaches: the others' targets lie beyond the morning of the handoff.
    Incident.objects.exclude(pk=breached.pk).update(respond_by=at_london(9, 9), resolve_by=at_london(9, 9))
    return {name: Incident.objects.get(pk=incident.pk) for name, incident in {
        "older": older, "new": new, "breached": breached, "escalated": escalated, "waiting": waiting,
        "major": major, "paged": paged, "elsewhere": elsewhere, "secret": secret}.items()}


def _sections(brief: handoff.Briefing) -> dict[str, list[str]]:
    return {section.key: [line.incident.summary for line in section.lines] for section in brief.sections}


def test_handoff_briefing_contents_at_a_frozen_time(rotation, shift, agent):
    ben = person("ben")
    with time_machine.travel(HANDOFF + timedelta(minutes=1), tick=False):
        assert handoff.outgoing_window(rotation, HANDOFF) == (SHIFT_START, HANDOFF)
        brief = handoff.briefing(rotation.team, ben, starts_at=SHIFT_START, ends_at=HANDOFF)
    sections = _sections(brief)
    assert sections["new"] == ["Wi-Fi drops on floor 3", "VPN gateway slow", "DNS timeouts", "Cannot reach share",
                               "Core switch down", "Firewall cluster failover", "Suspicious VPN logins"]
    assert sections["breached"] == ["VPN gateway slow"]
    # The page came of an escalation too; the Platform escalation of the same hour is not Network's.
    assert sections["escalated"] == ["DNS timeouts", "Firewall cluster failover"]
    assert sections["waiting"] == ["Cannot reach share"]
    assert sections["major"] == ["Core switch down"]
    assert sections["pages"] == ["Firewall cluster failover"]
    assert "Printer queue stuck" in sections["open"] and "Kubernetes nodes not ready" not in sections["open"]
    lines = {line.incident.summary: line for line in brief.sections[-1].lines}
    ann = person("ann").get_full_name()
    assert lines["Wi-Fi drops on floor 3"].detail == f"Work note by {ann}: Access point AP-3-2 rebooted."
    assert lines["Printer queue stuck"].detail == f"Work note by {ann}: Spooler restarted, watching it."
    assert lines["DNS timeouts"].detail == "No note yet."
    assert all("Kubernetes nodes not ready" not in found for found in sections.values())
    # The desk reads the team's briefing too, without the confidential incident it may not see.
    desk = _sections(handoff.briefing(rotation.team, agent, starts_at=SHIFT_START, ends_at=HANDOFF,
                                      now=HANDOFF))
    assert "Suspicious VPN logins" in sections["open"]
    assert all("Suspicious VPN logins" not in found for found in desk.values())
    assert desk["breached"] == ["VPN gateway slow"]


def test_the_briefing_names_every_ongoing_major_incident_whichever_team_leads_it(rotation, shift):
    Incident.objects.filter(pk=shift["elsewhere"].pk).update(is_major=True)
    with time_machine.travel(HANDOFF + timedelta(minutes=1), tick=False):
        brief = handoff.briefing(rotation.team, person("ben"), starts_at=SHIFT_START, ends_at=HANDOFF)
    [major] = [section for section in brief.sections if section.key == "major"]
    assert [line.incident.summary for line in major.lines] == ["Core switch down", "Kubernetes nodes not ready"]
    assert major.lines[1].detail.endswith("led by Platform")


def test_the_incoming_on_call_is_emailed_the_briefing_once_even_if_beat_runs_twice(
    rotation, shift, django_capture_on_commit_callbacks, settings
):
    settings.ITSM_BASE_URL = "https://itsm.example.com"
    with time_machine.travel(at_london(2, 12), tick=False):
        assert handoff.owe_briefings() == []  # the handoff at 09:00 is three hours old: no news any more
    mail.outbox.clear()
    with time_machine.travel(HANDOFF + timedelta(minutes=2), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.handoff_briefings() == 1
        traveller.shift(timedelta(minutes=5))
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.handoff_briefings() == 0
        [row] = Handoff.objects.all()
        assert handoff.send_briefing(row.pk) == 0  # a duplicate task sends nothing more
    [message] = mail.outbox
    assert message.to == ["ben@example.com"]
    assert row.incoming.username == "ben" and row.outgoing.username == "ann" and row.sent_at is not None
    assert (row.window_starts_at, row.handoff_at) == (SHIFT_START, HANDOFF)
    assert "[Network] You are on call" in message.subject
    assert "from Tue 03 Jun 09:00 (Europe/London)" in message.body
    for name in ("new", "breached", "escalated", "waiting", "major", "paged", "secret"):
        incident = shift[name]
        assert f"{incident.reference} P{incident.priority} {incident.summary}" in message.body
        assert f"https://itsm.example.com/admin/incidents/incident/{incident.pk}/change/" in message.body
    assert shift["elsewhere"].reference not in message.body
    assert "Pages not acknowledged (1)" in message.body and f"Page to {row.outgoing.get_full_name()}, waiting" in message.body
    assert f"https://itsm.example.com/admin/incidents/rotation/{rotation.pk}/briefing/?start=2025-06-02T09:00" \
           "&end=2025-06-03T09:00" in message.body


def test_the_briefing_email_leaves_out_confidential_incidents_its_recipient_may_not_see(
    rotation, shift, agent, django_capture_on_commit_callbacks
):
    # dana of the desk covers ben's shift: the Network team's confidential incident is not hers to read.
    RotationOverride.objects.create(rotation=rotation, user=agent, starts_at=HANDOFF,
                                    ends_at=HANDOFF + timedelta(days=1), note="Swap")
    with time_machine.travel(HANDOFF + timedelta(minutes=2), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        handoff.owe_briefings()
    [message] = mail.outbox[-1:]
    assert message.to == [agent.email]
    assert shift["major"].reference in message.body
    assert shift["secret"].reference not in message.body and "Suspicious" not in message.body


def test_a_handoff_with_nobody_reachable_says_so_and_is_not_retried(rotation, django_capture_on_commit_callbacks):
    UserFactory._meta.model.objects.filter(username="ben").update(email="")
    with time_machine.travel(HANDOFF, tick=False), django_capture_on_commit_callbacks(execute=True):
        handoff.owe_briefings()
    row = Handoff.objects.get()
    assert row.sent_at is None and row.error == "ben has no e-mail address."
    assert list(handoff.stale(HANDOFF + timedelta(hours=1), HANDOFF - timedelta(hours=1), 10)) == []


def test_a_weekly_handoff_across_the_clock_change_briefs_on_the_week_before(network_team,
                                                                            django_capture_on_commit_callbacks):
    rotation = Rotation.objects.create(team=network_team, time_zone="Europe/London", starts_on=date(2025, 3, 24),
                                       handoff_time=time(9), shift_hours=168)
    for position, name in enumerate(("dora", "eli")):
        RotationMember.objects.create(rotation=rotation, position=position,
                                      user=UserFactory(username=name, role=roles.RESOLVER, team=network_team))
    # Clocks went forward on 30 March: 09:00 GMT on the 24th, 09:00 BST (08:00 UTC) on the 31st.
    with time_machine.travel(datetime(2025, 3, 31, 8, 3, tzinfo=UTC), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        handoff.owe_briefings()
    row = Handoff.objects.get()
    assert row.handoff_at == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    assert row.window_starts_at == datetime(2025, 3, 24, 9, 0, tzinfo=UTC)
    assert (row.outgoing.username, row.incoming.username) == ("dora", "eli")
    assert mail.outbox[-1].to == ["eli@example.com"]


def test_the_handoff_note_goes_on_each_open_incident_of_the_team_once(rotation, shift,
                                                                      django_capture_on_commit_callbacks):
    ann = person("ann")
    with time_machine.travel(at_london(2, 20), tick=False):
        note = handoff.write_note(rotation=rotation, author=ann, body="Watch the VPN gateway: ISP ticket 4711 open.")
        with pytest.raises(ValidationError):  # the form sent twice
            handoff.write_note(rotation=rotation, author=ann, body="Watch the VPN gateway: ISP ticket 4711 open.")
    assert note.handoff_at == HANDOFF
    team_open = [i for name, i in shift.items() if name != "elsewhere"]
    assert note.incident_count == len(team_open)
    for incident in team_open:
        [event] = [e for e in timeline(incident, EventKind.COMMENT) if "ISP ticket 4711" in e.message]
        assert not event.public and event.actor == ann
        [comment] = Comment.objects.filter(incident=incident, body__contains="ISP ticket 4711")
        assert comment.body.startswith("Handoff note for the shift ending Tue 03 Jun 09:00 (Europe/London)")
    assert not Comment.objects.filter(incident=shift["elsewhere"], body__contains="ISP ticket").exists()
    # The next briefing carries it, and each incident's last note is now the handoff note.
    brief = handoff.briefing(rotation.team, person("ben"), starts_at=SHIFT_START, ends_at=HANDOFF, now=HANDOFF)
    assert [n.body for n in brief.notes] == ["Watch the VPN gateway: ISP ticket 4711 open."]
    assert all("ISP ticket 4711" in line.detail for line in brief.sections[-1].lines)


def test_someone_outside_the_team_cannot_leave_its_handoff_note(rotation, other_resolver, client):
    with pytest.raises(PermissionDenied):
        handoff.write_note(rotation=rotation, author=other_resolver, body="Not my team")
    client.force_login(other_resolver)
    assert client.get(reverse("admin:incidents_rotation_briefing", args=[rotation.pk])).status_code == 403


def test_the_briefing_page_shows_any_window_and_takes_the_note(rotation, shift, client):
    ann = person("ann")
    client.force_login(ann)
    url = reverse("admin:incidents_rotation_briefing", args=[rotation.pk])
    with time_machine.travel(at_london(2, 20), tick=False):
        page = client.get(url)  # the current shift by default
        assert page.status_code == 200
        html = page.content.decode()
        for name in ("new", "breached", "escalated", "waiting", "major", "paged", "secret"):
            assert reverse("admin:incidents_incident_change", args=[shift[name].pk]) in html
        assert shift["elsewhere"].reference not in html
        earlier = client.get(url, {"start": "2025-06-01T09:00", "end": "2025-06-02T09:00"})
        new_then = [line.incident.summary for line in earlier.context["briefing"].sections[0].lines]
        assert new_then == ["Printer queue stuck"]
        response = client.post(url, {"body": "Core switch vendor calls back at 07:00."})
        assert response.status_code == 302
    assert Comment.objects.filter(incident=shift["major"], body__contains="vendor calls back").count() == 1


def test_the_briefing_page_costs_the_same_queries_for_1_and_50_incidents(rotation, reporter, network_category,
                                                                         manager, client):
    client.force_login(manager)
    url = reverse("admin:incidents_rotation_briefing", args=[rotation.pk])
    ann = person("ann")

    def incident(n: int) -> None:
        made = open_incident(2, reporter=reporter, category=network_category, summary=f"Link {n} flapping")
        Incident.objects.filter(pk=made.pk).update(response_breached=True, is_major=True)
        services.comment_add(incident=made, author=ann, body=f"Looking at link {n}", public=False)
        _escalate(made, at_london(2, 11))
        _page(made, at_london(2, 12), ann)

    with time_machine.travel(at_london(2, 10), tick=False) as traveller:
        incident(0)
        traveller.move_to(at_london(2, 20))
        one, _ = count_queries(lambda: client.get(url))
        traveller.move_to(at_london(2, 10))
        for n in range(1, 50):
            incident(n)
        traveller.move_to(at_london(2, 20))
        many, response = count_queries(lambda: client.get(url))
    assert all(len(section.lines) == 50 for section in response.context["briefing"].sections if section.key != "waiting")
    assert_constant_queries("admin.incidents.rotation.briefing", one, many)


def test_the_handoff_lists_show_a_teams_handoffs_to_its_members_and_the_managers(
        client, rotation, manager, other_resolver, django_capture_on_commit_callbacks):
    from django.urls import reverse

    with time_machine.travel(HANDOFF, tick=False), django_capture_on_commit_callbacks(execute=True):
        handoff.owe_briefings()
    assert Handoff.objects.filter(rotation=rotation).exists()
    url = reverse("admin:incidents_handoff_changelist")
    for user, sees in ((manager, True), (person("ben"), True), (other_resolver, False)):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        assert (len(page.context["cl"].result_list) > 0) is sees, user
