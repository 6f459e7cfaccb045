"""The shape of the relevance fixture set: known errors with a stable key, and incident texts
labelled with the key of the known error a desk agent would link them to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownErrorRow:
    key: str
    category: str
    service: str
    title: str
    symptoms: str
    root_cause: str
    workaround: str
    public: bool = True


@dataclass(frozen=True)
class IncidentText:
    text: str
    expected: str  # KnownErrorRow.key


def ke(key: str, category: str, service: str, title: str, symptoms: str, root_cause: str, workaround: str,
       public: bool = True) -> KnownErrorRow:
    return KnownErrorRow(key, category, service, title, symptoms, root_cause, workaround, public)
