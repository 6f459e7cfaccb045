"""The intake admin: alert sources and their groups (`alerts`), mailboxes and the messages received,
with the quarantine (`mail`)."""

from . import alerts, mail  # noqa: F401
