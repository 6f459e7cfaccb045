"""What each format says about an event: the Standard Webhooks JSON, a Slack message (text and
blocks) and a Teams message with an Adaptive Card, from the same facts."""

from __future__ import annotations

import json

import pytest

from incidents import services
from incidents.models import EventKind, IncidentEvent
from incidents.tests.factories import make_incident
from webhooks import payloads
from webhooks.models import PayloadFormat

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment_event(reporter, resolver, network_category):
    incident = make_incident(reporter=reporter, category=network_category, summary="Switch <b>down</b> & out in Zürich",
                             impact="high", urgency="high")
    services.comment_add(incident=incident, author=resolver, body="Replacing the <!channel> uplink", public=True)
    return IncidentEvent.objects.select_related("incident__team", "actor").get(incident=incident,
                                                                               kind=EventKind.COMMENT)


def test_the_standard_payload_has_type_timestamp_and_the_event_with_its_incident(comment_event, settings):
    body = payloads.standard(comment_event)
    incident = comment_event.incident
    assert body["type"] == "incident.comment"
    assert body["timestamp"] == comment_event.created_at.isoformat()
    data = body["data"]
    assert data["id"] == comment_event.pk and data["kind"] == "comment" and data["actor"] == "nick"
    assert data["message"] == "Replacing the <!channel> uplink" and data["public"] is True
    assert data["incident"] == {
        "id": incident.pk, "reference": incident.reference, "summary": "Switch <b>down</b> & out in Zürich",
        "state": incident.state, "priority": 1, "team": "Network", "confidential": False,
        "exercise": False,
        "url": f"{settings.ITSM_BASE_URL}/admin/incidents/incident/{incident.pk}/change/",
    }


def test_the_slack_payload_is_text_and_blocks_with_user_text_unable_to_mention_or_link(comment_event):
    body = payloads.slack(comment_event)
    assert set(body) == {"text", "blocks"}
    reference = comment_event.incident.reference
    assert body["text"] == f"[{reference}] P1 Comment: Switch <b>down</b> & out in Zürich"
    title, message, context = body["blocks"]
    assert title["type"] == "section" and title["text"]["type"] == "mrkdwn"
    assert title["text"]["text"].startswith(f"*<{payloads.incident_url(comment_event.incident)}|")
    assert "&lt;b&gt;down&lt;/b&gt; &amp; out in Zürich" in title["text"]["text"]
    # The message is plain text: "<!channel>" is shown, not a mention of the whole channel.
    assert message == {"type": "section", "text": {"type": "plain_text", "text": "Replacing the <!channel> uplink"}}
    assert context["type"] == "context"
    assert [e["text"] for e in context["elements"]] == ["State: New", "Priority: P1 – Critical", "Team: Network",
                                                       "By: nick"]


def test_the_teams_payload_is_a_message_with_one_adaptive_card(comment_event):
    body = payloads.teams(comment_event)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, message, facts = card["body"]
    assert title["type"] == "TextBlock" and title["text"].endswith("Comment: Switch <b>down</b> & out in Zürich")
    assert message == {"type": "TextBlock", "text": "Replacing the <!channel> uplink", "wrap": True}
    assert facts["type"] == "FactSet" and {"title": "Team", "value": "Network"} in facts["facts"]
    [action] = card["actions"]
    assert action["type"] == "Action.OpenUrl" and action["url"] == payloads.incident_url(comment_event.incident)


@pytest.mark.parametrize("payload_format", PayloadFormat.values)
def test_every_format_serialises_once_to_compact_utf8_json(comment_event, payload_format):
    text = payloads.build(payload_format, comment_event)
    assert json.loads(text) == payloads.BUILDERS[payload_format](comment_event)
    assert text == json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    assert "Zürich" in text
