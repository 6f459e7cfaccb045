"""The relevance fixture set: hand-written known errors and the incident texts that should find them."""

from .incident_texts import INCIDENT_TEXTS as _TUNING
from .incident_texts_heldout import HELD_OUT_TEXTS
from .ke_identity import KNOWN_ERRORS as _IDENTITY
from .ke_network import KNOWN_ERRORS as _NETWORK
from .ke_platform import KNOWN_ERRORS as _PLATFORM
from .ke_workplace import KNOWN_ERRORS as _WORKPLACE

KNOWN_ERRORS = [*_NETWORK, *_WORKPLACE, *_IDENTITY, *_PLATFORM]
# Texts used while tuning matching, then the held-out ones written afterwards.
TUNING_TEXTS = _TUNING
INCIDENT_TEXTS = [*_TUNING, *HELD_OUT_TEXTS]

__all__ = ["HELD_OUT_TEXTS", "INCIDENT_TEXTS", "KNOWN_ERRORS", "TUNING_TEXTS"]
