"""The timeline through the API: the reporter's is the portal's (public replies and public events,
in their words), the staff's is the admin's (every event, with its transition and states)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tests.api_support import assert_error
from incidents import services

from .factories import CategoryFactory, make_incident


def timeline_url(incident) -> str:
    return f"/api/v1/incidents/{incident.reference}/timeline/"


@pytest.fixture
def worked(actors):
    incident = make_incident(reporter=actors["reporter"], category=CategoryFactory(name="Network",
                                                                                    default_team=actors.team))
    resolver = actors["team_resolver"]
    services.transition(incident=incident, user=resolver, name="claim")
    services.comment_add(incident=incident, author=resolver, body="Core switch port 12 is flapping", public=False)
    services.comment_add(incident=incident, author=resolver, body="We found the cause", public=True,
                         files=[SimpleUploadedFile("port12.log", b"link down\n")])
    services.transition(incident=incident.pk, user=resolver, name="resolve", resolution_code="fixed",
                        resolution_notes="Replaced the cable on port 12.")
    return incident


def test_reporter_timeline_is_the_portals_public_one(actors, worked):
    response = actors.client("reporter").get(timeline_url(worked))
    assert response.status_code == 200, response.content
    entries = response.json()
    assert [e["headline"] for e in entries] == ["Reported", "Reply from the service desk", "Resolved"]
    assert all(e["public"] for e in entries)
    assert "flapping" not in str(entries) and "claim" not in str(entries)
    assert entries[1]["attachments"][0]["name"] == "port12.log"
    assert entries[2]["text"] == "Replaced the cable on port 12."


def test_staff_timeline_has_every_event_with_its_states(actors, worked):
    entries = actors.client("desk_agent").get(timeline_url(worked)).json()
    kinds = [(e["kind"], e["transition"]) for e in entries]
    assert ("transition", "claim") in kinds and ("transition", "resolve") in kinds
    assert any(e["text"].startswith("Core switch port 12") and not e["public"] for e in entries)
    claim = next(e for e in entries if e["transition"] == "claim")
    assert (claim["from_state"], claim["to_state"], claim["headline"]) == ("new", "in_progress", "Claimed")
    assert claim["actor"] == actors["team_resolver"].get_full_name()


def test_the_timeline_of_an_incident_the_caller_may_not_see_is_404(actors, worked):
    assert_error(actors.client("other_reporter").get(timeline_url(worked)), 404, "not_found")
