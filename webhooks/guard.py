"""Where a webhook may be sent: http or https, no credentials in the URL, and (unless the setting
allows it) no address inside the network the portal runs in.

A webhook URL is typed by a user, and the worker that POSTs to it sits inside the network: without
a guard, an endpoint at http://169.254.169.254/ or http://10.0.0.5:6379/ would make the worker
reach the cloud's metadata service or an internal Redis for whoever can create an endpoint (SSRF).
So loopback, private, link-local, shared, reserved and multicast addresses are refused, twice:
literally in the URL when the endpoint is saved, and for every address the host name resolves to
when a message is sent. The connection then goes to the very address that was checked, so a DNS
answer that changes between the check and the connection (rebinding) cannot slip past it.

`ITSM_WEBHOOK_ALLOW_PRIVATE` (default False) lifts the address rule for a portal whose receivers
live on its own network, and for the tests, whose receiver runs on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

SCHEMES = {"http": 80, "https": 443}


class Refused(Exception):
    """The URL or the address it resolves to may not be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, and speak to `host` (Host header, TLS name)."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # path and query, as sent in the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def _private_allowed() -> bool:
    return bool(getattr(settings, "ITSM_WEBHOOK_ALLOW_PRIVATE", False))


def is_public(address: str) -> bool:
    """An address on the public internet: not loopback, private, link-local, shared (CGNAT),
    reserved, unspecified or multicast; an IPv4 address written as IPv6 is judged as IPv4."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"Not a valid URL: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("Only http and https URLs can receive webhooks.")
    if parts.username is not None or parts.password is not None:
        raise Refused("A webhook URL may not hold a user name or password; use the signing secret instead.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("The URL has no host.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or SCHEMES[scheme], path


def check_url(url: str) -> None:
    """Refuse a URL by its text alone (no DNS lookup: saving an endpoint must not wait on it)."""
    _, host, _, _ = _parts(url)
    if _private_allowed():
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise Refused(f"{host} is this machine; webhooks go to other services.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: its addresses are checked when a message is sent
    if not is_public(str(literal)):
        raise Refused(f"{host} is a private or local address; webhooks go to public addresses only.")


def validate_url(url: str) -> None:
    """The model field's validator: `check_url` as a form error."""
    try:
        check_url(url)
    except Refused as refused:
        raise ValidationError(str(refused), code="webhook_url") from refused


def resolve(url: str) -> Target:
    """The address to connect to for `url`, after checking every address its host resolves to.
    Raises `Refused`, or `OSError` when the name does not resolve (worth another attempt)."""
    check_url(url)
    scheme, host, port, path = _parts(url)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OSError(f"{host} has no address")
    if not _private_allowed():
        for address in addresses:
            if not is_public(address):
                raise Refused(f"{host} resolves to {address}, a private or local address; "
                              "webhooks go to public addresses only.")
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)
