"""Signals other apps listen to, so that incidents need not import them (reviews -> incidents)."""

from django.dispatch import Signal

# Sent inside the transaction of a transition, after its event row is written.
# kwargs: incident, event (IncidentEvent), user. Receivers that start work elsewhere must use
# transaction.on_commit so that nothing runs for a transition that is rolled back.
incident_transitioned = Signal()

# Sent after commit, once for every timeline event written (`incidents.events` is the only writer),
# whoever wrote it: a service, the SLA sweep, the paging chain, an acknowledgement. Outbound webhooks
# and communications listen here. kwargs: event_id, incident_id, kind. A rolled-back event sends
# nothing. Receivers run in the request or task that wrote the event: keep them short (write a row,
# enqueue a task).
event_recorded = Signal()
