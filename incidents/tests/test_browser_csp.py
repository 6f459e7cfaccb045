"""The Content-Security-Policy holds in a real browser: the portal's and the admin's own scripts
and styles satisfy it, so Chromium reports no violation on any page of the tour."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Incident
from knowledge_base.tests.factories import KnownErrorFactory

from .factories import make_incident
from .test_browser import browser, new_page, organisation  # noqa: F401  (fixtures and the sign-in)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def visit(page, url: str, problems: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations"))


def watch(page) -> list[str]:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.context.add_init_script(WATCH)
    return console


def test_no_page_of_the_portal_or_the_admin_breaks_the_policy(browser, live_server, organisation):  # noqa: F811
    people = organisation
    incident = make_incident(reporter=people["reporter"], summary="VPN drops every ten minutes")
    known_error = KnownErrorFactory(title="VPN drops when the laptop sleeps")
    problems: list[str] = []

    portal = new_page(browser, live_server, "rita")
    console = watch(portal)
    for url in (reverse("portal:home"), reverse("portal:report"), reverse("portal:incident_list"),
                reverse("portal:incident_detail", args=[incident.reference])):
        visit(portal, live_server.url + url, problems)
    # The report form's live suggestions run the portal's own script.
    portal.goto(live_server.url + reverse("portal:report"))
    portal.fill("input[name=summary]", "vpn keeps dropping")
    portal.wait_for_timeout(600)
    problems.extend(portal.evaluate("window.__cspViolations"))

    desk = new_page(browser, live_server, "dana")
    console += watch(desk)
    for url in (reverse("admin:index"), reverse("admin:incidents_incident_changelist"),
                reverse("admin:incidents_incident_change", args=[incident.pk]),
                reverse("admin:incidents_incident_queue"), reverse("admin:incidents_incident_add"),
                reverse("admin:incidents_incident_history", args=[incident.pk]),
                reverse("admin:knowledge_base_knownerror_change", args=[known_error.pk]),
                reverse("admin:incidents_slapolicy_changelist")):
        visit(desk, live_server.url + url, problems)

    assert problems == [] and console == [], problems + console
    assert Incident.objects.count() == 1


def test_the_policy_header_is_sent_and_forbids_inline_scripts(client, organisation):  # noqa: F811
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
