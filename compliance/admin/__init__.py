"""The compliance admin: accounts and roles with their history, and each concern's own module."""

from . import accounts  # noqa: F401
