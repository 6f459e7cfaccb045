"""One open incident per de-duplication key.

`ingest` takes a `Signal` from a source and either opens an incident (a key with no open group) or
updates the open group of its key: occurrences, last seen, the firing alerts, and a timeline entry
only when something changed (a new or cleared alert, the group clearing or firing again). A repeat
costs the same few queries however many times the alert has fired.

Concurrency: the open group of a key is unique (a partial unique constraint), so when fifty posts
of a new alert arrive at once, one inserts the group and opens the incident; the others' inserts
wait for it and fail, and they then lock the winner's group and count as repeats. The loser's
incident was written in a savepoint that is rolled back, with everything it owed.

A repeat that changes nothing (the same alerts in the same state: its `signature` is the open
group's) is the storm's common case, and it takes no lock: one conditional UPDATE counts it, and
only when that matches no row (something changed, or nothing is open) does the post take the
locked path. Concurrent counts are added by the database, not lost.

A key whose incident has closed (or was withdrawn) is free again: the next firing opens a new
incident, and its group points to the previous one (`AlertGroup.previous`).

A drill's scripted alerts (`drills`) come `into` the drill's incident: a key with no open group
is put on it instead of opening an incident of its own, which would be a real one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from core import bulk
from incidents import services
from incidents.models import Channel, EventKind, Incident
from incidents.workflow import State

from ..models import AlertGroup, AlertSource, GroupStatus
from .classify import classify
from .signals import MAX_TEXT, Signal

FINISHED = (State.CLOSED, State.CANCELLED)
# `AlertSource.last_received_at` is written at most this often: not an UPDATE per alert.
LAST_RECEIVED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Outcome:
    group: AlertGroup | None
    incident: Incident | None
    opened: bool = False  # a new incident
    changed: bool = False  # a timeline entry was written
    message: str = ""


def ingest(source: AlertSource, signal: Signal, *, into: Incident | None = None) -> Outcome:
    """`into`: the incident a new key's group goes on instead of opening one (a drill's)."""
    now = timezone.now()
    _touch(source, now)
    counted = _count_unchanged_repeat(source, signal, now)
    if counted is not None:
        return counted
    with transaction.atomic():
        group = _locked_open_group(source, signal.key_digest)
        previous = None
        if group is not None and group.incident.state in FINISHED:
            group.open = False
            group.save(update_fields=["open"])
            previous, group = group, None
        if group is None:
            if signal.status == GroupStatus.RESOLVED:
                return Outcome(group=None, incident=None, message="Nothing is open for this alert: nothing to resolve.")
            try:
                with transaction.atomic():
                    return _open(source, signal, previous, now, into=into)
            except IntegrityError:
                # Another request opened this key's incident a moment ago: this post is its repeat.
                group = _locked_open_group(source, signal.key_digest)
                if group is None:
                    raise
        return _repeat(group, signal, now)


# What a repeat reads of the incident: whether it is finished, and what the answer names. Its
# sixty other columns are not read (the lock query is most of a repeat's time: make bench).
INCIDENT_READ = ("incident__id", "incident__state", "incident__reference")


def _count_unchanged_repeat(source: AlertSource, signal: Signal, now) -> Outcome | None:
    """Count a repeat whose alerts are those of its key's open group on a live incident, or None
    (then the locked path decides). One statement, which also reads back what the answer names."""
    conn = connections[AlertGroup.objects.db]
    if not _has_update_returning(conn):
        return None
    with conn.cursor() as cursor:
        cursor.execute(_counting_sql(conn.alias), [conn.ops.adapt_datetimefield_value(now), source.pk,
                                                   signal.key_digest, signal.signature, *FINISHED])
        row = cursor.fetchone()
    if row is None:
        return None
    group_id, occurrences, status, unmapped, incident_id, reference, state = row
    unmapped = bulk.converter(AlertGroup, "unmapped", conn.alias)(unmapped)
    incident = _loaded(Incident, conn.alias, id=incident_id, reference=reference, state=state)  # fsm reads it
    group = _loaded(AlertGroup, conn.alias, id=group_id, occurrences=occurrences, status=status, unmapped=unmapped,
                    incident_id=incident_id)
    group.incident, group.source = incident, source
    return Outcome(group=group, incident=incident, message=f"Updated {reference} ({occurrences} occurrences).")


def _has_update_returning(conn) -> bool:
    return conn.features.can_return_columns_from_insert  # the same SQLite release (3.35) brought both


def _loaded(model, alias: str, **values):
    """An instance as the ORM loads one with only these columns (the others deferred)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(alias, names, [values[name] for name in names])


@functools.cache
def _counting_sql(alias: str) -> str:
    """UPDATE ... RETURNING (PostgreSQL, SQLite 3.35+), which the ORM cannot write. Built once:
    compiling the equivalent ORM update and read was most of a repeat's time."""
    quote = connections[alias].ops.quote_name
    group, incident = AlertGroup._meta, Incident._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    groups, incidents = quote(group.db_table), quote(incident.db_table)

    occurrences, group_incident = column(group, "occurrences"), f"{groups}.{column(group, 'incident')}"
    incident_id = f"{incidents}.{column(incident, 'id')}"

    def of_incident(name: str) -> str:
        return f"(SELECT {incidents}.{column(incident, name)} FROM {incidents} WHERE {incident_id} = {group_incident})"

    return (
        f"UPDATE {groups} SET {occurrences} = {occurrences} + 1, {column(group, 'last_seen_at')} = %s "
        f"WHERE {column(group, 'source')} = %s AND {column(group, 'key_digest')} = %s "
        f"AND {column(group, 'open')} AND {column(group, 'signature')} = %s "
        f"AND {group_incident} IN (SELECT {incident_id} FROM {incidents} "
        f"WHERE {incidents}.{column(incident, 'state')} NOT IN ({', '.join(['%s'] * len(FINISHED))})) "
        f"RETURNING {column(group, 'id')}, {occurrences}, {column(group, 'status')}, {column(group, 'unmapped')}, "
        f"{group_incident}, {of_incident('reference')}, {of_incident('state')}"
    )


def _locked_open_group(source: AlertSource, key_digest: str) -> AlertGroup | None:
    group_fields = [field.name for field in AlertGroup._meta.concrete_fields]
    # At most one open group per key (the partial unique constraint): no ORDER BY for `first()`.
    group = (AlertGroup.objects.select_for_update(of=("self",)).select_related("incident")
             .only(*group_fields, *INCIDENT_READ).order_by()
             .filter(source=source, key_digest=key_digest, open=True).first())
    if group is not None:
        group.source = source  # the caller's: a changed repeat reads its account and its settings
    return group


def _touch(source: AlertSource, now) -> None:
    if source.last_received_at is None or now - source.last_received_at >= LAST_RECEIVED_RESOLUTION:
        AlertSource.objects.filter(pk=source.pk).update(last_received_at=now)
        source.last_received_at = now


def _open(source: AlertSource, signal: Signal, previous: AlertGroup | None, now, *,
          into: Incident | None = None) -> Outcome:
    found = classify(source, signal.labels)
    if into is not None:
        return _attach(source, signal, into, now, found.unmapped)
    incident = services.incident_create(
        reporter=source.service_user, summary=signal.title, description=_description(signal, found.unmapped, previous),
        channel=Channel.MONITORING, category=found.category, service=found.service, impact=found.impact,
        urgency=found.urgency, team=found.team,
    )
    group = AlertGroup.objects.create(
        source=source, dedup_key=signal.dedup_key, key_digest=signal.key_digest, incident=incident,
        previous=previous, status=signal.status, first_seen_at=now, last_seen_at=now, alerts=list(signal.alerts),
        labels=signal.labels, unmapped=found.unmapped, signature=signal.signature,
    )
    return Outcome(group=group, incident=incident, opened=True, changed=True,
                   message=f"Opened {incident.reference}.")


def _attach(source: AlertSource, signal: Signal, incident: Incident, now, unmapped: dict[str, str]) -> Outcome:
    """The key's first firing, on an incident that is open already: its group, and a timeline entry."""
    group = AlertGroup.objects.create(
        source=source, dedup_key=signal.dedup_key, key_digest=signal.key_digest, incident=incident,
        status=signal.status, first_seen_at=now, last_seen_at=now, alerts=list(signal.alerts),
        labels=signal.labels, unmapped=unmapped, signature=signal.signature,
    )
    services.record_event(incident, kind=EventKind.ALERT, actor=source.service_user, public=False, notify=False,
                          message=f"Alert firing: {signal.title}"[:1000])
    return Outcome(group=group, incident=incident, changed=True, message=f"Put on {incident.reference}.")


def _repeat(group: AlertGroup, signal: Signal, now) -> Outcome:
    incident = group.incident
    group.occurrences += 1
    group.last_seen_at = now
    changed = signal.signature != group.signature
    fields = ["occurrences", "last_seen_at"]
    if changed:
        was = group.status
        what = _what_changed(group, signal)
        group.status, group.signature = signal.status, signal.signature
        if signal.alerts or signal.status == GroupStatus.RESOLVED:
            group.alerts = list(signal.alerts)
        fields += ["status", "signature", "alerts"]
        group.save(update_fields=fields)
        services.record_event(incident, kind=EventKind.ALERT, actor=group.source.service_user, public=False,
                              notify=False, message=what)
        _follow_status(group, incident, was, signal)
    else:
        group.save(update_fields=fields)
    return Outcome(group=group, incident=incident, changed=changed,
                   message=f"Updated {incident.reference} ({group.occurrences} occurrences).")


def _what_changed(group: AlertGroup, signal: Signal) -> str:
    if signal.status == GroupStatus.RESOLVED:
        return "The alert cleared: nothing is firing any more."
    before = {alert.get("fingerprint") for alert in group.alerts}
    now = {alert.get("fingerprint") for alert in signal.alerts}
    if group.status == GroupStatus.RESOLVED:
        return f"The alert fired again: {len(now)} firing."
    added, cleared = len(now - before), len(before - now)
    parts = [f"{len(now)} alert{'s' if len(now) != 1 else ''} firing"]
    if added:
        parts.append(f"{added} new")
    if cleared:
        parts.append(f"{cleared} cleared")
    return ", ".join(parts) + "."


def _follow_status(group: AlertGroup, incident: Incident, was: str, signal: Signal) -> None:
    """What a change of the group's status does to the incident: a clearing resolves an incident in
    progress when the source says so; firing again reopens one that was resolved."""
    if signal.status == GroupStatus.RESOLVED and group.source.resolve_when_cleared \
            and incident.state == State.IN_PROGRESS:
        services.transition(incident=incident.pk, user=None, name="resolve",
                            reason="The monitoring alert cleared.", resolution_code="fixed",
                            resolution_notes=f"The alert cleared at {timezone.now():%Y-%m-%d %H:%M %Z}; "
                                             f"{group.source} reports it resolved.")
    elif signal.status == GroupStatus.FIRING and was == GroupStatus.RESOLVED and incident.state == State.RESOLVED:
        services.transition(incident=incident.pk, user=None, name="reopen",
                            reason="The monitoring alert fired again.")


def _description(signal: Signal, unmapped: dict[str, str], previous: AlertGroup | None) -> str:
    lines = []
    if previous is not None:
        lines += [f"This alert fired again after {previous.incident.reference} was closed.", ""]
    if signal.description:
        lines += [signal.description[:MAX_TEXT], ""]
    if signal.labels:
        lines.append("Labels:")
        lines += [f"- {name}: {value}" for name, value in sorted(signal.labels.items())]
        lines.append("")
    if unmapped:
        lines.append("Not mapped to this desk's classification (add a label rule to the source): " +
                     ", ".join(f"{name}={value}" for name, value in sorted(unmapped.items())))
        lines.append("")
    if signal.links:
        lines.append("Links:")
        lines += [f"- {link.title + ': ' if link.title else ''}{link.url}" for link in signal.links]
    if len(signal.alerts) > 1:
        lines += ["", f"{len(signal.alerts)} alerts firing in this group."]
    return "\n".join(lines).strip()
