"""Our e-mails thread: a Message-ID per notification row, the incident's thread root in In-Reply-To
and References, and the reference in the subject, so that the e-mail intake can put a reply back."""

from incidents import mail_ids, services
from incidents.models import Notification
from incidents.notifications import deliver

from .factories import make_incident


def test_every_email_of_an_incident_replies_to_its_thread_and_names_its_row(
    reporter, agent, network_category, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.ITSM_MAIL_DOMAIN = "desk.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter, category=network_category)
        services.comment_add(incident=incident, author=agent, body="Could you try again now?", public=True)
    assert len(mailoutbox) == 2
    notes = list(Notification.objects.filter(event__incident=incident).order_by("pk"))
    root = f"<{incident.reference}@desk.example.com>"
    for message, note in zip(mailoutbox, notes, strict=True):
        assert message.extra_headers["Message-ID"] == f"<{incident.reference}.n{note.pk}@desk.example.com>"
        assert message.extra_headers["In-Reply-To"] == root
        assert message.extra_headers["References"] == root
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        assert message.subject.startswith(f"[{incident.reference}] ")
        assert mail_ids.reference_in([message.extra_headers["In-Reply-To"]]) == incident.reference
        assert mail_ids.is_ours(message.extra_headers["Message-ID"])
    assert mailoutbox[0].message()["Message-ID"] == mailoutbox[0].extra_headers["Message-ID"]


def test_a_resend_after_a_crash_carries_the_same_message_id(reporter, network_category, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter, category=network_category)
    event = incident.events.get(kind="created")
    first = mailoutbox[0].extra_headers["Message-ID"]
    Notification.objects.filter(event=event).update(sent_at=None)  # the worker died before marking it
    mailoutbox.clear()
    assert deliver(event.pk) == 1
    assert mailoutbox[0].extra_headers["Message-ID"] == first


def test_ids_of_another_domain_or_shape_are_not_ours(settings):
    settings.ITSM_MAIL_DOMAIN = "desk.example.com"
    assert not mail_ids.is_ours("<INC-000123.n4@elsewhere.example.com>")
    assert not mail_ids.is_ours("<CAF=abc123@mail.gmail.com>")
    assert not mail_ids.is_ours("<INC-000123.x4@desk.example.com>")
    assert mail_ids.reference_in(["<a@b>", "<INC-000007@DESK.example.com> <INC-000123.n9@desk.example.com>"]) \
        == "INC-000123"
    assert mail_ids.reference_in_subject("Re: AW: [inc-000042] New reply") == "INC-000042"
