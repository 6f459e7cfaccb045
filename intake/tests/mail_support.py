"""What the e-mail intake tests share: messages built with the standard library as mail clients send
them, the mailboxes they arrive at, and fixtures (imported by the test modules that use them)."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from intake.models import Mailbox, MailboxKind, UnknownSenders

DESK = "servicedesk@desk.example.com"
_counter = itertools.count(1)


def build(*, sender: str = "rita@example.com", subject: str = "VPN drops every ten minutes",
          text: str | None = "Since this morning the VPN disconnects every ten minutes.", html: str | None = None,
          message_id: str | None = None, attachments: tuple = (), headers: dict | None = None,
          to: str = DESK) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(f"t{next(_counter)}", domain="mail.example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def raw(message: EmailMessage) -> bytes:
    return message.as_bytes()


def reply_to(notification, *, sender: str, text: str, quoted: str = "", style: str = "gmail") -> EmailMessage:
    """A person's reply to one of our e-mails (a django EmailMessage from the outbox), quoting it."""
    if style == "gmail":
        history = f"On Tue, 1 Dec 2026 at 10:00, Service Desk <{DESK}> wrote:\n" + \
            "\n".join(f"> {line}" for line in (quoted or notification.body).splitlines())
    else:  # Outlook: a header block, the history unquoted under it
        history = (f"________________________________\nFrom: Service Desk <{DESK}>\n"
                   f"Sent: Tuesday, December 1, 2026 10:00 AM\nTo: {sender}\nSubject: {notification.subject}\n\n"
                   + (quoted or notification.body))
    message = build(sender=sender, subject=f"Re: {notification.subject}", text=f"{text}\n\n{history}\n")
    message["In-Reply-To"] = notification.extra_headers["Message-ID"]
    message["References"] = f"{notification.extra_headers['References']} {notification.extra_headers['Message-ID']}"
    return message


def make_mailbox(**fields) -> Mailbox:
    defaults = {"name": f"Desk {next(_counter)}", "kind": MailboxKind.PIPE, "address": DESK,
                "unknown_senders": UnknownSenders.REFUSE}
    return Mailbox.objects.create(**{**defaults, **fields})


# Fixtures go by their `name`: a test module imports the function (`mailbox_fixture`) and takes
# `mailbox` as an argument, without shadowing the import.
@pytest.fixture(name="mail_domain")
def mail_domain_fixture(settings):
    settings.ITSM_MAIL_DOMAIN = "desk.example.com"
    return settings.ITSM_MAIL_DOMAIN


@pytest.fixture(name="other_reporter")
def other_reporter_fixture(db):
    from incidents import roles
    from incidents.tests.factories import UserFactory

    return UserFactory(username="oscar", role=roles.REPORTER)


@pytest.fixture(name="security_category")
def security_category_fixture(db):
    from incidents.tests.factories import CategoryFactory, TeamFactory

    team = TeamFactory(name="Security", slug="security", tier=2)
    return CategoryFactory(name="Security", default_team=team, confidential=True)


@pytest.fixture(name="imap_server")
def imap_server_fixture():
    """A private Dovecot for the test (skipped without dovecot-imapd, a failure under
    ITSM_REQUIRE_SERVICES=1)."""
    import os

    from conftest import need

    from .imap_server import DOVECOT, Dovecot

    need(os.access(DOVECOT, os.X_OK), f"needs Dovecot at {DOVECOT} (apt-get install dovecot-imapd)")
    server = Dovecot()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def imap_mailbox(server, monkeypatch, **fields) -> Mailbox:
    """A mailbox the poll reads from `server`, its password in the environment as in production."""
    from intake.models import TlsMode

    monkeypatch.setenv("ITSM_TEST_IMAP_PASSWORD", server.users["desk"])
    return make_mailbox(**{"name": "Polled desk", "kind": MailboxKind.IMAP, "host": "127.0.0.1",
                           "port": server.port, "tls": TlsMode.NONE, "username": "desk",
                           "password_env": "ITSM_TEST_IMAP_PASSWORD", **fields})


@pytest.fixture(name="mailbox")
def mailbox_fixture(db, mail_domain):
    return make_mailbox(name="Service desk")
