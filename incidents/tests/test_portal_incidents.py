"""Following one's incidents on the portal: the list, the detail page, replies and the reporter's answers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import roles, services
from incidents.models import Comment, Incident
from incidents.workflow import CLOSE_GATES, State

from .factories import make_incident


@pytest.fixture
def signed_in(client, reporter):
    client.force_login(reporter)
    return client


def detail_url(incident) -> str:
    return reverse("portal:incident_detail", args=[incident.reference])


def action_url(incident, action: str) -> str:
    return reverse("portal:incident_action", args=[incident.reference, action])


def resolved_incident(reporter, agent, resolver, category):
    incident = make_incident(reporter=reporter, category=category)
    incident = services.transition(incident=incident, user=agent, name="triage")
    incident = services.transition(incident=incident, user=resolver, name="claim")
    return services.transition(incident=incident, user=resolver, name="resolve",
                               resolution_code="fixed", resolution_notes="Replaced the faulty switch port.")


# --- My incidents -----------------------------------------------------------------------------------
def test_my_incidents_lists_only_the_users_own_incidents(signed_in, reporter, other_reporter):
    mine = make_incident(reporter=reporter, summary="My laptop does not boot")
    theirs = make_incident(reporter=other_reporter, summary="Their printer is out of toner")

    page = signed_in.get(reverse("portal:incident_list")).content.decode()

    assert mine.reference in page and "My laptop does not boot" in page
    assert theirs.reference not in page and "out of toner" not in page


def test_my_incidents_shows_reference_summary_state_priority_and_update_time(signed_in, reporter):
    incident = make_incident(reporter=reporter, impact="high", urgency="high")

    page = signed_in.get(reverse("portal:incident_list")).content.decode()

    assert incident.reference in page
    assert incident.summary in page
    assert "badge--new" in page and ">New<" in page
    assert "P1 – Critical" in page
    assert 'data-label="Updated"' in page


def test_my_incidents_filters_open_and_closed(signed_in, reporter):
    open_one = make_incident(reporter=reporter, summary="Still open")
    withdrawn = make_incident(reporter=reporter, summary="Withdrawn one")
    services.transition(incident=withdrawn, user=reporter, name="cancel")

    open_page = signed_in.get(reverse("portal:incident_list"), {"status": "open"}).content.decode()
    closed_page = signed_in.get(reverse("portal:incident_list"), {"status": "closed"}).content.decode()
    all_page = signed_in.get(reverse("portal:incident_list")).content.decode()

    assert open_one.reference in open_page and withdrawn.reference not in open_page
    assert withdrawn.reference in closed_page and open_one.reference not in closed_page
    assert open_one.reference in all_page and withdrawn.reference in all_page


def test_resolved_incident_counts_as_open_until_the_reporter_confirms(
    signed_in, reporter, agent, resolver, network_category
):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    open_page = signed_in.get(reverse("portal:incident_list"), {"status": "open"}).content.decode()
    home = signed_in.get(reverse("portal:home")).content.decode()

    assert incident.reference in open_page
    assert "Waiting for your answer" in home and incident.reference in home


def test_my_incidents_is_paginated_by_25(signed_in, reporter):
    for n in range(26):
        make_incident(reporter=reporter, summary=f"Problem number {n}")

    first = signed_in.get(reverse("portal:incident_list"))
    second = signed_in.get(reverse("portal:incident_list"), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 1
    assert "Page 1 of 2" in first.content.decode()


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_my_incidents_runs_the_same_number_of_queries_for_1_and_50_incidents(signed_in, reporter):
    make_incident(reporter=reporter)
    url = reverse("portal:incident_list")
    with_one = count_queries(signed_in, url)
    for _ in range(49):
        make_incident(reporter=reporter)

    assert count_queries(signed_in, url) == with_one


def test_home_runs_the_same_number_of_queries_for_1_and_50_incidents(signed_in, reporter):
    make_incident(reporter=reporter)
    url = reverse("portal:home")
    with_one = count_queries(signed_in, url)
    for _ in range(49):
        make_incident(reporter=reporter)

    assert count_queries(signed_in, url) == with_one


# --- Home -------------------------------------------------------------------------------------------
def test_home_greets_the_user_and_offers_to_report_an_incident(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    page = signed_in.get(reverse("portal:home")).content.decode()

    assert f"Hello, {reporter.first_name}" in page
    assert f'href="{reverse("portal:report")}"' in page and "Report an incident" in page
    assert incident.reference in page
    assert 'id="kb-suggestions"' in page


def test_home_lists_at_most_five_open_incidents(signed_in, reporter):
    for n in range(7):
        make_incident(reporter=reporter, summary=f"Problem {n}")

    response = signed_in.get(reverse("portal:home"))

    assert len(response.context["recent_incidents"]) == 5
    assert "See all your open incidents" in response.content.decode()


# --- Detail -----------------------------------------------------------------------------------------
def test_detail_shows_the_incident_and_its_team_name(signed_in, reporter, agent, network_category):
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="medium")
    services.transition(incident=incident, user=agent, name="triage")

    page = signed_in.get(detail_url(incident)).content.decode()

    assert incident.summary in page
    assert "authentication failed" in page  # the description
    assert "Triaged" in page
    assert "P2 – High" in page
    assert "<dt>Handled by</dt><dd>Network</dd>" in page
    assert "<dt>Reported</dt>" in page and "<dt>Last updated</dt>" in page


def test_detail_shows_public_replies_but_never_internal_work_notes(signed_in, reporter, agent, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    services.comment_add(incident=incident, author=agent, body="Could you restart the client and retry?", public=True)
    services.comment_add(incident=incident, author=agent, body="WORKNOTE: user is on the old VPN profile", public=False)

    page = signed_in.get(detail_url(incident)).content.decode()

    assert "Could you restart the client and retry?" in page
    assert "Reply from the service desk" in page
    assert "WORKNOTE" not in page
    assert "old VPN profile" not in page


def test_detail_shows_public_events_but_not_internal_ones(signed_in, reporter, agent, resolver, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    incident = services.transition(
        incident=incident, user=agent, name="triage", reason="INTERNAL: looks like the core switch"
    )
    incident = services.transition(incident=incident, user=resolver, name="claim")
    services.transition(incident=incident, user=resolver, name="hold", reason="Waiting for the supplier")

    page = signed_in.get(detail_url(incident)).content.decode()
    assert "Reported" in page
    assert "On hold" in page and "Waiting for the supplier" in page
    assert "INTERNAL" not in page and "core switch" not in page


def test_detail_lists_public_attachments_and_hides_those_of_work_notes(signed_in, reporter, agent):
    incident = make_incident(
        reporter=reporter, files=[SimpleUploadedFile("error.log", b"Traceback: boom", content_type="text/plain")]
    )
    services.comment_add(incident=incident, author=agent, body="Attached the fix notes", public=True,
                         files=[SimpleUploadedFile("howto.txt", b"Do this", content_type="text/plain")])
    services.comment_add(incident=incident, author=agent, body="internal", public=False,
                         files=[SimpleUploadedFile("firewall.txt", b"secret rules", content_type="text/plain")])

    page = signed_in.get(detail_url(incident)).content.decode()

    assert "error.log" in page and "howto.txt" in page
    assert "firewall.txt" not in page


def test_public_attachment_downloads_as_a_file(signed_in, reporter):
    incident = make_incident(
        reporter=reporter, files=[SimpleUploadedFile("error.log", b"Traceback: boom", content_type="text/plain")]
    )
    attachment = incident.attachments.get()

    response = signed_in.get(reverse("portal:attachment_download", args=[incident.reference, attachment.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="error.log"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"Traceback: boom"


def test_attachment_of_a_work_note_cannot_be_downloaded_by_the_reporter(signed_in, reporter, agent):
    incident = make_incident(reporter=reporter)
    services.comment_add(incident=incident, author=agent, body="internal", public=False,
                         files=[SimpleUploadedFile("firewall.txt", b"secret rules", content_type="text/plain")])
    attachment = incident.attachments.get()

    response = signed_in.get(reverse("portal:attachment_download", args=[incident.reference, attachment.pk]))

    assert response.status_code == 404


# --- Replies ----------------------------------------------------------------------------------------
def test_reporter_reply_is_added_as_a_public_comment(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    response = signed_in.post(
        reverse("portal:incident_comment", args=[incident.reference]), {"body": "It happens on Wi-Fi only."}, follow=True
    )

    comment = Comment.objects.get(incident=incident)
    assert comment.public and comment.author == reporter and comment.body == "It happens on Wi-Fi only."
    assert "Your message has been added." in response.content.decode()
    assert "It happens on Wi-Fi only." in response.content.decode()


def test_reply_with_an_attachment_stores_it_with_the_comment(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    signed_in.post(reverse("portal:incident_comment", args=[incident.reference]), {
        "body": "Here is the log.",
        "attachment": SimpleUploadedFile("vpn.log", b"auth failed", content_type="text/plain"),
    })

    attachment = incident.attachments.get()
    assert attachment.comment.body == "Here is the log."
    assert attachment.public


def test_empty_reply_is_refused_with_a_clear_error(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    response = signed_in.post(reverse("portal:incident_comment", args=[incident.reference]), {"body": "  "})

    assert response.status_code == 400
    assert "Write a message before sending." in response.content.decode()
    assert not Comment.objects.exists()


def test_reply_to_a_closed_incident_is_refused_and_keeps_the_text(signed_in, reporter):
    incident = make_incident(reporter=reporter)
    services.transition(incident=incident, user=reporter, name="cancel")

    response = signed_in.post(
        reverse("portal:incident_comment", args=[incident.reference]), {"body": "Actually it is back"}
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "report a new incident if the problem is back" in page
    assert "Actually it is back" in page
    assert not Comment.objects.exists()


# --- The reporter's answers: close, reopen, withdraw ----------------------------------------------
def test_resolved_incident_offers_the_reporter_to_confirm_or_reopen(
    signed_in, reporter, agent, resolver, network_category
):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    page = signed_in.get(detail_url(incident)).content.decode()

    assert "Is the problem fixed?" in page
    assert "Replaced the faulty switch port." in page
    assert "Yes, it is fixed" in page and "No, still broken" in page
    assert action_url(incident, "close") in page and action_url(incident, "reopen") in page
    assert action_url(incident, "cancel") not in page


def test_reporter_confirms_the_fix_and_the_incident_closes(signed_in, reporter, agent, resolver, network_category):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    response = signed_in.post(action_url(incident, "close"), follow=True)

    incident.refresh_from_db()
    assert incident.state == State.CLOSED
    assert f"{incident.reference} is closed" in response.content.decode()


def test_reporter_reopens_with_a_reason(signed_in, reporter, agent, resolver, network_category):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    signed_in.post(action_url(incident, "reopen"), {"reopen-reason": "Still drops every hour."})

    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS
    assert incident.reopen_count == 1
    assert incident.events.filter(transition="reopen", message="Still drops every hour.", public=True).exists()


def test_reopen_without_a_reason_asks_for_one(signed_in, reporter, agent, resolver, network_category):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    response = signed_in.post(action_url(incident, "reopen"), {"reopen-reason": ""})

    incident.refresh_from_db()
    assert response.status_code == 400
    assert incident.state == State.RESOLVED
    assert "Tell us what is still not working." in response.content.decode()


def test_refused_reopen_says_why_and_keeps_what_the_user_typed(
    signed_in, reporter, agent, resolver, network_category
):
    incident = resolved_incident(reporter, agent, resolver, network_category)
    # The desk closed it while the reporter was still typing.
    services.transition(incident=incident, user=agent, name="close")

    response = signed_in.post(action_url(incident, "reopen"), {"reopen-reason": "The fan is loud again."})

    page = response.content.decode()
    incident.refresh_from_db()
    assert response.status_code == 409
    assert incident.state == State.CLOSED
    assert "That did not work" in page and "“Reopen” is not possible" in page
    assert "The fan is loud again." in page


def test_confirming_a_fix_while_a_close_gate_holds_records_the_confirmation(
    signed_in, reporter, agent, resolver, network_category
):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    def review_pending(incident):
        return "A post-incident review must be completed first."

    CLOSE_GATES.append(review_pending)
    try:
        response = signed_in.post(action_url(incident, "close"), follow=True)
        again = signed_in.post(action_url(incident, "close"), follow=True)
    finally:
        CLOSE_GATES.remove(review_pending)

    incident.refresh_from_db()
    assert response.status_code == again.status_code == 200
    assert incident.state == State.RESOLVED
    assert "stays resolved" in response.content.decode()
    confirmations = incident.events.filter(transition="confirm", actor=reporter, public=True)
    assert confirmations.count() == 1, "confirming twice records it once"


def test_close_on_an_incident_that_is_not_resolved_is_refused_not_ignored(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    response = signed_in.post(action_url(incident, "close"))

    incident.refresh_from_db()
    assert response.status_code == 409
    assert incident.state == State.NEW
    assert f"“Close” is not possible: {incident.reference} is new." in response.content.decode()


def test_reporter_withdraws_a_new_incident(signed_in, reporter):
    incident = make_incident(reporter=reporter)
    page = signed_in.get(detail_url(incident)).content.decode()
    assert "Withdraw" in page and action_url(incident, "cancel") in page

    response = signed_in.post(action_url(incident, "cancel"), {"cancel-reason": "Found the cable unplugged."},
                              follow=True)

    incident.refresh_from_db()
    assert incident.state == State.CANCELLED
    assert f"You withdrew {incident.reference}." in response.content.decode()
    assert "Found the cable unplugged." in response.content.decode()  # a public event on the timeline


def test_actions_other_than_the_reporters_are_not_found(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    for name in ("triage", "claim", "resolve", "nonsense"):
        assert signed_in.post(action_url(incident, name)).status_code == 404


def test_actions_and_replies_accept_only_post(signed_in, reporter):
    incident = make_incident(reporter=reporter)

    assert signed_in.get(action_url(incident, "cancel")).status_code == 405
    assert signed_in.get(reverse("portal:incident_comment", args=[incident.reference])).status_code == 405
    incident.refresh_from_db()
    assert incident.state == State.NEW


# --- Access: only one's own incidents ---------------------------------------------------------------
@pytest.fixture
def someone_elses_incident(other_reporter):
    return make_incident(
        reporter=other_reporter,
        files=[SimpleUploadedFile("private.txt", b"not yours", content_type="text/plain")],
    )


def test_another_users_incident_is_not_found(signed_in, someone_elses_incident):
    assert signed_in.get(detail_url(someone_elses_incident)).status_code == 404


def test_commenting_on_another_users_incident_is_not_found(signed_in, someone_elses_incident):
    response = signed_in.post(
        reverse("portal:incident_comment", args=[someone_elses_incident.reference]), {"body": "hello"}
    )

    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_acting_on_another_users_incident_is_not_found(signed_in, someone_elses_incident):
    response = signed_in.post(action_url(someone_elses_incident, "cancel"))

    someone_elses_incident.refresh_from_db()
    assert response.status_code == 404
    assert someone_elses_incident.state == State.NEW


def test_another_users_attachment_is_not_found(signed_in, reporter, someone_elses_incident):
    attachment = someone_elses_incident.attachments.get()
    own = make_incident(reporter=reporter)

    by_their_reference = reverse("portal:attachment_download", args=[someone_elses_incident.reference, attachment.pk])
    by_my_reference = reverse("portal:attachment_download", args=[own.reference, attachment.pk])

    assert signed_in.get(by_their_reference).status_code == 404
    assert signed_in.get(by_my_reference).status_code == 404


def test_staff_see_only_the_incidents_they_reported_on_the_portal(client, agent, reporter):
    reported_by_agent = make_incident(reporter=agent, summary="My own monitor flickers")
    reported_by_someone = make_incident(reporter=reporter, summary="Somebody else's problem")
    client.force_login(agent)

    listing = client.get(reverse("portal:incident_list")).content.decode()

    assert reported_by_agent.reference in listing
    assert reported_by_someone.reference not in listing
    assert client.get(detail_url(reported_by_someone)).status_code == 404
    assert client.get(detail_url(reported_by_agent)).status_code == 200


def test_incident_manager_sees_only_own_incidents_on_the_portal(client, manager, reporter):
    incident = make_incident(reporter=reporter)
    assert roles.can_view(manager, incident)  # in the admin they may; the portal is for their own
    client.force_login(manager)

    assert client.get(detail_url(incident)).status_code == 404


@pytest.mark.parametrize("name", ["home", "report", "incident_list"])
def test_anonymous_users_are_sent_to_sign_in(client, name):
    url = reverse(f"portal:{name}")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_anonymous_users_cannot_open_act_on_or_download_from_an_incident(client, reporter):
    incident = make_incident(
        reporter=reporter, files=[SimpleUploadedFile("error.log", b"boom", content_type="text/plain")]
    )
    attachment = incident.attachments.get()

    for response in (
        client.get(detail_url(incident)),
        client.post(reverse("portal:incident_comment", args=[incident.reference]), {"body": "hi"}),
        client.post(action_url(incident, "cancel")),
        client.get(reverse("portal:attachment_download", args=[incident.reference, attachment.pk])),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    incident.refresh_from_db()
    assert incident.state == State.NEW



# --- Waiting for the reporter's answer --------------------------------------------------------------
def test_home_lists_every_incident_waiting_for_the_reporters_answer(signed_in, reporter, agent, resolver,
                                                                      network_category):
    """It showed 1 of 5 resolved incidents: only those among the five most recently updated."""
    waiting = [resolved_incident(reporter, agent, resolver, network_category) for _ in range(6)]
    for n in range(5):
        make_incident(reporter=reporter, summary=f"Newer problem {n}")  # pushes them off the recent five

    page = signed_in.get(reverse("portal:home"))

    listed = [i.reference for i in page.context["awaiting_confirmation"]]
    assert listed == [i.reference for i in waiting]
    assert "Waiting for your answer" in page.content.decode()


def test_home_counts_the_same_queries_for_1_and_50_incidents_waiting(signed_in, reporter):
    make_incident(reporter=reporter)
    Incident.objects.update(state=State.RESOLVED)
    url = reverse("portal:home")
    with_one = count_queries(signed_in, url)
    for _ in range(49):
        make_incident(reporter=reporter)
    Incident.objects.update(state=State.RESOLVED)
    assert len(signed_in.get(url).context["awaiting_confirmation"]) == 50
    assert count_queries(signed_in, url) == with_one


def test_after_yes_it_is_fixed_under_a_review_the_portal_stops_asking(signed_in, reporter, agent, resolver,
                                                                       network_category):
    incident = resolved_incident(reporter, agent, resolver, network_category)

    def review_pending(incident):
        return "A post-incident review must be completed first."

    CLOSE_GATES.append(review_pending)
    try:
        signed_in.post(action_url(incident, "close"))
        page = signed_in.get(reverse("portal:incident_detail", args=[incident.reference])).content.decode()
        home = signed_in.get(reverse("portal:home"))
    finally:
        CLOSE_GATES.remove(review_pending)

    assert "You confirmed the fix" in page and "post-incident" in page
    assert "Is the problem fixed?" not in page
    assert action_url(incident, "close") not in page
    assert action_url(incident, "reopen") in page  # it can still come back
    assert home.context["awaiting_confirmation"] == []
