"""'Me too' from the status page and the portal's banner: a signed-in user follows an ongoing public
major incident they did not report (a POST with its CSRF token), is counted among the affected,
hears its external updates, and may unfollow; the banner shows the ongoing ones on every portal
page at no query of its own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from comms import services, stakeholders
from comms.models import Audience, Stakeholder
from comms.status import invalidation, selectors
from incidents.models import Incident, Priority, Service
from incidents.tests.factories import UserFactory, make_incident
from incidents.workflow import State

from .test_status_page import PAGE, _fresh_snapshot, major  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
HOME = reverse("portal:home")


@pytest.fixture
def outage(reporter) -> Incident:
    return major(Service.objects.create(name="VPN"), priority=Priority.P1, reporter=reporter,
                 summary="VPN down for everyone")


def follow_url(incident: Incident, action: str = "follow") -> str:
    return reverse(f"status:{action}", args=[incident.reference])


def test_me_too_follows_the_incident_and_counts_the_user_among_the_affected(other_reporter, outage,
                                                                             django_capture_on_commit_callbacks):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(other_reporter)
    page = browser.get(PAGE)
    assert page.context["snapshot"].ongoing[0].affected == 1  # its reporter
    token = page.cookies["csrftoken"].value

    assert browser.post(follow_url(outage)).status_code == 403  # no CSRF token, no follow
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(follow_url(outage), {"csrfmiddlewaretoken": token, "next": HOME})

    assert response.status_code == 302 and response["Location"] == HOME
    row = Stakeholder.objects.get(incident=outage, user=other_reporter)
    assert (row.audience, row.added_by) == (Audience.EXTERNAL, other_reporter)
    assert "oscar" in {r.address.split("@")[0] for r in stakeholders.audience(outage) if r.audience == "external"}
    page = browser.get(PAGE)
    assert page.context["snapshot"].ongoing[0].affected == 2
    assert "Unfollow" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        browser.post(follow_url(outage, "unfollow"), {"csrfmiddlewaretoken": token})
    assert not Stakeholder.objects.filter(incident=outage, user=other_reporter).exists()
    assert browser.get(PAGE).context["snapshot"].ongoing[0].affected == 1


def test_the_affected_are_the_reporter_the_followers_and_the_reporters_of_its_children(reporter, outage):
    follower, child_reporter = UserFactory(), UserFactory()
    services.follow(incident=outage, user=follower)
    services.follow(incident=outage, user=reporter)  # its reporter is counted already
    child = make_incident(reporter=child_reporter, summary="No VPN here either")
    Incident.objects.filter(pk=child.pk).update(parent=outage)
    also = make_incident(reporter=follower, summary="Mine neither")  # counted once
    Incident.objects.filter(pk=also.pk).update(parent=outage)

    assert selectors.build().ongoing[0].affected == 3
    assert Stakeholder.objects.filter(incident=outage).count() == 1


def test_following_twice_or_a_stakeholder_already_adds_nothing(other_reporter, outage):
    assert services.follow(incident=outage, user=other_reporter) is not None
    assert services.follow(incident=outage, user=other_reporter) is None
    assert Stakeholder.objects.filter(incident=outage, user=other_reporter).count() == 1


def test_unfollowing_leaves_a_stakeholder_the_desk_added(other_reporter, outage, agent):
    services.add_stakeholder(incident=outage, by=agent, audience="external", user=other_reporter)
    assert services.unfollow(incident=outage, user=other_reporter) is False
    assert Stakeholder.objects.filter(incident=outage, user=other_reporter).exists()


@pytest.mark.parametrize("kind", ["confidential", "not major", "resolved"])
def test_only_an_ongoing_incident_of_the_status_page_may_be_followed(client, other_reporter, reporter, kind):
    fields = {"confidential": {"confidential": True}, "not major": {"is_major": False},
              "resolved": {"state": State.RESOLVED}}[kind]
    incident = major(None, reporter=reporter)
    Incident.objects.filter(pk=incident.pk).update(**fields)
    incident.refresh_from_db()
    client.force_login(other_reporter)

    assert client.post(follow_url(incident)).status_code == 404  # nothing said of why: it may be secret
    with pytest.raises(ValidationError, match="is not an ongoing incident of the status page"):
        services.follow(incident=incident, user=other_reporter)
    assert not Stakeholder.objects.filter(incident=incident).exists()


def test_someone_signed_out_is_sent_to_sign_in_and_follows_nothing(client, outage):
    response = client.post(follow_url(outage))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not Stakeholder.objects.exists()


# --- the portal's banner ----------------------------------------------------------------------------
def test_the_portal_home_shows_the_banner_with_me_too(client, other_reporter, outage):
    selectors.snapshot()
    client.force_login(other_reporter)
    page = client.get(HOME).content.decode()
    assert "A major incident is ongoing" in page and "VPN down for everyone" in page
    assert f'action="{follow_url(outage)}"' in page and "Me too" in page
    assert 'href="/status/#' in page


def test_the_banner_costs_no_query_and_a_cold_cache_is_built_by_a_task(client, other_reporter, outage,
                                                                       django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(other_reporter)
    client.get(HOME)  # the first request's own queries (the session, the user)
    invalidation._bump()  # stale again, and no refresh asked for yet
    with CaptureQueriesContext(connection) as cold, django_capture_on_commit_callbacks() as owed:
        page = client.get(HOME).content.decode()
    assert "A major incident is ongoing" not in page and len(owed) == 1  # the task that builds it
    with django_capture_on_commit_callbacks() as again:
        client.get(HOME)
    assert again == []  # asked once, however many pages ask

    owed[0]()  # the task runs
    with CaptureQueriesContext(connection) as warm:
        page = client.get(HOME).content.decode()
    assert "A major incident is ongoing" in page
    assert len(warm.captured_queries) == len(cold.captured_queries)


def test_the_banner_is_not_on_the_status_page_itself_nor_without_ongoing_incidents(client, reporter, outage):
    selectors.snapshot()
    client.force_login(reporter)
    assert "status-banner" not in client.get(PAGE).content.decode()
    Incident.objects.filter(pk=outage.pk).update(state=State.RESOLVED)
    invalidation._bump()
    selectors.snapshot()
    assert "status-banner" not in client.get(HOME).content.decode()


def test_its_reporter_sees_no_me_too_for_their_own_incident(client, reporter, outage):
    selectors.snapshot()
    client.force_login(reporter)
    page = client.get(HOME).content.decode()
    assert "A major incident is ongoing" in page and "Me too" not in page and "counted among the affected" in page
