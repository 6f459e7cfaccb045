"""Admin registrations of the knowledge base (importing the modules registers them)."""

from . import deflections, items

__all__ = ["deflections", "items"]
