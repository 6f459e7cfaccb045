"""Writes of the status page: a service's state set by hand, and cleared again."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.text import clean_text

from ..models import ComponentStatus, StatusComponent

PERMISSION = "comms.change_statuscomponent"


def set_override(*, component: StatusComponent, status: str, reason: str, by) -> StatusComponent:
    """Show `status` for the service whatever its incidents say ("" to follow them again), with the
    reason the public reads. Recorded in the component's history with who and when."""
    if not by.has_perm(PERMISSION):
        raise PermissionDenied("Only incident managers set a service's state on the status page.")
    reason = clean_text(reason or "").strip()
    if status and status not in ComponentStatus.values:
        raise ValidationError({"override": "Choose one of the states offered."})
    if status and not reason:
        raise ValidationError({"override_reason": "Say why the state is set by hand: the public reads it."})
    if len(reason) > 300:
        raise ValidationError({"override_reason": f"At most 300 characters (this one has {len(reason)})."})
    with transaction.atomic():
        locked = StatusComponent.objects.select_for_update().get(pk=component.pk)
        locked.override, locked.override_reason = status, reason if status else ""
        locked.override_by, locked.override_at = (by, timezone.now()) if status else (None, None)
        locked._history_user = by
        # The history's reason column holds 100 characters (simple-history); the whole reason is on the row.
        locked._change_reason = (f"state set to {status}: {reason}" if status else "state follows the incidents")[:100]
        locked.save()
    return locked
