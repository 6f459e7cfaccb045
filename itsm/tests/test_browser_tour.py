"""Every role walks the demo (`seed_demo`) end to end in a real browser, through the screens a
desk meets every day, and the README's tour pictures are taken on the way (`ITSM_UPDATE_SCREENSHOTS=1`
writes them to docs/screenshots/). No page breaks the Content-Security-Policy.

One test, one seeding: the demo takes seconds to build, and each role reads what the others did.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from compliance.audit.verify import verify as verify_audit
from incidents.demo_data import DEMO_PASSWORD
from incidents.models import Incident
from incidents.tests.test_browser import _screenshot_folder, browser, shot  # noqa: F401 (fixtures, pictures)
from incidents.tests.test_browser_csp import watch
from incidents.workflow import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(chromium, live_server, username: str, problems: list[str], *, width: int = 1280, height: int = 900):
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems += watch(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit], main input[type=submit], #content input[type=submit]")
    page.wait_for_load_state()
    return page


def go(page, live_server, url: str, problems: list[str]) -> None:
    page.goto(live_server.url + url)
    page.wait_for_load_state("networkidle")
    problems.extend(f"{url}: {v}" for v in page.evaluate("window.__cspViolations"))


def test_every_role_walks_the_demo_end_to_end(browser, live_server, settings):  # noqa: F811
    settings.ITSM_FOUR_EYES_PUBLISHING = True
    call_command("seed_demo", "--quiet")
    problems: list[str] = []

    # --- The reporter: the portal's home, a suggestion read in full while reporting, the report.
    rita = signed_in(browser, live_server, "rita", problems)
    go(rita, live_server, reverse("portal:home"), problems)
    common = rita.locator("#kb-suggestions-title").locator("xpath=..")
    assert common.locator("li").count() >= 1, "the home lists common problems and their fixes"
    shot(rita, "tour-portal-home")
    go(rita, live_server, reverse("portal:report"), problems)
    rita.locator("input[name=summary]").press_sequentially("My VPN keeps disconnecting", delay=15)
    suggestion = rita.locator("#kb-deflection li.kb-suggestion").first
    suggestion.wait_for(state="visible")
    assert "VPN" in suggestion.inner_text()
    shot(rita, "tour-portal-suggestions")
    with rita.context.expect_page() as opened:
        suggestion.locator("button:has-text('Read it in full')").click()
    answer = opened.value
    answer.wait_for_load_state()
    assert "This solved it" in answer.content() and "VPN" in answer.title() + answer.content()
    shot(answer, "tour-portal-answer")
    answer.close()
    rita.fill("textarea[name=description]", "It drops every few minutes since this morning, at home.")
    rita.select_option("select[name=category]", label="Network")
    rita.select_option("select[name=service]", label="VPN")
    rita.check("input[name=people_affected][value=me]")
    rita.check("input[name=can_keep_working][value=slowly]")
    rita.click("main button:has-text('Send')")
    rita.wait_for_url("**/portal/incidents/INC-*/")
    reported = Incident.objects.get(summary="My VPN keeps disconnecting")
    assert reported.reporter.username == "rita" and reported.state == State.NEW

    # --- The desk agent: the staff home, then triage with the known error's panel and runbook.
    dana = signed_in(browser, live_server, "dana", problems)
    go(dana, live_server, reverse("admin:index"), problems)
    assert "New and unassigned" in dana.content()
    shot(dana, "tour-admin-home-desk")
    go(dana, live_server, reverse("admin:incidents_incident_change", args=[reported.pk]), problems)
    panel = dana.locator("#known-errors")
    assert panel.is_visible() and "VPN" in panel.inner_text()
    shot(dana, "tour-admin-triage")
    panel.locator("a:has-text('Apply')").first.click()
    dana.wait_for_load_state()
    reply = dana.locator("textarea").first
    assert reply.input_value().strip(), "the public reply is shown before it is sent, to edit"
    shot(dana, "tour-admin-known-error-reply")
    dana.locator("input[type=submit][value^='Apply'], button:has-text('Apply')").last.click()
    dana.wait_for_load_state()
    reported.refresh_from_db()
    assert reported.known_error_id is not None

    # --- The resolver: the team queue at 1280 px with its SLA column, and an incident an alert opened.
    nick = signed_in(browser, live_server, "nick", problems)
    go(nick, live_server, reverse("admin:incidents_incident_queue"), problems)
    headers = nick.locator("#result_list thead th").all_inner_texts()
    assert any("SLA" in header.upper() for header in headers), headers
    assert nick.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the queue fits 1280 px"
    shot(nick, "tour-admin-queue")
    alerted = Incident.objects.filter(channel="monitoring", alert_group__isnull=False).order_by("pk").first()
    go(nick, live_server, reverse("admin:incidents_incident_change", args=[alerted.pk]), problems)
    assert "Monitoring alert" in nick.content()
    shot(nick, "tour-admin-alert")

    # --- The incident manager: the breached P2's timeline, then an update to its stakeholders.
    maria = signed_in(browser, live_server, "maria", problems, height=1200)
    go(maria, live_server, reverse("admin:index"), problems)
    assert re.search(r"MTT[AR]", maria.content())
    breached = Incident.objects.get(summary__startswith="Warehouse scanners")
    go(maria, live_server, reverse("admin:incidents_incident_change", args=[breached.pk]), problems)
    timeline = maria.locator("#timeline").inner_text().lower()
    assert "breach" in timeline and "page" in timeline
    shot(maria, "tour-admin-breached")
    go(maria, live_server, reverse("admin:comms_update_add") + f"?incident={breached.reference}", problems)
    assert breached.summary in maria.locator("textarea[name=body]").input_value()
    shot(maria, "tour-admin-post-update")
    maria.check("input[name=to_internal]")
    maria.click("input[name=_send]")
    maria.wait_for_load_state()
    assert breached.updates.count() == 1

    # --- The security team: the phishing incident's response, containment, evidence and its GDPR clock.
    sam = signed_in(browser, live_server, "sam", problems, height=1600)
    phishing = Incident.objects.get(summary__startswith="Phishing: credentials entered")
    assert phishing.security
    go(sam, live_server, reverse("admin:incidents_incident_change", args=[phishing.pk]), problems)
    content = sam.content()
    assert "Containment (" in content and "Evidence" in content and "GDPR" in content
    shot(sam, "tour-admin-security")
    # The desk may not read it: the security team, the managers and named participants only.
    go(dana, live_server, reverse("admin:incidents_incident_change", args=[phishing.pk]), problems)
    assert phishing.summary not in dana.content()

    # --- The incident manager again: SOP conformance over the last 30 days, the most-missed steps.
    go(maria, live_server, reverse("admin:compliance_conformancereport_changelist"), problems)
    assert "Most-missed steps" in maria.content()
    shot(maria, "tour-admin-conformance")

    # --- The auditor: the SLA figures, and the audit trail that proves the record was not edited.
    alex = signed_in(browser, live_server, "alex", problems, height=1100)
    go(alex, live_server, reverse("admin:compliance_slametrics_changelist"), problems)
    assert "MTTA" in alex.content()
    shot(alex, "tour-admin-metrics")
    go(alex, live_server, reverse("admin:compliance_auditentry_changelist"), problems)
    assert "audit" in alex.content().lower()
    shot(alex, "tour-admin-audit")

    assert problems == [], problems
    # Everything the demo and the walk wrote is still what the audit chain recorded: the demo's
    # back-dating of its stories happens before each commit, so the chain holds the moved times.
    report = verify_audit()
    assert report.ok and report.entries > 400, report.broken
