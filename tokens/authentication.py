"""`Authorization: Bearer <key>` for the API (and `Token <key>`, which many tools send)."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from core.api.throttling import client_address

from . import services


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be “Bearer <token>”.")
        token = services.authenticate(header[1], ip=client_address(request))
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid, or it was revoked or has expired.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
