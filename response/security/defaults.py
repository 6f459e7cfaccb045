"""The containment checklist of a security category that has none configured of its own."""

from __future__ import annotations

CONTAINMENT_STEPS: tuple[str, ...] = (
    "Isolate affected systems",
    "Revoke or rotate exposed credentials",
    "Preserve logs and volatile evidence",
    "Block indicators of compromise",
    "Reset affected accounts",
    "Confirm containment",
)
