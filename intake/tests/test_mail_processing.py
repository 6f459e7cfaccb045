"""A message in: an incident for a new one, a public reply for an answer to ours, nothing for a
program's mail, and a quarantine for what cannot be read, each exactly once."""

from __future__ import annotations

import pytest
from django.core import mail

from incidents import services
from incidents.models import Attachment, Channel, Comment, Incident
from incidents.tests.factories import make_incident
from intake.mail import process
from intake.mail.parse import html_to_text
from intake.models import InboundMessage, MessageOutcome, UnknownSenders

from .mail_support import (  # noqa: F401
    DESK,
    build,
    mail_domain_fixture,
    mailbox_fixture,
    other_reporter_fixture,
    raw,
    reply_to,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def receive(mailbox, message):
    return process.receive(mailbox, raw(message) if not isinstance(message, bytes) else message)


def test_a_new_message_opens_an_incident_for_its_sender(mailbox, reporter, network_category):
    mailbox.default_category = network_category
    mailbox.save()
    message = raw(build(sender=reporter.email, attachments=[("screen.png", "image/png", PNG)]))
    row = process.receive(mailbox, message)
    assert row.outcome == MessageOutcome.OPENED and not row.duplicate
    incident = row.incident
    assert incident.reporter == reporter and incident.channel == Channel.EMAIL
    assert incident.summary == "VPN drops every ten minutes"
    assert incident.description == "Since this morning the VPN disconnects every ten minutes."
    assert incident.category == network_category
    assert [a.original_name for a in Attachment.objects.filter(incident=incident)] == ["screen.png"]
    assert row.raw.read() == message and row.size == len(message)


def test_the_same_message_twice_is_processed_once(mailbox, reporter):
    message = raw(build(sender=reporter.email))
    first = process.receive(mailbox, message)
    again = process.receive(mailbox, message)
    assert again.duplicate and again.pk == first.pk and again.outcome == MessageOutcome.OPENED
    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_message_without_message_id_is_known_by_its_digest(mailbox, reporter):
    message = build(sender=reporter.email)
    del message["Message-ID"]
    first = receive(mailbox, message)
    assert first.message_key.startswith("sha256:") and receive(mailbox, message).duplicate


def test_a_second_copy_racing_the_first_stops_at_the_unique_key(mailbox, reporter, monkeypatch):
    """Two workers at once: the second passes the first look-up (nothing yet), then loses the insert."""
    message = raw(build(sender=reporter.email))
    first = process.receive(mailbox, message)
    real_filter = InboundMessage.objects.filter
    calls = {"n": 0}

    def blind_once(*args, **kwargs):
        calls["n"] += 1
        return real_filter(pk=-1) if calls["n"] == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(InboundMessage.objects, "filter", blind_once)
    again = process.receive(mailbox, message)
    assert again.duplicate and again.pk == first.pk
    assert Incident.objects.count() == 1


def test_a_gmail_reply_to_our_notification_is_a_public_comment_without_the_history(
    mailbox, reporter, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter, summary="Printer on floor 3 jams")
    acknowledgement = mailoutbox[-1]
    row = receive(mailbox, reply_to(acknowledgement, sender=reporter.email, text="It jams on A3 paper only."))
    assert row.outcome == MessageOutcome.COMMENTED and row.incident == incident
    comment = Comment.objects.get(incident=incident)
    assert comment.body == "It jams on A3 paper only." and comment.public and comment.author == reporter


def test_an_outlook_reply_is_cut_at_its_header_block(mailbox, reporter, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter)
    row = receive(mailbox, reply_to(mailoutbox[-1], sender=reporter.email, text="Still the same.", style="outlook"))
    assert row.incident == incident
    assert Comment.objects.get(incident=incident).body == "Still the same."


def test_the_reference_in_the_subject_threads_a_reply_without_headers(mailbox, reporter):
    incident = make_incident(reporter=reporter)
    row = receive(mailbox, build(sender=reporter.email, subject=f"AW: [{incident.reference}] New reply",
                                 text="Here is the log you asked for."))
    assert row.outcome == MessageOutcome.COMMENTED and row.incident == incident


def test_a_reply_saying_it_is_still_broken_reopens_a_resolved_incident(mailbox, reporter, resolver, network_category,
                                                                        settings, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    settings.ITSM_REPORTER_REPLY_REOPENS = True
    incident = make_incident(reporter=reporter, category=network_category)
    incident = services.transition(incident=incident, user=resolver, name="claim")
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                            resolution_notes="The access point was replaced.")
    row = receive(mailbox, reply_to(mailoutbox[-1], sender=reporter.email, text="Sorry, it is still broken."))
    assert row.outcome == MessageOutcome.REOPENED
    incident.refresh_from_db()
    assert incident.state not in ("resolved", "closed")


def test_a_reply_on_someone_elses_incident_opens_one_of_their_own(mailbox, reporter, other_reporter):
    theirs = make_incident(reporter=reporter, summary="Laptop will not boot")
    row = receive(mailbox, build(sender=other_reporter.email, subject=f"Re: [{theirs.reference}] hello",
                                 text="Me too!"))
    assert row.outcome == MessageOutcome.OPENED and row.incident != theirs
    assert row.incident.reporter == other_reporter
    assert not Comment.objects.filter(incident=theirs).exists()


def test_a_reply_on_a_closed_incident_opens_a_new_one(mailbox, reporter, resolver, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    incident = services.transition(incident=incident, user=resolver, name="claim")
    incident = services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                                   resolution_notes="Fixed.")
    services.transition(incident=incident, user=reporter, name="close")
    row = receive(mailbox, build(sender=reporter.email, subject=f"Re: [{incident.reference}] Resolved",
                                 text="It is back."))
    assert row.outcome == MessageOutcome.OPENED and row.incident != incident


def test_an_html_only_message_lands_as_text_with_no_markup_or_script(mailbox, reporter):
    html = ("<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
            "<p>Outlook <b>crashes</b> &amp; restarts</p><ul><li>on start</li></ul>"
            "<img src=x onerror=alert(1)></body></html>")
    row = receive(mailbox, build(sender=reporter.email, text=None, html=html))
    description = row.incident.description
    assert description == "Outlook crashes & restarts\n\n- on start"
    assert "<" not in description and "alert" not in description


def test_html_to_text_drops_script_inside_odd_markup():
    assert html_to_text("<div>a<SCRIPT>evil()</SCRIPT>b</div><!-- <script>x</script> -->c") == "ab\nc"


@pytest.mark.parametrize("headers, why", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"X-Autoreply": "yes"}, "automatic reply"),
    ({"Precedence": "list"}, "Precedence: list"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"List-Id": "Staff <staff.lists.example.com>"}, "List-Id"),
    ({"Return-Path": "<>"}, "null sender"),
])
def test_a_programs_mail_is_recorded_and_ignored(mailbox, reporter, headers, why):
    row = receive(mailbox, build(sender=reporter.email, subject="Out of office", headers=headers))
    assert row.outcome == MessageOutcome.IGNORED and why in row.reason
    assert Incident.objects.count() == 0 and mail.outbox == []


def test_a_delivery_report_bounce_is_ignored(mailbox):
    bounce = build(sender="MAILER-DAEMON@mx.example.com", subject="Undelivered Mail Returned to Sender",
                   text="This is the mail system at host mx.example.com.", headers={"Return-Path": "<>"})
    bounce.make_mixed()
    bounce.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b1"')
    row = receive(mailbox, bounce)
    assert row.outcome == MessageOutcome.IGNORED and Incident.objects.count() == 0


def test_our_own_notification_coming_back_is_a_loop(mailbox, reporter, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(reporter=reporter)
    ours = mailoutbox[-1].message()
    ours.replace_header("From", reporter.email)  # an alias that forwarded it back to the desk,
    del ours["Auto-Submitted"]  # dropping the header on the way
    row = receive(mailbox, ours.as_bytes())
    assert row.outcome == MessageOutcome.IGNORED and "Message-ID is one we sent" in row.reason
    assert Incident.objects.count() == 1


def test_mail_from_the_mailboxs_own_address_or_the_notifications_sender_is_ignored(mailbox, settings):
    settings.DEFAULT_FROM_EMAIL = "IT Service Desk <notify@desk.example.com>"
    row = receive(mailbox, build(sender=DESK.upper()))
    assert row.outcome == MessageOutcome.IGNORED and "own address" in row.reason
    row = receive(mailbox, build(sender="notify@desk.example.com"))
    assert row.outcome == MessageOutcome.IGNORED and "own address" in row.reason


def test_a_sender_over_the_hourly_budget_is_rate_limited(mailbox, reporter, settings):
    settings.ITSM_MAIL_RATE_PER_HOUR = 3
    rows = [receive(mailbox, build(sender=reporter.email, subject=f"Problem {n}")) for n in range(5)]
    assert [r.outcome for r in rows] == [MessageOutcome.OPENED] * 3 + [MessageOutcome.RATE_LIMITED] * 2
    assert Incident.objects.count() == 3 and all("Not accepted" not in m.subject for m in mail.outbox)


def test_an_unknown_sender_gets_a_reporter_account_when_the_mailbox_says_so(mailbox):
    mailbox.unknown_senders = UnknownSenders.CREATE
    mailbox.save()
    row = receive(mailbox, build(sender="Nora New <nora.new@example.com>"))
    assert row.outcome == MessageOutcome.OPENED
    user = row.incident.reporter
    assert (user.username, user.email, user.first_name, user.has_usable_password()) == \
        ("nora.new", "nora.new@example.com", "Nora", False)
    assert list(user.groups.values_list("name", flat=True)) == ["Reporter"]


def test_an_unknown_sender_is_refused_with_one_automatic_reply(mailbox, django_capture_on_commit_callbacks):
    message = build(sender="stranger@example.org", subject="Please help")
    with django_capture_on_commit_callbacks(execute=True):
        row = receive(mailbox, message)
    assert row.outcome == MessageOutcome.REFUSED and Incident.objects.count() == 0
    assert len(mail.outbox) == 1
    reply = mail.outbox[0].message()
    assert reply["To"] == "stranger@example.org" and reply["From"] == DESK
    assert reply["Auto-Submitted"] == "auto-replied" and reply["In-Reply-To"] == message["Message-ID"]
    assert "/portal/" in mail.outbox[0].body
    row.refresh_from_db()
    assert row.reply_sent_at is not None
    from intake.mail.replies import send_refusal

    assert send_refusal(row.pk) == 0  # a duplicated task sends nothing more


def test_a_refusal_is_never_sent_to_a_null_sender_or_a_program(mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receive(mailbox, build(sender="stranger@example.org", headers={"Return-Path": "<>"}))
        receive(mailbox, build(sender="robot@example.org", headers={"Auto-Submitted": "auto-generated"}))
    assert mail.outbox == []
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {MessageOutcome.IGNORED}


def test_an_attachment_over_the_upload_limit_is_refused_and_the_mail_lands(mailbox, reporter, settings):
    big = b"x" * (20 * 1024 * 1024)
    assert len(big) > settings.ITSM_MAX_UPLOAD_BYTES
    row = receive(mailbox, build(sender=reporter.email, attachments=[
        ("huge.log", "text/plain", big), ("screen.png", "image/png", PNG), ("setup.exe", "application/octet-stream",
                                                                            b"MZ" + b"\0" * 10)]))
    assert row.outcome == MessageOutcome.OPENED
    assert [a["name"] for a in row.rejected_attachments] == ["huge.log", "setup.exe"]
    assert "at most 10.0 MB" in row.rejected_attachments[0]["reason"]
    assert [a.original_name for a in row.incident.attachments.all()] == ["screen.png"]
    assert "Not attached" in row.incident.description and "huge.log" in row.incident.description


def test_a_mime_bomb_is_quarantined_and_nothing_else_is_written(mailbox, reporter):
    bomb = build(sender=reporter.email, attachments=[(f"part{n}.txt", "text/plain", b"x") for n in range(500)])
    row = receive(mailbox, bomb)
    assert row.outcome == MessageOutcome.QUARANTINED and "parts" in row.reason
    assert row.raw.read() == raw(bomb)
    assert Incident.objects.count() == 0


def test_deeply_nested_multiparts_are_quarantined(mailbox, reporter, settings):
    settings.ITSM_MAIL_MAX_PARTS = 1000
    body = b"deep\r\n"
    for depth in range(50):
        body = (f'Content-Type: multipart/mixed; boundary="b{depth}"\r\n\r\n--b{depth}\r\n'.encode() + body
                + f"\r\n--b{depth}--\r\n".encode())
    message = (f"From: {reporter.email}\r\nSubject: nested\r\nMessage-ID: <deep@example.com>\r\n"
               "MIME-Version: 1.0\r\n").encode() + body
    row = receive(mailbox, message)
    assert row.outcome == MessageOutcome.QUARANTINED and "nested more than" in row.reason
    assert row.message_key == "<deep@example.com>" and Incident.objects.count() == 0


@pytest.mark.parametrize("message, why", [
    (b"From: rita@example.com\r\nSubject: broken\r\nthis line is no header\r\n\r\nbody", "malformed"),
    (b"From: \r\nSubject: no sender\r\n\r\nbody", "From"),
    (b"From: rita@example.com\r\nFrom: oscar@example.com\r\nSubject: two senders\r\n\r\nbody", "From"),
    (b"From: rita@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\nno boundary", "malformed"),
])
def test_malformed_headers_are_quarantined_with_the_raw_message_kept(mailbox, reporter, message, why):
    row = receive(mailbox, message)
    assert row.outcome == MessageOutcome.QUARANTINED and why in row.reason, row.reason
    assert row.raw.read() == message
    assert Incident.objects.count() == 0 and Comment.objects.count() == 0


def test_a_failure_half_way_leaves_only_the_quarantine_row(mailbox, reporter, monkeypatch):
    """The incident is written, then its attachment fails: the transaction takes both back."""
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_store_attachment", broken)
    row = receive(mailbox, build(sender=reporter.email, attachments=[("screen.png", "image/png", PNG)]))
    assert row.outcome == MessageOutcome.QUARANTINED and "disk full" in row.reason
    assert Incident.objects.count() == 0 and InboundMessage.objects.count() == 1


def test_a_released_message_is_processed_once_it_can_be(mailbox, reporter, agent, settings):
    settings.ITSM_MAIL_MAX_PARTS = 5
    row = receive(mailbox, build(sender=reporter.email, attachments=[(f"{n}.png", "image/png", PNG) for n in range(6)]))
    assert row.outcome == MessageOutcome.QUARANTINED
    assert process.release(row, by=agent).outcome == MessageOutcome.QUARANTINED  # still too many parts
    settings.ITSM_MAIL_MAX_PARTS = 100
    released = process.release(row, by=agent)
    assert released.outcome == MessageOutcome.RELEASED and released.incident.attachments.count() == 6
    assert "Released by dana" in released.reason and InboundMessage.objects.count() == 1


@pytest.mark.parametrize("garbage", [b"", b"\x00\xff" * 500, b"Subject: only a subject\r\n", b"\r\n\r\n\r\n",
                                     b"From: =?utf-8?q?unterminated <a@b>\r\n\r\nx", b"From: <>\r\n\r\nx"])
def test_whatever_arrives_is_kept_and_nothing_escapes(mailbox, garbage):
    row = receive(mailbox, garbage)
    assert row.outcome in (MessageOutcome.QUARANTINED, MessageOutcome.IGNORED, MessageOutcome.REFUSED)
    assert Incident.objects.count() == 0 and row.raw.read() == garbage
