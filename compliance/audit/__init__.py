"""The tamper-evident audit chain (docs/audit.md).

Every incident event and history row of the incidents and reviews apps, and every export, is an
`AuditEntry` holding the SHA-256 of the row's canonical content and two links: to the entry before
it in the global chain and in its incident's chain. `verify` walks both and names the first row
that no longer matches; `export` bundles an incident or a period for auditors.
"""

from .sources import record_access
from .verify import Report, verify

__all__ = ["Report", "record_access", "verify"]
