"""Signals other apps listen to, so that incidents need not import them (reviews -> incidents)."""

from django.dispatch import Signal

# Sent inside the transaction of a transition, after its event row is written.
# kwargs: incident, event (IncidentEvent), user. Receivers that start work elsewhere must use
# transaction.on_commit so that nothing runs for a transition that is rolled back.
incident_transitioned = Signal()
