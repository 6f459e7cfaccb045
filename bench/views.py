"""The bare write view: the cheapest authenticated, CSRF-checked POST that writes one row.

It is the ceiling the portal's report form is measured against: same middleware, same session,
same form body, same database, but no form validation, no history, no timeline and no task.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_POST

from incidents.models import Sequence

ROW_PREFIX = "bench-"


@login_required
@require_POST
def write_one_row(request: HttpRequest) -> HttpResponse:
    # A tiny table every installation has; the harness deletes these rows afterwards.
    Sequence.objects.create(name=f"{ROW_PREFIX}{uuid.uuid4().hex[:20]}", value=len(request.POST.get("summary", "")))
    return HttpResponseRedirect("/portal/")
