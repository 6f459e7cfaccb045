"""Where webhooks may go: http(s) only, no credentials in the URL, and no address inside the
portal's network unless ITSM_WEBHOOK_ALLOW_PRIVATE says so."""

from __future__ import annotations

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
