"""The intake's part of the demo (`manage.py seed_demo`): an Alertmanager alert source with two
label rules (what the conventions for `severity`, `service` and `team` do not know), and a few of
its webhook posts, so that *Intake > Alert groups* and incidents opened
from monitoring show.

The posts go the way the API takes them: validated by its serializer, made a signal, and ingested,
so their incidents, repeats and timeline entries are the real ones. Idempotent: the alerts are
posted only when the source is created.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .accounts import service_account
from .alerts import ingest, signals
from .api.alerts import AlertmanagerPayloadSerializer
from .models import AlertSource, LabelRule, SourceKind

SOURCE_NAME = "Prometheus Alertmanager"
ZERO = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing


def seed(org) -> int:
    """The alert source and its alerts, unless the source exists. Returns how many alert groups it opened."""
    if AlertSource.objects.filter(name=SOURCE_NAME).exists():
        return 0
    with transaction.atomic():
        source = _source(org)
        groups = set()
        for payload in _posts():
            serializer = AlertmanagerPayloadSerializer(data=payload)
            serializer.is_valid(raise_exception=True)
            outcome = ingest.ingest(source, signals.from_alertmanager(source, serializer.validated_data))
            if outcome.group is not None:
                groups.add(outcome.group.pk)
    return len(groups)


def _source(org) -> AlertSource:
    """As the admin creates one: its own account, then its label rules."""
    source = AlertSource(
        name=SOURCE_NAME, kind=SourceKind.ALERTMANAGER, dedup_labels=["alertname", "env"],
        default_category=org.categories["Software"], default_team=org.teams["Platform"],
    )
    source.service_user = service_account("alerts", source.name)
    source.full_clean()
    source.save()
    rules = [
        # The database servers' exporter: the CRM's databases.
        LabelRule(source=source, label="job", value="postgres", service=org.services["CRM"],
                  category=org.categories["Software"], position=0),
        # The monitoring's name for the database administrators, who are in the Platform team here.
        LabelRule(source=source, label="team", value="dba", team=org.teams["Platform"], position=1),
    ]
    for rule in rules:
        rule.full_clean()
        rule.save()
    return source


def _alert(name: str, instance: str, *, status: str = "firing", summary: str, description: str,
           started, **labels) -> dict:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": instance, **labels},
        "annotations": {"summary": summary, "description": description},
        "startsAt": started.isoformat(),
        "endsAt": ZERO if status == "firing" else timezone.now().isoformat(),
        "generatorURL": f"http://prometheus.example.com:9090/graph?g0.expr={name}",
        "fingerprint": hashlib.sha256(f"{name}/{instance}".encode()).hexdigest()[:16],
    }


def _webhook(group: str, *alerts: dict, summary: str) -> dict:
    firing = any(a["status"] == "firing" for a in alerts)
    shared = {key: value for key, value in alerts[0]["labels"].items()
              if all(a["labels"].get(key) == value for a in alerts)}
    return {
        "version": "4", "groupKey": f'{{}}:{{alertname="{group}"}}', "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved", "receiver": "itsm",
        "groupLabels": {"alertname": group}, "commonLabels": shared,
        "commonAnnotations": {"summary": summary},
        "externalURL": "http://alertmanager.example.com:9093", "alerts": list(alerts),
    }


def _posts() -> list[dict]:
    """What Alertmanager sent this morning: a disk filling on one CRM database server, then on its
    replica too, repeated; and a staging outage that fired and cleared."""
    now = timezone.now()
    disk = {"job": "postgres", "env": "production", "team": "dba", "severity": "warning"}
    crm_db1 = _alert("PostgresDiskFilling", "crm-db1:9187", started=now - timedelta(minutes=50),
                     summary="Data disk of crm-db1 above 85 %",
                     description="/var/lib/postgresql is 87 % full and grows 2 % an hour.", **disk)
    crm_db2 = _alert("PostgresDiskFilling", "crm-db2:9187", started=now - timedelta(minutes=20),
                     summary="Data disk of crm-db2 above 85 %",
                     description="/var/lib/postgresql is 86 % full and grows 2 % an hour.", **disk)
    staging = {"job": "blackbox", "env": "staging", "severity": "info", "service": "CRM"}
    down = _alert("CRMStagingDown", "crm-staging.example.com", started=now - timedelta(minutes=30),
                  summary="The CRM staging site does not answer",
                  description="The HTTPS probe of crm-staging.example.com failed for 5 minutes.", **staging)
    cleared = {**down, "status": "resolved", "endsAt": now.isoformat()}
    return [
        _webhook("PostgresDiskFilling", crm_db1, summary="CRM database data disk above 85 %"),
        _webhook("PostgresDiskFilling", crm_db1, summary="CRM database data disk above 85 %"),
        _webhook("PostgresDiskFilling", crm_db1, crm_db2, summary="CRM database data disks above 85 %"),
        _webhook("CRMStagingDown", down, summary="The CRM staging site does not answer"),
        _webhook("CRMStagingDown", cleared, summary="The CRM staging site does not answer"),
    ]
