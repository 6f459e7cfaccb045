"""Where a webhook may be sent: http or https, no credentials in the URL, and (unless the setting
allows it) no address inside the network the portal runs in.

A webhook URL is typed by a user, and the worker that POSTs to it sits inside the network: without
a guard, an endpoint at http://169.254.169.254/ or http://10.0.0.5:6379/ would make the worker
reach the cloud's metadata service or an internal Redis for whoever can create an endpoint (SSRF).
So loopback, private, link-local, shared, reserved and multicast addresses are refused, and so is
an IPv6 address that carries one of them (NAT64, 6to4, Teredo, IPv4-mapped or -compatible), twice:
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


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


# Refused whatever `is_global` says of them: the special-purpose ranges of the IANA registries that
# are not globally reachable, and the deprecated IPv6 forms that carry an IPv4 address or a site's
# own scope. `ipaddress` has missed some of these in one Python version or another (on 3.11
# `::127.0.0.1`, `fec0::1` and `64:ff9b:1::a00:1` are all `is_global`), so the list is ours.
REFUSED_IPV4 = _networks(
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, the cloud metadata services among them
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, and the limited broadcast 255.255.255.255
)
REFUSED_IPV6 = _networks(
    "::/96",  # the unspecified address, loopback, and IPv4-compatible addresses (deprecated)
    "::ffff:0:0:0/96",  # IPv4-translated addresses (SIIT, deprecated)
    "64:ff9b:1::/48",  # local-use NAT64: where its IPv4 address sits depends on the operator's prefix
    "100::/64",  # discard-only
    "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
    "2001:db8::/32", "3fff::/20",  # documentation
    "5f00::/16",  # segment routing (SRv6) SIDs
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated)
    "ff00::/8",  # multicast
)
NAT64_PREFIXES = _networks("64:ff9b::/96", "64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, to be judged as well: a packet to it may end at
    them (IPv4-mapped and -compatible, 6to4, Teredo's server and client, NAT64 and IPv4-translated,
    whose last 32 bits are the IPv4 address)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    packed = int(ip)
    if packed >> 32 == 0 or packed >> 32 == 0xFFFF0000 or any(ip in prefix for prefix in NAT64_PREFIXES):
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))  # compatible, translated, NAT64
    return found


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.is_multicast or any(ip in network for network in (REFUSED_IPV4 if ip.version == 4 else REFUSED_IPV6)):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if not all(_is_public(address) for address in embedded):
            return False
        if ip.ipv4_mapped is not None:
            return True  # an IPv4 address written as IPv6: judged as IPv4, which it is on the wire
    return ip.is_global


def is_public(address: str) -> bool:
    """An address on the public internet: in none of the refused networks (loopback, private,
    link-local, shared, reserved, documentation, multicast ...), `is_global` for Python too, and,
    for an IPv6 address that carries an IPv4 one (`embedded_ipv4`), that IPv4 address as well."""
    return _is_public(ipaddress.ip_address(address.split("%", 1)[0]))  # not a zone ("fe80::1%eth0")


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
