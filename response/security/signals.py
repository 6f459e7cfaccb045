"""What the security response tells the apps above it. Compliance sits above this app: to put
evidence access into its audit chain it listens here, since this app may not import it."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after commit for every line of an item's chain of custody (collected, viewed, downloaded,
# refused, handed over, superseded), with `entry_id`, `evidence_id`, `incident_id`, `action`,
# `actor_id`.
evidence_accessed = Signal()
