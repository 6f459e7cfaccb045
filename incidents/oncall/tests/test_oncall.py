"""On-call rotations and pages: the on-call engineer is paged for high-severity incidents, by e-mail
and webhook, acknowledges from a link, and an unacknowledged page goes to the next in line."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail

from incidents import roles
from incidents.models import Escalation, EventKind, Page, Rotation, RotationMember, RotationOverride
from incidents.oncall import paging
from incidents.oncall import rotation as oncall
from incidents.sla.tests.sla_support import MONDAY_10, claim, only_rules, open_incident, sweep, timeline
from incidents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE_RULE = "P1/P2 unassigned for 5 minutes: page the team's on-call"


class FarEnd:
    """The paging service at the other end of the webhook: records what it receives."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        far_end = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                far_end.requests.append({"key": self.headers["Idempotency-Key"], "json": json.loads(body)})
                self.send_response(far_end.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/page"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def far_end(settings):
    end = FarEnd()
    settings.ITSM_PAGING_WEBHOOK_URL = end.url
    yield end
    end.close()


@pytest.fixture
def rotation(network_team):
    people = [UserFactory(username=name, role=roles.RESOLVER, team=network_team) for name in ("ann", "ben", "cai")]
    rotation = Rotation.objects.create(team=network_team, time_zone="Europe/London", starts_on=date(2025, 6, 2),
                                       handoff_time=time(9), shift_hours=24, ack_minutes=10)
    for position, person in enumerate(people):
        RotationMember.objects.create(rotation=rotation, user=person, position=position)
    return rotation


def at_london(day: int, hour: int, minute: int = 0) -> datetime:
    # June: London is UTC+1.
    return datetime(2025, 6, day, hour - 1, minute, tzinfo=UTC)


def test_daily_rotation_hands_off_at_9_local_time(rotation):
    assert oncall.on_call(rotation.team, at_london(2, 9)).username == "ann"
    assert oncall.on_call(rotation.team, at_london(3, 8, 59)).username == "ann"
    assert oncall.on_call(rotation.team, at_london(3, 9)).username == "ben"
    assert oncall.on_call(rotation.team, at_london(5, 9)).username == "ann"  # round again


def test_weekly_handoff_stays_at_9_across_the_clock_change(network_team):
    person_a, person_b = (UserFactory(username=n, role=roles.RESOLVER) for n in ("dora", "eli"))
    rotation = Rotation.objects.create(team=network_team, time_zone="Europe/London", starts_on=date(2025, 3, 24),
                                       handoff_time=time(9), shift_hours=168)
    RotationMember.objects.create(rotation=rotation, user=person_a, position=0)
    RotationMember.objects.create(rotation=rotation, user=person_b, position=1)
    # Clocks went forward on 30 March; the handoff on Monday 31 March is at 09:00 BST = 08:00 UTC.
    assert oncall.on_call(network_team, datetime(2025, 3, 31, 7, 59, tzinfo=UTC)) == person_a
    assert oncall.on_call(network_team, datetime(2025, 3, 31, 8, 0, tzinfo=UTC)) == person_b


def test_an_override_covers_the_shift(rotation):
    stand_in = UserFactory(username="sub", role=roles.RESOLVER)
    RotationOverride.objects.create(rotation=rotation, user=stand_in, starts_at=at_london(2, 12),
                                    ends_at=at_london(2, 18), note="Dentist")
    assert oncall.on_call(rotation.team, at_london(2, 13)) == stand_in
    assert oncall.on_call(rotation.team, at_london(2, 18)).username == "ann"
    assert [p.username for p in oncall.in_line(rotation, at_london(2, 13))] == ["sub", "ann", "ben", "cai"]


def test_who_is_on_call_now_for_many_teams_takes_a_fixed_number_of_queries(
    rotation, django_assert_num_queries
):
    with django_assert_num_queries(3):
        now = oncall.on_call_now_by_team([rotation.team_id], at_london(3, 10))
    assert now[rotation.team_id].username == "ben"


def test_p1_pages_the_on_call_engineer_within_15_minutes_by_email_and_webhook(
    rotation, far_end, reporter, network_category, django_capture_on_commit_callbacks
):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep().pages == 1
    [page] = Page.objects.filter(incident=incident)
    assert page.user.username == "ann"
    assert page.created_at - incident.opened_at <= timedelta(minutes=15)
    assert page.email_sent_at and page.webhook_sent_at
    [message] = mail.outbox
    assert message.to == ["ann@example.com"] and message.subject.startswith(f"[PAGE] {incident.reference}")
    [request] = far_end.requests
    assert request["key"] == f"page-{page.pk}"
    assert request["json"]["incident"] == incident.reference
    assert request["json"]["acknowledge_url"] in message.body
    [event] = timeline(incident, EventKind.PAGE)
    assert "Paged ann" in event.message


def test_page_acknowledged_from_the_link_is_not_passed_on(rotation, far_end, reporter, network_category, client,
                                                          django_capture_on_commit_callbacks):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
        page = Page.objects.get(incident=incident)
        link = far_end.requests[0]["json"]["acknowledge_url"].removeprefix("http://127.0.0.1:8000")
        client.force_login(page.user)
        assert client.get(link).status_code == 200  # a mail scanner following the link changes nothing
        assert Page.objects.get(pk=page.pk).acknowledged_at is None
        response = client.post(link)
        assert response.status_code == 200 and b"acknowledged" in response.content
        traveller.shift(timedelta(minutes=15))
        sweep()
    assert Page.objects.filter(incident=incident).count() == 1
    assert Page.objects.get(pk=page.pk).acknowledged_at is not None
    assert "ann acknowledged the page." in [e.message for e in timeline(incident, EventKind.PAGE)]


def test_the_link_asks_for_a_login_and_shows_nothing_of_the_incident_before(rotation, reporter, security_category,
                                                                             client):
    page = _page_for(rotation, reporter, security_category, summary="Ransomware note on finance file share FS01")
    link = paging.ack_url(page).removeprefix("http://127.0.0.1:8000")
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert b"Ransomware" not in response.content
    assert Page.objects.get(pk=page.pk).acknowledged_at is None


def test_someone_else_signed_in_cannot_acknowledge_a_page_sent_to_another(rotation, reporter, network_category,
                                                                          client):
    page = _page_for(rotation, reporter, network_category, summary="Core switch down in building B")
    someone_else = rotation.members.exclude(user=page.user).first().user
    client.force_login(someone_else)
    link = paging.ack_url(page).removeprefix("http://127.0.0.1:8000")
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 403
        assert b"Core switch" not in response.content and b"not yours" in response.content
    assert Page.objects.get(pk=page.pk).acknowledged_at is None
    assert not [e for e in timeline(page.incident, EventKind.PAGE) if "acknowledged" in e.message]


def _page_for(rotation, reporter, category, *, summary: str) -> Page:
    incident = open_incident(1, reporter=reporter, category=category, summary=summary)
    person = rotation.members.order_by("position").first().user
    now = datetime.now(UTC)
    escalation = Escalation.objects.create(incident=incident, key="test", fired_at=now, due_at=now)
    return Page.objects.create(incident=incident, escalation=escalation, user=person, created_at=now,
                               escalate_at=now + timedelta(minutes=10))


def test_a_forged_or_altered_acknowledgement_link_is_refused(client):
    assert client.get("/pages/ack/not-a-token/").status_code == 404
    assert client.post(f"/pages/ack/{paging.ack_token(999)}x/").status_code == 404


def test_unacknowledged_page_goes_to_the_next_in_line_after_10_minutes(
    rotation, far_end, reporter, network_category, manager, django_capture_on_commit_callbacks
):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
        traveller.shift(timedelta(minutes=9))
        sweep()
        assert Page.objects.filter(incident=incident).count() == 1
        traveller.shift(timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep().pages_passed_on == 1
        assert [p.user.username for p in Page.objects.filter(incident=incident)] == ["ann", "ben"]
        # Everyone paged, nobody answered: the incident managers hear of it.
        for _ in range(2):
            traveller.shift(timedelta(minutes=10))
            sweep()
    assert [p.user.username for p in Page.objects.filter(incident=incident)] == ["ann", "ben", "cai"]
    assert Page.objects.filter(incident=incident, passed_on_at__isnull=True).count() == 0
    assert "acknowledged the page: notified the incident managers" in timeline(incident, EventKind.ESCALATION)[-1].message
    assert [r["json"]["user"] for r in far_end.requests] == ["ann", "ben"]  # cai's was not delivered in this test
    assert Escalation.objects.filter(incident=incident, rule__isnull=False).count() == 1


def test_claiming_the_incident_stops_the_page_chain(rotation, far_end, reporter, network_category, resolver):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        sweep()
        claim(incident, resolver)
        traveller.shift(timedelta(minutes=10))
        sweep()
    assert Page.objects.filter(incident=incident).count() == 1


def test_team_without_a_rotation_gets_the_incident_managers_instead(reporter, network_category, manager):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        sweep()
    assert not Page.objects.exists()
    [event] = timeline(incident, EventKind.PAGE)
    assert "Nobody is on call" in event.message


def test_webhook_down_is_retried_and_delivered_once(rotation, far_end, reporter, network_category, settings):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        sweep()
    page = Page.objects.get(incident=incident)
    settings.ITSM_PAGING_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    with pytest.raises(paging.TRANSIENT):
        paging.send_page(page.pk)
    page.refresh_from_db()
    assert page.email_sent_at is not None and page.webhook_sent_at is None and page.last_error
    settings.ITSM_PAGING_WEBHOOK_URL = far_end.url
    assert paging.send_page(page.pk) == {"email": False, "webhook": True}
    assert paging.send_page(page.pk) == {"email": False, "webhook": False}
    assert len(far_end.requests) == 1
