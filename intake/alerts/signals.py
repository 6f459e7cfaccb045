"""What an alert says, whatever sent it: Alertmanager's webhook and the generic JSON both become a
`Signal`, so that classification and de-duplication are written once.

The functions take payloads already validated by the API's serializers (`intake.api.alerts`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..models import AlertSource, GroupStatus

# How much of a payload is copied into an incident's description and the group's record: enough to
# read, bounded whatever a misconfigured source sends.
MAX_LISTED_ALERTS = 50
MAX_TEXT = 4000


@dataclass(frozen=True)
class Link:
    url: str
    title: str = ""


@dataclass(frozen=True)
class Signal:
    status: str  # GroupStatus: firing or resolved
    dedup_key: str
    title: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # what classification reads
    alerts: tuple[dict, ...] = ()  # the firing alerts, as kept on the group
    links: tuple[Link, ...] = ()

    @property
    def key_digest(self) -> str:
        return digest(self.dedup_key)

    @property
    def signature(self) -> str:
        """What a timeline entry is written for: a change of status or of the set of firing alerts."""
        fingerprints = sorted(str(alert.get("fingerprint", "")) for alert in self.alerts)
        return digest("\n".join([self.status, *fingerprints]))


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _key_from_labels(source: AlertSource, labels: dict[str, str]) -> str | None:
    if not source.dedup_labels:
        return None
    return ",".join(f"{name}={labels.get(name, '')}" for name in source.dedup_labels)


def from_alertmanager(source: AlertSource, payload: dict) -> Signal:
    """Alertmanager's webhook (version 4). The group's status is firing while any alert fires."""
    alerts = payload["alerts"]
    firing = [alert for alert in alerts if alert["status"] == GroupStatus.FIRING]
    common = {**payload.get("groupLabels", {}), **payload.get("commonLabels", {})}
    first = (firing or alerts)[0]["labels"] if alerts else {}
    labels = {**first, **common}  # what the alerts share wins over the first one's own
    annotations = {**(firing or alerts)[0].get("annotations", {}), **payload.get("commonAnnotations", {})} \
        if alerts else dict(payload.get("commonAnnotations", {}))
    name = labels.get("alertname", "Alert")
    where = labels.get("service") or labels.get("job") or labels.get("instance") or ""
    title = annotations.get("summary") or (f"{name} on {where}" if where else name)
    kept = tuple(
        {"fingerprint": alert.get("fingerprint", ""), "labels": alert["labels"],
         "annotations": alert.get("annotations", {}), "startsAt": _iso(alert.get("startsAt")),
         "generatorURL": alert.get("generatorURL", "")}
        for alert in firing[:MAX_LISTED_ALERTS]
    )
    links = []
    if payload.get("externalURL"):
        links.append(Link(payload["externalURL"], "Alertmanager"))
    for alert in firing[:5]:
        if alert.get("generatorURL"):
            links.append(Link(alert["generatorURL"], f"Source of {alert['labels'].get('alertname', 'the alert')}"))
    for key in ("runbook_url", "dashboard_url"):
        if annotations.get(key):
            links.append(Link(annotations[key], key.replace("_url", "").capitalize()))
    return Signal(
        status=GroupStatus.FIRING if firing else GroupStatus.RESOLVED,
        dedup_key=_key_from_labels(source, labels) or payload["groupKey"],
        title=title,
        description=annotations.get("description", "") or annotations.get("message", ""),
        labels=labels,
        alerts=kept,
        links=tuple(dict.fromkeys(links)),
    )


def from_generic(source: AlertSource, payload: dict) -> Signal:
    """The generic JSON intake (its schema is `intake.api.alerts.GenericAlertSerializer`)."""
    labels = dict(payload.get("labels") or {})
    for name in ("severity", "service", "team"):
        if payload.get(name):
            labels[name] = payload[name]
    key = payload.get("dedup_key") or _key_from_labels(source, labels) or \
        f"{payload['title']}|{labels.get('service', '')}"
    alert = {"fingerprint": digest(key)[:16], "labels": labels, "annotations": {"summary": payload["title"]},
             "startsAt": _iso(payload.get("occurred_at")),
             "generatorURL": ""}
    firing = payload.get("status", GroupStatus.FIRING) == GroupStatus.FIRING
    return Signal(
        status=GroupStatus.FIRING if firing else GroupStatus.RESOLVED,
        dedup_key=key,
        title=payload["title"],
        description=payload.get("description", ""),
        labels=labels,
        alerts=(alert,) if firing else (),
        links=tuple(Link(link["url"], link.get("title", "")) for link in payload.get("links") or ()),
    )
