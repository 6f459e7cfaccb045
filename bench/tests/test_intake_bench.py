"""The intake benchmarks' pieces: their ceilings (`bench.intake_views`), the loads' bodies, and the load
generator's api-send phases. The slots themselves run in test_harness's whole bench run."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from bench.alert_ingest import KEY, NEW_EVERY, REPEAT_GROUPS, body_sets
from bench.loadgen import parse_phase
from bench.mail_ingest import DESK, RFC822, TEXT, message
from incidents import roles
from incidents.models import Incident
from incidents.tests.factories import UserFactory
from intake.accounts import service_account
from intake.models import AlertGroup, AlertSource, InboundMessage, Mailbox, MailboxKind, SourceKind
from tokens.services import issue

URL = "/api/v1/intake/alertmanager/"
BARE = "/bench/intake/alerts/"
MAIL = "/api/v1/intake/email/"
BARE_MAIL = "/bench/intake/email/"


def client_of(account) -> APIClient:
    _, key = issue(user=account, name="bench test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def source_client() -> tuple[AlertSource, APIClient]:
    source = AlertSource.objects.create(name="Prometheus", kind=SourceKind.ALERTMANAGER,
                                        service_user=service_account("alerts", "Prometheus"))
    return source, client_of(source.service_user)


def test_one_post_in_ten_is_a_new_group_and_the_others_repeat_the_groups_opened_before():
    sets, repeated = body_sets("t")
    items = sets["alerts"]["items"]
    assert len(repeated) == REPEAT_GROUPS
    new = [n for n, item in enumerate(items) if item["label"] == "new group"]
    assert new == list(range(0, len(items), NEW_EVERY))
    assert all(KEY in items[n]["body"] and items[n]["status"] == 201 for n in new)
    repeats = [item for item in items if item["label"] == "repeat"]
    assert {item["body"] for item in repeats} == {json.dumps(body) for body in repeated}
    assert all(KEY not in item["body"] and item["expect"] == {"opened": False, "changed": False} for item in repeats)
    assert {item["units"] for item in items} == {1, 3, 5}


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls")
def test_the_bare_view_answers_as_the_intake_does_writing_only_the_rows():
    source, client = source_client()
    sets, repeated = body_sets("t")
    new = json.loads(sets["alerts"]["items"][0]["body"].replace(KEY, "1"))
    assert client.post(URL, repeated[0], format="json").status_code == 201
    incidents = Incident.objects.count()

    repeat = client.post(BARE, repeated[0], format="json")
    assert repeat.status_code == 200 and repeat.json()["opened"] is False
    assert AlertGroup.objects.get(source=source).occurrences == 2
    assert Incident.objects.count() == incidents

    opened = client.post(BARE, new, format="json")
    assert opened.status_code == 201 and opened.json()["opened"] is True
    assert Incident.objects.count() == incidents + 1
    assert AlertGroup.objects.filter(source=source, open=True).count() == 2
    # The product takes the ceiling's group as its own: the same key, the same source.
    again = client.post(URL, new, format="json")
    assert again.status_code == 200 and again.json()["opened"] is False
    # Behind the same token authentication.
    assert APIClient().post(BARE, new, format="json").status_code == 401


def test_the_load_generator_reads_send_phases():
    phase = parse_phase("bare=api-send:alerts:/bench/intake/alerts/")
    assert (phase.kind, phase.bodies, phase.path) == ("api-send", "alerts", "/bench/intake/alerts/")


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls", ITSM_MAIL_DOMAIN="desk.example.com")
def test_the_slots_messages_open_and_answer_incidents_on_the_endpoint_and_on_the_bare_view():
    mailbox = Mailbox.objects.create(name="Desk", kind=MailboxKind.PIPE, address=DESK,
                                     service_user=service_account("mail", "Desk"))
    client = client_of(mailbox.service_user)
    rita = UserFactory(username="rita", role=roles.REPORTER)

    def post(path: str, n: int, subject: str = "VPN drops") -> dict:
        raw = message(rita, subject, TEXT.format(name="Rita"), f"<m{n}@mail.bench.example>")
        response = client.post(path, data=raw.encode(), content_type=RFC822)
        assert response.status_code == 201, response.content
        return response.json()

    for path in (MAIL, BARE_MAIL):
        opened = post(path, 1 if path == MAIL else 2)
        assert opened["outcome"] == "opened"
        incident = Incident.objects.get(reference=opened["incident"])
        replied = post(path, 3 if path == MAIL else 4, subject=f"Re: [{incident.reference}] VPN drops")
        assert (replied["outcome"], replied["incident"]) == ("commented", incident.reference)
        assert incident.comments.filter(public=True).count() == 1
    assert set(InboundMessage.objects.values_list("message_key", flat=True)) == {
        f"<m{n}@mail.bench.example>" for n in range(1, 5)}
