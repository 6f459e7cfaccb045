"""Alert storms: repeats cost a constant number of queries, and the same new group posted fifty
times at once opens one incident (PostgreSQL, where requests really run in parallel)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.tests.api_support import assert_constant_queries, count_queries, token_client
from incidents.models import Incident
from intake.accounts import service_account
from intake.models import AlertGroup, AlertSource, SourceKind
from tokens import services as tokens

from .alert_payloads import alert, webhook

URL = "/api/v1/intake/alertmanager/"


def make_source():
    return AlertSource.objects.create(name="Prometheus", kind=SourceKind.ALERTMANAGER,
                                      service_user=service_account("alerts", "Prometheus"))


@pytest.mark.django_db
def test_a_repeat_costs_the_same_queries_for_the_2nd_and_the_50th_and_for_1_or_50_alerts():
    client = token_client(make_source().service_user)
    one = webhook(alert())
    fifty = webhook(*(alert(instance=f"pay-{n}") for n in range(50)), group="Storm")
    client.post(URL, one, format="json")
    client.post(URL, fifty, format="json")

    second, _ = count_queries(lambda: client.post(URL, one, format="json"))
    for _ in range(47):
        client.post(URL, one, format="json")
    fiftieth, response = count_queries(lambda: client.post(URL, one, format="json"))
    of_fifty, _ = count_queries(lambda: client.post(URL, fifty, format="json"))

    assert response.json()["occurrences"] == 50
    assert second == fiftieth
    assert_constant_queries("intake.alertmanager_repeat", second, of_fifty)


def post_at_once(key: str, payloads: list[dict]) -> list[tuple[int, str | None]]:
    """Post every payload from a thread of its own, all released at the same moment."""
    barrier = threading.Barrier(len(payloads))
    answers: list[tuple[int, str | None]] = []
    errors: list[BaseException] = []

    def post(payload: dict) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        try:
            barrier.wait()
            response = client.post(URL, payload, format="json")
            answers.append((response.status_code, response.json().get("incident")))
        except BaseException as error:  # noqa: BLE001 - reported below, the thread must not die silently
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return answers


@pytest.mark.django_db(transaction=True)
def test_the_same_new_group_posted_50_times_at_once_opens_one_incident(require_postgres):
    source = make_source()
    _, key = tokens.issue(user=source.service_user, name="storm")
    payload = webhook(*(alert(instance=f"pay-{n}") for n in range(3)))

    answers = post_at_once(key, [payload] * 50)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 49 + [201], statuses
    assert Incident.objects.count() == 1
    assert len({reference for _, reference in answers}) == 1
    group = AlertGroup.objects.get()
    assert group.occurrences == 50
    assert group.incident.events.filter(kind="created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_repeats_at_once_unchanged_and_changed_are_all_counted_on_the_one_incident(require_postgres):
    # Unchanged repeats are counted by one UPDATE without a lock, changed ones under the group's
    # lock: mixed, at once, none is lost and none opens a second incident.
    source = make_source()
    _, key = tokens.issue(user=source.service_user, name="storm")
    same = webhook(alert(instance="pay-1"))
    grown = webhook(alert(instance="pay-1"), alert(instance="pay-2"))
    post_at_once(key, [same])

    answers = post_at_once(key, [same] * 40 + [grown] * 10)

    assert sorted(status for status, _ in answers) == [200] * 50
    group = AlertGroup.objects.get()
    assert group.occurrences == 51
    assert Incident.objects.count() == 1
    assert group.incident.events.filter(kind="alert").exists()  # the change was noted
