"""The response app's models: major incidents (a proxy of the incident), the security response
(containment, evidence and its custody, notices, forensics) and regulatory clocks."""

from .major import MajorIncident
from .regulatory import *  # noqa: F403
from .security import *  # noqa: F403

__all__ = ["MajorIncident"]
