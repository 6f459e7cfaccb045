"""The response admin: major incidents, and each concern of the security response in its own module."""

from . import major, regulatory, security  # noqa: F401
