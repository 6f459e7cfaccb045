"""The resolve step records how restoration was verified: the admin's resolve form asks for it, the
API's resolve transition takes it, the service keeps it in the incident's history, and the
conformance checklist reads it from there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.conformance import MET, MISSED, checklist
from core.tests.api_support import actors, assert_error  # noqa: F401  (actors: the API tests' one user per role)
from incidents import services
from incidents.models import Incident
from incidents.tests.conftest import network_category, network_team, reporter, resolver  # noqa: F401
from incidents.tests.factories import CategoryFactory, make_incident
from incidents.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_progress(reporter, resolver, network_category):  # noqa: F811
    incident = make_incident(reporter=reporter, category=network_category, impact="medium", urgency="medium")
    return services.transition(incident=incident.pk, user=resolver, name="claim")


def test_the_admin_resolve_form_asks_how_restoration_was_verified_and_keeps_it_in_history(
    client, resolver, in_progress,  # noqa: F811
):
    client.force_login(resolver)
    url = reverse("admin:incidents_incident_transition", args=[in_progress.pk, "resolve"])
    page = client.get(url)
    assert "verification" in page.context["form"].fields
    assert "production or staging" in page.content.decode()
    response = client.post(url, {
        "resolution_code": "fixed", "resolution_notes": "Renewed the certificate.", "workaround": "",
        "verification": "  Logged in through the VPN from a test laptop in production.  ", "reason": "",
    })
    assert response.status_code == 302
    saved = Incident.objects.get(pk=in_progress.pk)
    assert saved.state == State.RESOLVED
    assert saved.verification == "Logged in through the VPN from a test laptop in production."
    row = saved.history.first()
    assert row.verification == saved.verification and row.history_user == resolver
    assert checklist(saved).item("restoration_verified").status == MET


def test_resolving_through_the_admin_without_a_verification_still_resolves_but_misses_the_step(
    client, resolver, in_progress,  # noqa: F811
):
    client.force_login(resolver)
    url = reverse("admin:incidents_incident_transition", args=[in_progress.pk, "resolve"])
    response = client.post(url, {"resolution_code": "fixed", "resolution_notes": "Renewed the certificate.",
                                 "workaround": "", "verification": "", "reason": ""})
    assert response.status_code == 302
    saved = Incident.objects.get(pk=in_progress.pk)
    assert saved.state == State.RESOLVED and saved.verification == ""
    item = checklist(saved).item("restoration_verified")
    assert item.status == MISSED and "without recording how restoration was verified" in item.evidence


@pytest.fixture
def api_incident(actors):  # noqa: F811
    network = CategoryFactory(name="Network", default_team=actors.team)
    incident = make_incident(reporter=actors["reporter"], category=network)
    return services.transition(incident=incident, user=actors["team_resolver"], name="claim")


def test_the_api_resolve_transition_takes_the_verification_and_lists_it_as_an_input(actors, api_incident):  # noqa: F811
    client = actors.client("team_resolver")
    base = f"/api/v1/incidents/{api_incident.reference}/transitions/"
    offered = {t["name"]: t for t in client.get(base).json()}
    assert "verification" in offered["resolve"]["inputs"]
    done = client.post(f"{base}resolve/", {"resolution_code": "fixed", "resolution_notes": "Replaced the switch.",
                                           "verification": "Ping and a file transfer from staging, then production."})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "resolved"
    assert done.json()["verification"] == "Ping and a file transfer from staging, then production."
    saved = Incident.objects.get(pk=api_incident.pk)
    assert saved.history.first().verification == "Ping and a file transfer from staging, then production."


def test_the_api_refuses_a_verification_on_a_transition_that_does_not_take_it(actors, api_incident):  # noqa: F811
    client = actors.client("team_resolver")
    response = client.post(f"/api/v1/incidents/{api_incident.reference}/transitions/hold/",
                           {"hold_reason": "Vendor", "verification": "n/a"})
    body = assert_error(response, 400)
    assert "verification" in str(body)
