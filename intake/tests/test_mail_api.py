"""POST /api/v1/intake/email/: a mail server pipes raw messages in with its mailbox's token."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.tests.api_support import assert_error, token_client
from incidents.models import Incident
from intake.accounts import service_account
from intake.models import InboundMessage, MailboxKind, MessageOutcome

from .mail_support import build, mail_domain_fixture, make_mailbox, raw  # noqa: F401

URL = "/api/v1/intake/email/"
RFC822 = "message/rfc822"


@pytest.fixture
def pipe(db, mail_domain):
    mailbox = make_mailbox(name="Piped desk", kind=MailboxKind.PIPE)
    mailbox.service_user = service_account("mail", mailbox.name)
    mailbox.save()
    return mailbox


@pytest.fixture
def client(pipe):
    return token_client(pipe.service_user)


def post(client, body: bytes, content_type: str = RFC822):
    return client.post(URL, data=body, content_type=content_type)


def test_a_new_message_is_201_with_what_became_of_it(client, reporter):
    response = post(client, raw(build(sender=reporter.email)))
    assert response.status_code == 201, response.json()
    body = response.json()
    incident = Incident.objects.get()
    assert body["outcome"] == MessageOutcome.OPENED and body["incident"] == incident.reference
    assert body["duplicate"] is False and body["rejected_attachments"] == []
    assert incident.reporter == reporter


def test_the_same_message_again_is_200_with_its_first_outcome(client, reporter):
    message = raw(build(sender=reporter.email))
    first = post(client, message).json()
    response = post(client, message)
    assert response.status_code == 200
    assert response.json() == {**first, "duplicate": True}
    assert Incident.objects.count() == 1


def test_a_quarantined_message_is_accepted_too(client):
    response = post(client, b"From: \r\nSubject: nobody\r\n\r\nbody")
    assert response.status_code == 201 and response.json()["outcome"] == MessageOutcome.QUARANTINED
    assert InboundMessage.objects.get().raw.read().startswith(b"From: ")


def test_without_a_token_is_401(pipe, reporter):
    assert_error(post(APIClient(), raw(build(sender=reporter.email))), 401)
    assert not InboundMessage.objects.exists()


def test_a_token_that_is_not_a_pipe_mailboxs_is_403(pipe, reporter, agent):
    assert_error(post(token_client(agent), raw(build(sender=reporter.email))), 403)
    imap = make_mailbox(name="Polled", kind=MailboxKind.IMAP, host="imap.example.com", username="desk",
                        password_env="DESK_PASSWORD")
    imap.service_user = service_account("mail", "polled")
    imap.save()
    assert_error(post(token_client(imap.service_user), raw(build(sender=reporter.email))), 403)
    pipe.active = False
    pipe.save()
    response = post(token_client(pipe.service_user), raw(build(sender=reporter.email)))
    assert assert_error(response, 403)["detail"] == "The mailbox “Piped desk” is inactive."
    assert not InboundMessage.objects.exists()


def test_a_message_over_the_mail_limit_is_413_before_it_is_read(client, reporter, settings):
    settings.ITSM_MAIL_MAX_BYTES = 64 * 1024
    response = post(client, raw(build(sender=reporter.email, text="x" * 70_000)))
    assert assert_error(response, 413)["detail"].endswith("at most 65,536 are accepted (ITSM_MAIL_MAX_BYTES).")
    assert not InboundMessage.objects.exists()


def test_a_message_over_the_api_body_limit_but_within_the_mail_limit_lands(client, reporter, settings):
    settings.ITSM_API_MAX_BODY_BYTES = 4096
    response = post(client, raw(build(sender=reporter.email, text="word " * 2000)))
    assert response.status_code == 201


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_message_rfc822_is_415(client, reporter, content_type):
    assert_error(post(client, raw(build(sender=reporter.email)), content_type), 415)


def test_an_empty_body_is_400(client):
    assert_error(post(client, b""), 400)


def test_a_new_message_and_a_duplicate_cost_a_constant_number_of_queries(client, reporter, network_category,
                                                                         django_assert_max_num_queries, pipe):
    pipe.default_category = network_category
    pipe.save()
    post(client, raw(build(sender=reporter.email, subject="warm-up")))  # the token's first use is written once
    message = raw(build(sender=reporter.email, subject="Wi-Fi drops in room 4.12"))
    with django_assert_max_num_queries(NEW_MESSAGE_QUERIES):
        assert post(client, message).status_code == 201
    with django_assert_max_num_queries(DUPLICATE_QUERIES):
        assert post(client, message).status_code == 200
    reply = build(sender=reporter.email, subject=f"Re: [{Incident.objects.last().reference}] more",
                  text="It happens in 4.13 too.")
    with django_assert_max_num_queries(REPLY_QUERIES):
        assert post(client, raw(reply)).json()["outcome"] == MessageOutcome.COMMENTED


# Counted on SQLite and PostgreSQL alike, savepoints included: the token and the mailbox with its
# defaults (2), the duplicate look-up (1), the row's insert in its savepoint and its final update
# (4, with the savepoint the test's transaction makes of the outer one), the rate budget and the
# sender (2); then what `incident_create` (13) or `comment_add` with the thread look-up (9) costs,
# and the audit chain's append of what they wrote (3-4: one read per source table, the chain heads,
# one insert, and on PostgreSQL the chain's lock).
NEW_MESSAGE_QUERIES = 29
DUPLICATE_QUERIES = 3
REPLY_QUERIES = 24
