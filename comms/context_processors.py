"""The portal's banner of ongoing major incidents (`comms/status/banner.html`, included by the
portal's base template), so that users see them before they report a duplicate.

Here rather than in the portal's views: incidents may not import communications. It costs no query:
it reads the status page's cached snapshot, lazily (only a template that shows the banner asks),
and when none is cached it asks a worker to build one and shows nothing this time.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _banner(request: HttpRequest) -> dict | None:
    from .status import invalidation, selectors
    from .status.views import following

    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace == "status":
        return None  # the status page says it all already
    snapshot = selectors.cached()
    if snapshot is None:
        invalidation.refresh_soon()
        return None
    if not snapshot.ongoing:
        return None
    return {"snapshot": snapshot, "following": following(request, snapshot)}


def status_banner(request: HttpRequest) -> dict:
    return {"status_banner": SimpleLazyObject(lambda: _banner(request) or {})}
