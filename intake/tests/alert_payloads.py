"""Alertmanager's webhook payloads as Alertmanager (0.27, version 4) sends them."""

from __future__ import annotations

import copy
import hashlib

ZERO = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing


def alert(name: str = "HighErrorRate", *, instance: str = "pay-1", status: str = "firing", severity: str = "critical",
          fingerprint: str | None = None, **labels) -> dict:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": instance, "job": "payments", "severity": severity, **labels},
        "annotations": {"summary": f"{name} on {instance}", "description": "Error rate is 7.2% over 5 minutes."},
        "startsAt": "2026-12-01T10:00:00.000Z",
        "endsAt": ZERO if status == "firing" else "2026-12-01T10:20:00.000Z",
        "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=rate%28errors%5B5m%5D%29&g0.tab=1",
        "fingerprint": fingerprint or hashlib.sha256(f"{name}/{instance}".encode()).hexdigest()[:16],
    }


def webhook(*alerts: dict, group: str = "HighErrorRate", receiver: str = "itsm", **common) -> dict:
    alerts = alerts or (alert(),)
    firing = any(a["status"] == "firing" for a in alerts)
    shared = {key: value for key, value in alerts[0]["labels"].items()
              if all(a["labels"].get(key) == value for a in alerts)}
    return copy.deepcopy({
        "version": "4",
        "groupKey": f'{{}}/{{severity=~"critical|warning"}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": receiver,
        "groupLabels": {"alertname": group},
        "commonLabels": {**shared, **common},
        "commonAnnotations": {"summary": f"{group}: {len(alerts)} alert(s)"} if len(alerts) > 1
        else dict(alerts[0]["annotations"]),
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": list(alerts),
    })
