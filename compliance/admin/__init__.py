"""The compliance admin: accounts and roles with their history, and each concern's own module."""

from . import (
    accounts,  # noqa: F401
    audit,  # noqa: F401  (the audit trail and its export)
    conformance,  # noqa: F401  (the SOP conformance report)
    metrics,  # noqa: F401  (the SLA metrics page and its CSV export)
)
