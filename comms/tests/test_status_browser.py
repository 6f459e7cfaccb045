"""The status page in Chromium: what the public sees (the README's screenshot), with no
Content-Security-Policy violation and without JavaScript; and 'me too' from the portal's banner.
Skipped with a reason when Chromium is absent (as every browser test)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comms.models import ComponentStatus, Stakeholder, StatusComponent, StatusGroup, Update
from incidents import roles
from incidents.models import Incident, Priority, Service
from incidents.tests.factories import UserFactory, make_incident
from incidents.tests.test_browser import (  # noqa: F401  (fixtures, the sign-in and the screenshots)
    _screenshot_folder,
    browser,
    new_page,
    organisation,
    shot,
)
from incidents.tests.test_browser_csp import visit, watch
from incidents.workflow import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_bad_morning(people: dict) -> Incident:
    """Services in groups, a P1 on the VPN with two public updates, a slow mailbox, the printers'
    planned upgrade set by hand, and two outages of the last weeks."""
    now = timezone.now()
    groups = [StatusGroup.objects.create(name=name, position=n)
              for n, name in enumerate(("Collaboration", "Network and remote access", "Office"), start=1)]
    layout = [("E-mail", 0, "Exchange Online mailboxes, shared mailboxes and calendars."),
              ("File shares", 0, "Departmental shares on the file servers."),
              ("VPN", 1, "Remote access for staff working from home or on the road."),
              ("Wi-Fi", 1, "Office wireless networks: Staff and Guest."),
              ("Printing", 2, "Office printers, scanners and the print queues.")]
    services = {}
    for position, (name, group, description) in enumerate(layout):
        services[name], _ = Service.objects.update_or_create(name=name, defaults={"description": description})
        StatusComponent.objects.create(service=services[name], group=groups[group], position=position)
    StatusComponent.objects.filter(service=services["Printing"]).update(
        override=ComponentStatus.DEGRADED, override_reason="Printer firmware upgrade on floor 3 until Friday.",
        override_at=now)

    def major(summary, service, priority, opened, state=State.IN_PROGRESS, resolved=None):
        incident = make_incident(reporter=people["reporter"], summary=summary)
        Incident.objects.filter(pk=incident.pk).update(
            is_major=True, service=services[service], priority=priority, state=state, opened_at=opened,
            resolved_at=resolved)
        return Incident.objects.get(pk=incident.pk)

    vpn = major("VPN down for all remote staff", "VPN", Priority.P1, now - timedelta(hours=2))
    for minutes, body in ((110, "We know that the VPN gateway is unreachable and are working on it with our "
                                "network provider. Staff in the office are not affected."),
                          (20, "The provider has replaced a failed line card. Connections are coming back; "
                               "next update within 30 minutes.")):
        update = Update.objects.create(incident=vpn, posted_by=people["agent"], body=body, to_status_page=True)
        Update.objects.filter(pk=update.pk).update(created_at=now - timedelta(minutes=minutes))
    major("Mail takes up to 20 minutes to arrive", "E-mail", Priority.P3, now - timedelta(minutes=45))
    past = major("Wi-Fi unavailable on floors 2 and 3", "Wi-Fi", Priority.P2, now - timedelta(days=6, hours=3),
                 state=State.CLOSED, resolved=now - timedelta(days=6))
    Update.objects.filter(pk=Update.objects.create(
        incident=past, posted_by=people["agent"], body="A faulty switch was replaced; Wi-Fi is back on every floor.",
        to_status_page=True).pk).update(created_at=now - timedelta(days=6))
    secret = major("Badge readers cloned at the front door", "File shares", Priority.P1, now - timedelta(hours=1))
    Incident.objects.filter(pk=secret.pk).update(confidential=True)
    from comms.status import invalidation

    invalidation._bump()
    return vpn


def test_the_public_sees_the_status_page_without_signing_in_or_javascript(
        browser, live_server, organisation):  # noqa: F811
    a_bad_morning(organisation)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    problems = watch(page)
    visit(page, live_server.url + "/status/", problems)

    assert page.locator(".status-summary").inner_text() == "Major System Outage"
    assert page.locator(".status-incident h3").first.inner_text().endswith("VPN down for all remote staff")
    assert page.locator(".status-component").count() == 5
    assert "Badge readers" not in page.content()
    assert "Printer firmware upgrade on floor 3" in page.locator(".status-components").last.inner_text()
    assert page.locator("form.status-follow").count() == 0  # nobody signed in
    assert problems == []
    shot(page, "status-page")

    # The past incidents open without a script: <details>.
    page.click("details.status-incident--past summary")
    assert page.locator("details.status-incident--past .status-update__body").is_visible()

    without_js = browser.new_context(java_script_enabled=False).new_page()
    without_js.goto(live_server.url + "/status/")
    assert without_js.locator(".status-incident").count() == 3  # two ongoing, one past
    context.close()


def test_a_portal_user_says_me_too_from_the_banner(browser, live_server, organisation):  # noqa: F811
    vpn = a_bad_morning(organisation)
    UserFactory(username="oscar", first_name="Oscar", last_name="Other", role=roles.REPORTER)
    page = new_page(browser, live_server, "oscar")
    problems = watch(page)
    visit(page, live_server.url + "/status/", problems)  # the snapshot is built and cached
    visit(page, live_server.url + reverse("portal:home"), problems)

    banner = page.locator(".status-banner")
    assert "2 major incidents are ongoing" in banner.inner_text()
    assert "Badge readers" not in banner.inner_text()
    banner.locator("form.status-follow button", has_text="Me too").first.click()
    page.wait_for_load_state()

    assert page.url.endswith(reverse("portal:home"))
    assert f"we will keep you posted on {vpn.reference}" in page.locator(".messages").inner_text()
    assert Stakeholder.objects.filter(incident=vpn, user__username="oscar", audience="external").exists()
    assert "counted among the affected" in page.locator(".status-banner").inner_text()
    assert "2 affected" in page.locator(".status-banner__incident").first.inner_text()
    assert problems == []
