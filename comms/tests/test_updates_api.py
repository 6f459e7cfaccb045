"""The updates API: the same service as the admin's form, the same audiences, the same checks."""

from __future__ import annotations

import pytest

from comms import services
from comms.models import Template, Update
from core.tests.api_support import assert_constant_queries, assert_error, count_queries, token_client
from incidents import services as incidents
from incidents.tests.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reporter, network_category, resolver):
    opened = make_incident(reporter=reporter, category=network_category, impact="high", urgency="medium",
                           summary="Wi-Fi drops on floor 2")
    return incidents.transition(incident=opened.pk, user=resolver, name="start", assignee=resolver)


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.reference}/updates/"


def test_a_resolver_posts_an_update_from_a_template_and_the_reporter_reads_it(incident, resolver, reporter):
    template = Template.objects.get(name="Status update (e-mail)")
    response = token_client(resolver).post(url(incident), {"template": template.pk, "to_external": True},
                                           format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert "Wi-Fi drops on floor 2" in body["body"] and body["audiences"] == ["external"]
    assert body["recipients"] == 1 and body["subject"].startswith(f"[{incident.reference}]")
    as_reporter = token_client(reporter).get(url(incident)).json()["results"]
    assert [u["id"] for u in as_reporter] == [body["id"]] and as_reporter[0]["recipients"] is None


def test_the_reporter_does_not_read_internal_updates_nor_post_any(incident, resolver, reporter):
    services.post_update(incident=incident, author=resolver, body="Internal: the AP firmware is suspect.",
                         to_internal=True)
    assert token_client(reporter).get(url(incident)).json()["results"] == []
    assert_error(token_client(reporter).post(url(incident), {"body": "x", "to_external": True}, format="json"), 403)


def test_refusals_come_in_the_error_shape_and_nothing_is_posted(incident, resolver, other_resolver, other_reporter):
    body = assert_error(token_client(resolver).post(url(incident), {"body": ""}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"body", "to_internal"}
    assert_error(token_client(other_resolver).post(url(incident), {"body": "x", "to_external": True},
                                                   format="json"), 403)
    assert_error(token_client(other_reporter).get(url(incident)), 404)
    assert not Update.objects.exists()


def test_the_list_costs_the_same_queries_for_1_and_50_updates(incident, resolver):
    client = token_client(resolver)
    services.post_update(incident=incident, author=resolver, body="0", to_internal=True)
    client.get(url(incident))  # the token's first use is written down once
    one, _ = count_queries(lambda: client.get(url(incident)))
    for n in range(1, 50):
        services.post_update(incident=incident, author=resolver, body=str(n), to_external=True)
    many, response = count_queries(lambda: client.get(url(incident), {"page_size": 50}))
    assert len(response.json()["results"]) == 50
    assert_constant_queries("api.comms.updates", one, many)
