"""Where webhooks may go: http(s) only, no credentials in the URL, and no address inside the
portal's network unless ITSM_WEBHOOK_ALLOW_PRIVATE says so."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError

from webhooks import guard


@pytest.fixture
def strict(settings):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize("url, refusal", [
    ("ftp://hooks.example.com/x", "Only http and https"),
    ("file:///etc/passwd", "Only http and https"),
    ("https://user:secret@hooks.example.com/x", "may not hold a user name or password"),
    ("https://token@hooks.example.com/x", "may not hold a user name or password"),
    ("http://127.0.0.1:8000/hook", "private or local address"),
    ("http://[::1]/hook", "private or local address"),
    ("http://[::ffff:127.0.0.1]/hook", "private or local address"),
    ("http://10.1.2.3/hook", "private or local address"),
    ("http://172.16.0.1/hook", "private or local address"),
    ("http://192.168.1.10/hook", "private or local address"),
    ("http://169.254.169.254/latest/meta-data/", "private or local address"),
    ("http://100.64.0.1/hook", "private or local address"),
    ("http://0.0.0.0/hook", "private or local address"),
    ("http://224.0.0.1/hook", "private or local address"),
    ("http://192.0.0.8/hook", "private or local address"),
    # IPv6 forms that Python 3.11 calls `is_global` but that reach inside: NAT64 of the metadata
    # service and of 10.0.0.1, IPv4-compatible loopback, IPv4-translated, site-local, 6to4.
    ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "private or local address"),
    ("http://[64:ff9b::169.254.169.254]/", "private or local address"),
    ("http://[64:ff9b:1::a00:1]/hook", "private or local address"),
    ("http://[::127.0.0.1]/hook", "private or local address"),
    ("http://[::ffff:0:a00:1]/hook", "private or local address"),
    ("http://[fec0::1]/hook", "private or local address"),
    ("http://[2002:a9fe:a9fe::1]/hook", "private or local address"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "private or local address"),  # Teredo
    ("http://[fe80::1]/hook", "private or local address"),
    ("http://[fd12:3456::1]/hook", "private or local address"),
    ("http://[ff02::1]/hook", "private or local address"),
    ("http://localhost:6379/", "is this machine"),
    ("http://api.localhost/", "is this machine"),
    ("https:///no-host", "has no host"),
    ("http://hooks.example.com:99999/", "Not a valid URL"),
])
def test_an_endpoint_url_is_refused_when_it_could_reach_inside(strict, url, refusal):
    with pytest.raises(ValidationError) as refused:
        guard.validate_url(url)
    assert refusal in refused.value.messages[0]


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/services/T000/B000/XXXX",
    "https://example.webhook.office.com/webhookb2/abc",
    "http://93.184.216.34:8080/hook?team=network",
    "https://[2606:4700:4700::1111]/hook",
    "https://[::ffff:93.184.216.34]/hook",  # IPv4-mapped: judged as the IPv4 address it is
    "https://[64:ff9b::5db8:d822]/hook",  # NAT64 of 93.184.216.34
    "https://[2002:5db8:d822::1]/hook",  # 6to4 of 93.184.216.34
])
def test_public_http_and_https_urls_are_accepted(strict, url):
    guard.validate_url(url)


def test_with_private_addresses_allowed_the_loopback_receiver_is_accepted_but_credentials_never(settings):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = True
    guard.validate_url("http://127.0.0.1:8000/hook")
    with pytest.raises(ValidationError):
        guard.validate_url("http://user:pw@127.0.0.1:8000/hook")


def test_the_connection_goes_to_the_address_that_was_checked_speaking_to_the_name(settings, monkeypatch):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(guard.socket, "getaddrinfo",
                        lambda host, port, **kwargs: [(2, 1, 6, "", ("93.184.216.34", port))])
    target = guard.resolve("https://hooks.example.com:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8443, "/in?x=1")
    assert target.host_header == "hooks.example.com:8443"


def test_a_name_with_one_private_address_among_public_ones_is_refused(settings, monkeypatch):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(guard.socket, "getaddrinfo", lambda host, port, **kwargs: [
        (2, 1, 6, "", ("93.184.216.34", port)), (10, 1, 6, "", ("fd00::1", port, 0, 0))])
    with pytest.raises(guard.Refused, match="resolves to fd00::1"):
        guard.resolve("https://hooks.example.com/in")


@pytest.mark.parametrize("address, embedded", [
    ("::ffff:10.0.0.1", ["10.0.0.1"]),
    ("::127.0.0.1", ["127.0.0.1"]),
    ("::ffff:0:a00:1", ["10.0.0.1"]),
    ("64:ff9b::a9fe:a9fe", ["169.254.169.254"]),
    ("64:ff9b:1::a00:1", ["10.0.0.1"]),
    ("2002:a9fe:a9fe::1", ["169.254.169.254"]),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"]),  # Teredo server, client
    ("2606:4700:4700::1111", []),
])
def test_the_ipv4_address_an_ipv6_address_carries_is_found(address, embedded):
    assert [str(ip) for ip in guard.embedded_ipv4(ipaddress.IPv6Address(address))] == embedded


@pytest.mark.parametrize("address", ["64:ff9b::a9fe:a9fe", "2002:a00:1::1", "::ffff:0:a00:1", "fec0::1"])
def test_a_name_resolving_to_an_ipv6_form_of_an_internal_address_is_refused(settings, monkeypatch, address):
    settings.ITSM_WEBHOOK_ALLOW_PRIVATE = False
    monkeypatch.setattr(guard.socket, "getaddrinfo",
                        lambda host, port, **kwargs: [(10, 1, 6, "", (address, port, 0, 0))])
    with pytest.raises(guard.Refused, match=f"resolves to {address}"):
        guard.resolve("https://hooks.example.com/in")
