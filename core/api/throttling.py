"""Request rates per API token (or signed-in user) and per anonymous IP address; the rates come from
ITSM_API_THROTTLE_TOKEN and ITSM_API_THROTTLE_ANON. Over the rate: 429 with Retry-After."""

from __future__ import annotations

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.throttling import SimpleRateThrottle


class PerTokenThrottle(SimpleRateThrottle):
    """One budget per token: two scripts of one person with two tokens do not starve each other.
    A browser session counts as its user's."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        token = getattr(request, "auth", None)
        ident = f"t{token.pk}" if getattr(token, "pk", None) else f"u{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousIPThrottle(SimpleRateThrottle):
    """Callers without valid credentials, per address (`RequestChecksMixin` checks it before the 401)."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str | None:
        try:
            if request.user and request.user.is_authenticated:
                return None
        except AuthenticationFailed:
            pass  # a bad token counts against its address
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def client_address(request) -> str:
    """The caller's address as the throttles see it (REST_FRAMEWORK["NUM_PROXIES"] hops)."""
    return AnonymousIPThrottle().get_ident(request)
