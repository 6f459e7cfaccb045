"""What comes from outside is made safe before it is stored or put in a mail header, and a form
sent twice opens one incident: header injection through a summary, control and bidi-override
characters, megabytes of text, a thousand-word search, back-and-resend."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from core.text import clean_text, single_line
from incidents import services
from incidents.models import Incident

from .factories import make_incident
from .test_portal_report import report_data

pytestmark = pytest.mark.django_db


def test_a_summary_with_a_line_break_is_one_line_and_its_email_goes_out(reporter, network_category,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter=reporter, category=network_category,
                                 summary="VPN down\r\nBcc: everyone@example.com")
    assert incident.summary == "VPN down Bcc: everyone@example.com"
    [message] = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.to == [reporter.email] and not message.bcc


def test_control_and_bidi_override_characters_are_dropped_from_what_is_typed(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category,
                             summary="Invoice \u202egpj.exe\u202c from\x07 finance",
                             description="line one\r\nline two\x00\twith a tab \u2066isolated\u2069")
    assert incident.summary == "Invoice gpj.exe from finance"
    assert incident.description == "line one\nline two\twith a tab isolated"
    assert single_line(" a \n\n b ") == "a b" and clean_text("x\ry") == "x\ny"


def test_a_description_or_a_comment_of_megabytes_is_refused_with_the_limit(reporter, agent, network_category):
    huge = "log line\n" * 350_000  # 3 MB, as was accepted
    with pytest.raises(services.ValidationError) as refused:
        make_incident(reporter=reporter, category=network_category, description=huge)
    assert "at most 50,000 characters" in str(refused.value)
    incident = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(services.ValidationError):
        services.comment_add(incident=incident, author=agent, body=huge, public=False)
    assert incident.comments.count() == 0


def test_the_portal_form_keeps_a_too_long_description_and_says_why(client, reporter):
    client.force_login(reporter)
    text = "x" * 50_001
    response = client.post(reverse("portal:report"), report_data(description=text))
    assert response.status_code == 400
    assert "Keep it under 50,000 characters" in response.content.decode()
    assert text in response.content.decode()  # nothing typed is lost
    assert Incident.objects.count() == 0


def test_a_thousand_word_search_answers_instead_of_failing(client, agent, reporter, network_category):
    make_incident(reporter=reporter, category=network_category, summary="printer jams on floor 3")
    client.force_login(agent)
    query = " ".join(["printer"] + [f"word{i}" for i in range(1000)])
    response = client.get(reverse("admin:incidents_incident_changelist"), {"q": query})
    assert response.status_code == 200


def test_resending_the_report_form_shows_the_incident_already_created(client, reporter):
    client.force_login(reporter)
    page = client.get(reverse("portal:report")).content.decode()
    key = re.search(r'name="submission" value="([0-9a-f-]{36})"', page).group(1)
    first = client.post(reverse("portal:report"), report_data(submission=key))
    again = client.post(reverse("portal:report"), report_data(submission=key), follow=True)
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert first["Location"] == reverse("portal:incident_detail", args=[incident.reference])
    assert again.redirect_chain[-1][0] == first["Location"]
    assert f"already recorded as {incident.reference}" in again.content.decode()
    # A new form (a new key) is a new report.
    client.post(reverse("portal:report"), report_data(submission=str(uuid.uuid4())))
    assert Incident.objects.count() == 2


def test_someone_elses_submission_key_opens_a_new_incident_not_theirs(client, reporter, other_reporter,
                                                                       network_category):
    key = uuid.uuid4()
    theirs = make_incident(reporter=other_reporter, category=network_category, submission_key=key)
    client.force_login(reporter)
    client.post(reverse("portal:report"), report_data(submission=str(key)))
    assert Incident.objects.filter(reporter=reporter).count() == 1
    assert not Incident.objects.filter(pk=theirs.pk, reporter=reporter).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_sent_twice_at_once_opens_one_incident(require_postgres, reporter, network_category):
    key = uuid.uuid4()
    results, barrier = [], threading.Barrier(2)

    def submit() -> None:
        try:
            barrier.wait()
            results.append(make_incident(reporter=reporter, category=network_category, submission_key=key).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and len(set(results)) == 1
    assert Incident.objects.filter(submission_key=key).count() == 1
