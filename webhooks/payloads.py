"""What a message says, one function per payload format, all from the same facts about the event.

- `standard`: the Standard Webhooks shape, `{"type": "incident.<kind>", "timestamp", "data"}`, with
  the event's fields and the incident's under `data`;
- `slack`: an incoming-webhook message, `{"text", "blocks"}` (Block Kit), `text` being the fallback
  that notifications show;
- `teams`: a message with one Adaptive Card attachment, as Teams workflows ("Post to a channel when
  a webhook request is received") and incoming webhooks accept it.

`build` serialises once: the bytes are stored on the delivery and every attempt sends them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse

from incidents.models import EventKind, IncidentEvent

from .models import PayloadFormat


def incident_url(incident) -> str:
    """The incident's page in the admin: endpoints are owned by staff, who work incidents there."""
    return f"{settings.ITSM_BASE_URL}{reverse('admin:incidents_incident_change', args=[incident.pk])}"


def facts(event: IncidentEvent) -> dict[str, Any]:
    """The event and its incident as plain JSON values: what every format is built from."""
    incident = event.incident
    return {
        "id": event.pk,
        "kind": event.kind,
        "headline": event.headline,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor.get_username() if event.actor_id else None,
        "transition": event.transition or None,
        "from_state": event.from_state or None,
        "to_state": event.to_state or None,
        "message": event.message,
        "public": event.public,
        "incident": {
            "id": incident.pk,
            "reference": incident.reference,
            "summary": incident.summary,
            "state": incident.state,
            "priority": incident.priority,
            "team": incident.team.name if incident.team_id else None,
            "confidential": incident.confidential,
            # A drill's events: the receiving end can tell an exercise from the real thing.
            "exercise": incident.exercise,
            "url": incident_url(incident),
        },
    }


def standard(event: IncidentEvent) -> dict[str, Any]:
    data = facts(event)
    return {"type": f"incident.{event.kind}", "timestamp": data["created_at"], "data": data}


def _title(data: dict[str, Any]) -> str:
    incident = data["incident"]
    drill = "[DRILL] " if incident["exercise"] else ""
    return f"{drill}[{incident['reference']}] P{incident['priority']} {data['headline']}: {incident['summary']}"


def _details(event: IncidentEvent, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Label and value of what a person reads under the title in a chat message."""
    incident = event.incident
    details = [("State", incident.get_state_display()), ("Priority", incident.get_priority_display()),
               ("Team", data["incident"]["team"] or "none")]
    if data["actor"]:
        details.append(("By", data["actor"]))
    return details


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup (links, mentions): user text must not make any.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(event: IncidentEvent) -> dict[str, Any]:
    data = facts(event)
    incident = data["incident"]
    title = _title(data)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"*<{incident['url']}|{_slack_escape(title)}>*"}},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": _slack_escape(f"{label}: {value}")} for label, value in _details(event, data)
        ]},
    ]
    if data["message"]:
        blocks.insert(1, {"type": "section", "text": {"type": "plain_text", "text": data["message"][:2900]}})
    return {"text": title, "blocks": blocks}


def teams(event: IncidentEvent) -> dict[str, Any]:
    data = facts(event)
    incident = data["incident"]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _title(data), "weight": "Bolder", "size": "Medium", "wrap": True,
         "color": "Attention" if event.kind in (EventKind.SLA_BREACH, EventKind.ESCALATION) else "Default"},
    ]
    if data["message"]:
        body.append({"type": "TextBlock", "text": data["message"], "wrap": True})
    body.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in _details(event, data)]})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open the incident", "url": incident["url"]}],
    }
    return {
        "type": "message",
        "summary": _title(data),
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                         "content": card}],
    }


BUILDERS: dict[str, Callable[[IncidentEvent], dict[str, Any]]] = {
    PayloadFormat.STANDARD: standard,
    PayloadFormat.SLACK: slack,
    PayloadFormat.TEAMS: teams,
}


def build(payload_format: str, event: IncidentEvent) -> str:
    """The body to send, as text (signed as is, sent as its UTF-8 bytes). `event` needs its
    incident (with team) and actor loaded."""
    return json.dumps(BUILDERS[payload_format](event), ensure_ascii=False, separators=(",", ":"))
