"""The compliance admin: accounts and roles with their history, and each concern's own module."""

from . import accounts  # noqa: F401
from . import audit  # noqa: F401  (the audit trail and its export)
