"""Auto-close: a resolved incident closes itself once its grace period (business days of the
default calendar, `ITSM_AUTO_CLOSE_BUSINESS_DAYS`) is over without a reopen.

The deadline is `Incident.auto_close_at`, set by the clock on resolve and listed among the clock's
checkpoints, so the sweep finds it with everything else that is due. Closing goes through the
close transition, so a close gate (a post-incident review still open) holds it, and says why.
"""

from __future__ import annotations

from django.db import transaction

from .. import events, services
from ..models import EventKind, Incident
from . import clock
from .context import Context


def close_if_due(incident: Incident, ctx: Context) -> bool:
    """Close a resolved incident whose grace period is over, through the close transition."""
    days = clock.auto_close_business_days()
    try:
        with transaction.atomic():
            services.transition(incident=incident.pk, user=ctx.system, name="close",
                                reason=f"No reply within {days} business days of the resolution")
            events.record(incident, kind=EventKind.AUTO_CLOSE, actor=ctx.system, public=True, notify=False,
                                  message=f"Closed automatically: the reporter did not reopen it within {days} "
                                          "business days.")
        return True
    except services.WorkflowError as refused:
        # A close gate (a review still open, ...) needs people: stop trying, and say why.
        Incident.objects.filter(pk=incident.pk).update(auto_close_at=None, next_due_at=None)
        events.record(incident, kind=EventKind.AUTO_CLOSE, actor=ctx.system, notify=False,
                              message=f"Not closed automatically: {refused.message}")
        return False
