"""The reporter hears about their incident by e-mail, sent by a task after commit, exactly once."""

from incidents import services
from incidents.models import Notification
from incidents.notifications import deliver

from .factories import make_incident


def test_reporter_is_emailed_when_the_incident_is_opened(reporter, network_category, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter, category=network_category)
    assert [m.to for m in mailoutbox] == [[reporter.email]]
    assert incident.reference in mailoutbox[0].subject


def test_the_acknowledgement_is_owed_in_the_transaction_and_sent_only_after_commit(
    reporter, network_category, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = make_incident(reporter=reporter, category=network_category)
    owed = Notification.objects.filter(event__incident=incident, recipient=reporter.email)
    assert mailoutbox == [] and list(owed.values_list("sent_at", flat=True)) == [None]
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [[reporter.email]]
    assert owed.get().sent_at is not None


def test_public_reply_and_resolution_are_emailed_but_work_notes_are_not(
    reporter, agent, resolver, network_category, mailoutbox, django_capture_on_commit_callbacks
):
    incident = make_incident(reporter=reporter, category=network_category)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=agent, body="Internal: checking RADIUS logs", public=False)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=agent, body="Could you try reconnecting now?", public=True)
        incident = services.transition(incident=incident, user=resolver, name="claim")
        services.transition(incident=incident, user=resolver, name="resolve", resolution_code="fixed",
                            resolution_notes="Your VPN profile was renewed.")
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 2
    assert "New reply" in subjects[0] and "Resolved" in subjects[1]
    assert "Your VPN profile was renewed." in mailoutbox[1].body


def test_a_duplicated_task_sends_each_message_once(reporter, network_category, mailoutbox):
    incident = make_incident(reporter=reporter, category=network_category)
    event = incident.events.get(kind="created")
    mailoutbox.clear()
    assert deliver(event.pk) == 1
    assert deliver(event.pk) == 0
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(event=event, sent_at__isnull=False).count() == 1


def test_reporter_reply_tells_the_assignee(reporter, resolver, network_category, mailoutbox,
                                            django_capture_on_commit_callbacks):
    incident = make_incident(reporter=reporter, category=network_category)
    incident = services.transition(incident=incident, user=resolver, name="claim")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=reporter, body="It works from the office.", public=True)
    assert [m.to for m in mailoutbox] == [[resolver.email]]


def test_the_email_greets_whoever_it_goes_to_and_links_where_they_work(
    reporter, resolver, network_category, mailoutbox, django_capture_on_commit_callbacks
):
    """It always greeted the reporter, also in the mail that told the assignee of a reply."""
    incident = make_incident(reporter=reporter, category=network_category)
    incident = services.transition(incident=incident, user=resolver, name="claim")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=reporter, body="It works from the office.", public=True)
    (mail,) = mailoutbox
    assert mail.to == [resolver.email]
    assert mail.body.startswith(f"Hello {resolver.get_full_name() or resolver.username},")
    assert f"/admin/incidents/incident/{incident.pk}/change/" in mail.body
    assert f"/portal/incidents/{incident.reference}/" not in mail.body
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(incident=incident, author=resolver, body="Thanks, closing soon.", public=True)
    to_reporter = mailoutbox[-1]
    assert to_reporter.to == [reporter.email]
    assert to_reporter.body.startswith(f"Hello {reporter.get_full_name() or reporter.username},")
    assert f"/portal/incidents/{incident.reference}/" in to_reporter.body
