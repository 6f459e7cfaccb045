"""The mail admin: a pipe mailbox's token shown once, the quarantine, its release and raw download."""

from __future__ import annotations

from django.urls import reverse

from incidents.tests.factories import make_incident
from intake.mail import process
from intake.models import Mailbox, MailboxKind, MessageOutcome
from tokens.models import ApiToken

from .mail_support import (  # noqa: F401
    build,
    mail_domain_fixture,
    mailbox_fixture,
    raw,
    security_category_fixture,
)

CHANGELIST = "admin:intake_inboundmessage_changelist"


def test_a_pipe_mailbox_gets_its_account_and_a_token_shown_once(client, manager, mail_domain):
    client.force_login(manager)
    response = client.post(reverse("admin:intake_mailbox_add"), {
        "name": "Piped desk", "kind": MailboxKind.PIPE, "address": "desk@example.com", "active": "on",
        "unknown_senders": "refuse", "tls": "ssl", "folder": "INBOX",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    mailbox = Mailbox.objects.get()
    assert mailbox.service_user.username == "intake-mail-piped-desk"
    response = client.post(reverse("admin:intake_mailbox_changelist"),
                           {"action": "issue_token", "_selected_action": [mailbox.pk]}, follow=True)
    token = ApiToken.objects.get(user=mailbox.service_user)
    assert f"itsm_{token.prefix}_" in response.content.decode()


def test_an_imap_mailbox_needs_its_server_and_password_variable(client, manager, mail_domain):
    client.force_login(manager)
    response = client.post(reverse("admin:intake_mailbox_add"), {
        "name": "Polled", "kind": MailboxKind.IMAP, "address": "desk@example.com", "unknown_senders": "refuse",
        "tls": "ssl", "folder": "INBOX", "host": "imap.example.com",
    })
    assert "An IMAP mailbox needs its username, password variable." in response.content.decode()


def test_the_desk_releases_a_quarantined_message_and_downloads_it(client, agent, reporter, mailbox, settings):
    settings.ITSM_MAIL_MAX_PARTS = 3
    message = raw(build(sender=reporter.email, attachments=[(f"{n}.txt", "text/plain", b"log") for n in range(4)]))
    row = process.receive(mailbox, message)
    assert row.outcome == MessageOutcome.QUARANTINED
    client.force_login(agent)
    quarantine = client.get(reverse("admin:intake_inboundmessage_quarantine"), follow=True)
    assert quarantine.status_code == 200 and row.subject in quarantine.content.decode()
    download = client.get(reverse("admin:intake_inboundmessage_raw", args=[row.pk]))
    assert download["Content-Type"] == "message/rfc822" and b"".join(download.streaming_content) == message
    assert "attachment" in download["Content-Disposition"]
    settings.ITSM_MAIL_MAX_PARTS = 100
    client.post(reverse(CHANGELIST), {"action": "release", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.outcome == MessageOutcome.RELEASED and row.incident.reporter == reporter


def test_messages_on_a_confidential_incident_are_listed_only_to_those_who_read_it(
    client, agent, reporter, mailbox, security_category
):
    incident = make_incident(reporter=reporter, category=security_category)
    row = process.receive(mailbox, raw(build(sender=reporter.email, subject=f"Re: [{incident.reference}] phish",
                                             text="One more phishing mail")))
    assert row.incident == incident
    client.force_login(agent)
    listed = client.get(reverse(CHANGELIST)).content.decode()
    assert "One more" not in listed and f"Re: [{incident.reference}]" not in listed
    assert client.get(reverse("admin:intake_inboundmessage_raw", args=[row.pk])).status_code == 404


def test_the_list_costs_the_same_queries_for_1_and_50_messages(client, agent, reporter, mailbox):
    from core.tests.api_support import assert_constant_queries, count_queries

    client.force_login(agent)
    process.receive(mailbox, raw(build(sender=reporter.email)))
    one, _ = count_queries(lambda: client.get(reverse(CHANGELIST)))
    for n in range(49):
        process.receive(mailbox, raw(build(sender="stranger@example.org", subject=f"n{n}")))
    many, response = count_queries(lambda: client.get(reverse(CHANGELIST)))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.intake.inboundmessages", one, many)
