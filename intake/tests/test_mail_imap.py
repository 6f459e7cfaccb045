"""The IMAP poll against a real IMAP server (a private Dovecot started by the test): what arrives is
processed once and flagged \\Seen after its row committed, whatever else happens."""

from __future__ import annotations

import pytest

from core.errors import WorkflowError
from incidents.models import Comment, Incident
from incidents.tests.factories import make_incident
from intake.mail import imap, process
from intake.models import InboundMessage, MessageOutcome
from intake.tasks import poll_mailbox, poll_mailboxes

from .mail_support import (  # noqa: F401
    build,
    imap_mailbox,
    imap_server_fixture,
    mail_domain_fixture,
    raw,
    reply_to,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def polled(imap_server, monkeypatch, mail_domain, db):
    return imap_mailbox(imap_server, monkeypatch)


def outcomes() -> list[str]:
    return list(InboundMessage.objects.order_by("pk").values_list("outcome", flat=True))


def test_new_mail_opens_an_incident_and_is_flagged_seen(imap_server, polled, reporter):
    imap_server.append(raw(build(sender=reporter.email, attachments=[("screen.png", "image/png", PNG)])))
    result = imap.poll(polled)
    assert (result.read, result.duplicates) == (1, 0)
    incident = Incident.objects.get()
    assert incident.reporter == reporter and incident.attachments.count() == 1
    assert imap_server.unseen() == []
    polled.refresh_from_db()
    assert polled.last_polled_at is not None and polled.last_error == ""


def test_a_reply_in_the_mailbox_lands_on_its_incident(imap_server, polled, reporter, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter, summary="Shared drive is read-only")
    imap_server.append(raw(reply_to(mailoutbox[-1], sender=reporter.email, text="It is writable again, thanks.")))
    imap.poll(polled)
    comment = Comment.objects.get(incident=incident)
    assert comment.body == "It is writable again, thanks." and comment.public


def test_an_auto_reply_and_a_bounce_are_ignored(imap_server, polled, reporter):
    imap_server.append(raw(build(sender=reporter.email, subject="Out of office",
                                 headers={"Auto-Submitted": "auto-replied"})))
    imap_server.append(raw(build(sender="MAILER-DAEMON@mx.example.com", subject="Undelivered Mail",
                                 headers={"Return-Path": "<>"})))
    imap.poll(polled)
    assert outcomes() == [MessageOutcome.IGNORED, MessageOutcome.IGNORED]
    assert Incident.objects.count() == 0 and imap_server.unseen() == []


def test_a_message_delivered_twice_and_a_second_poll_duplicate_nothing(imap_server, polled, reporter):
    message = raw(build(sender=reporter.email))
    imap_server.append(message)
    imap_server.append(message)
    first = imap.poll(polled)
    assert (first.read, first.duplicates) == (2, 1)
    assert imap.poll(polled).read == 0
    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_crash_between_commit_and_flag_is_only_flagged_next_time(imap_server, polled, reporter, monkeypatch):
    imap_server.append(raw(build(sender=reporter.email)))
    real_add_flags = imap.IMAPClient.add_flags

    def crash(self, *args, **kwargs):
        raise OSError("connection reset")

    monkeypatch.setattr(imap.IMAPClient, "add_flags", crash)
    with pytest.raises(imap.MailboxUnavailable):
        imap.poll(polled)
    assert Incident.objects.count() == 1 and len(imap_server.unseen()) == 1
    polled.refresh_from_db()
    assert "connection reset" in polled.last_error
    monkeypatch.setattr(imap.IMAPClient, "add_flags", real_add_flags)
    again = imap.poll(polled)
    assert (again.read, again.duplicates) == (1, 1)
    assert Incident.objects.count() == 1 and imap_server.unseen() == []


def test_a_20_mb_attachment_is_refused_and_the_mail_lands(imap_server, polled, reporter):
    imap_server.append(raw(build(sender=reporter.email, attachments=[
        ("dump.log", "text/plain", b"y" * (20 * 1024 * 1024)), ("screen.png", "image/png", PNG)])))
    imap.poll(polled)
    row = InboundMessage.objects.get()
    assert row.outcome == MessageOutcome.OPENED
    assert [item["name"] for item in row.rejected_attachments] == ["dump.log"]
    assert [a.original_name for a in row.incident.attachments.all()] == ["screen.png"]


def test_a_mime_bomb_and_malformed_headers_are_quarantined_and_kept(imap_server, polled, reporter):
    bomb = raw(build(sender=reporter.email, attachments=[(f"{n}.txt", "text/plain", b"x") for n in range(300)]))
    malformed = (f"From: {reporter.email}\r\nSubject: broken\r\nMessage-ID: <broken@example.com>\r\n"
                 "this line is no header\r\n\r\nbody\r\n").encode()
    imap_server.append(bomb)
    imap_server.append(malformed)
    imap.poll(polled)
    rows = list(InboundMessage.objects.order_by("pk"))
    assert [r.outcome for r in rows] == [MessageOutcome.QUARANTINED] * 2
    assert "parts" in rows[0].reason and "malformed" in rows[1].reason
    assert rows[0].raw.read().replace(b"\r\n", b"\n") == bomb.replace(b"\r\n", b"\n")
    assert Incident.objects.count() == 0 and imap_server.unseen() == []


def test_a_wrong_password_is_recorded_on_the_mailbox(imap_server, polled, monkeypatch):
    monkeypatch.setenv("ITSM_TEST_IMAP_PASSWORD", "not-the-password")
    result = poll_mailbox.delay(polled.pk).get()
    polled.refresh_from_db()
    assert polled.last_error.startswith("Could not read Polled desk at 127.0.0.1")
    assert result == {"error": polled.last_error}


def test_the_beat_task_polls_every_active_imap_mailbox(imap_server, polled, reporter):
    imap_server.append(raw(build(sender=reporter.email)))
    assert poll_mailboxes.delay().get() == 1
    assert Incident.objects.count() == 1


def test_a_message_over_the_limit_is_not_fetched_its_header_is_quarantined(imap_server, polled, reporter, settings,
                                                                            agent):
    settings.ITSM_MAIL_MAX_BYTES = 64 * 1024
    imap_server.append(raw(build(sender=reporter.email, subject="Huge", text="z" * 100_000)))
    imap_server.append(raw(build(sender=reporter.email, subject="Small")))
    imap.poll(polled)
    huge = InboundMessage.objects.get(size__gt=100_000)
    small = InboundMessage.objects.get(subject="Small")
    assert huge.outcome == MessageOutcome.QUARANTINED and "left in INBOX of Polled desk" in huge.reason
    assert huge.size > 100_000 and huge.raw.read().endswith(b"\r\n\r\n") and b"zzzz" not in huge.raw.read()
    assert small.outcome == MessageOutcome.OPENED
    assert imap_server.unseen() == [] and imap_server.count() == 2
    with pytest.raises(WorkflowError, match="Only the header"):
        process.release(huge, by=agent)
    assert imap.poll(polled).read == 0
