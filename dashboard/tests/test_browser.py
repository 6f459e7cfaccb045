"""The staff home in a real browser, as an incident manager: the README's screenshot of it, and
no Content-Security-Policy violation from its stylesheet or its SVG charts. Skipped with a reason
when Chromium is absent (as every browser test: `incidents/tests/test_browser.py`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import roles
from incidents.models import Incident, Team
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


def a_busy_week(people: dict) -> None:
    """A desk with something in every panel: waiting, breached, at risk, on hold, P1/P2 with
    updates due, a major incident, and a month of resolved incidents."""
    now = timezone.now()
    reporter, nick = people["reporter"], people["resolver"]
    teams = list(Team.objects.order_by("pk"))
    summaries = ["Core switch down in building B", "VPN drops every few minutes", "Payroll export fails",
                 "Printer on floor 3 jams", "Mailbox full for the sales team", "Laptop will not boot"]
    for n in range(36):
        incident = make_incident(reporter=reporter, summary=summaries[n % len(summaries)])
        opened = now - timedelta(days=n % 28, hours=n % 7)
        fields = {"opened_at": opened, "priority": 1 + n % 4, "team": teams[n % len(teams)]}
        if n % 3 == 0:  # resolved in the past month
            fields.update(state=State.CLOSED, responded_at=opened + timedelta(minutes=10 + 5 * n),
                          resolved_at=opened + timedelta(hours=2 + n % 9), closed_at=opened + timedelta(days=1),
                          resolve_by=opened + timedelta(hours=8))
        elif n % 3 == 1:
            fields.update(state=State.IN_PROGRESS, assignee=nick, responded_at=opened + timedelta(minutes=20),
                          resolve_by=now - timedelta(minutes=5) if n % 2 else now + timedelta(hours=1),
                          at_risk_from=now - timedelta(minutes=10), update_due_at=now + timedelta(minutes=n))
        else:
            fields.update(respond_by=now - timedelta(minutes=n) if n % 4 == 2 else now + timedelta(minutes=30),
                          response_breached=n % 4 == 2)
        fields["is_major"] = n == 4
        Incident.objects.filter(pk=incident.pk).update(**fields)


def test_the_managers_staff_home_with_its_charts(browser, live_server, organisation):  # noqa: F811
    UserFactory(username="maria", first_name="Maria", last_name="Manager", role=roles.INCIDENT_MANAGER)
    a_busy_week(organisation)

    page = new_page(browser, live_server, "maria", height=1400)
    problems = watch(page)
    visit(page, live_server.url + reverse("admin:index"), problems)
    assert page.locator("#staff-home").is_visible()
    assert page.locator("#desk-charts svg.chart").count() == 2
    assert page.locator("#desk-metrics tbody tr").count() == 5  # P1-P4 and all priorities
    # The admin's own list of models is there, folded.
    assert page.locator("details.app-index").count() == 1
    assert problems == []
    shot(page, "admin-dashboard")

    # A figure is a link to its list.
    page.click("#desk-sla li.desk-figure >> nth=0")
    page.wait_for_load_state()
    assert "/admin/incidents/incident/" in page.url and "sla=response_breached" in page.url
