"""The lifecycle acted out in a real browser (Debian's Chromium driven by Playwright).

The screenshots these tests take are the ones in the README's tour. Skipped with a reason when
Chromium is absent; a failure under ITSM_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from incidents import roles
from incidents.models import Category, Incident
from incidents.workflow import State

from .factories import CategoryFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# `make screenshots` refreshes the README's pictures; otherwise they go to a temporary folder.
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct-horse-battery"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
        # With Playwright's event loop running, Django keys its connections by that context, so
        # the test's ORM calls opened a connection of their own: close it here, where it is seen,
        # or PostgreSQL refuses to drop the test database at the end of the run.
        from django.db import connections

        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def new_page(browser, live_server, username: str, *, width: int = 1280, height: int = 860):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit], main input[type=submit], #content input[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture(autouse=True)
def _screenshot_folder(tmp_path, monkeypatch):
    folder = README_SCREENSHOTS if os.environ.get("ITSM_UPDATE_SCREENSHOTS") == "1" else tmp_path
    monkeypatch.setattr(f"{__name__}._SCREENSHOTS", folder, raising=False)


_SCREENSHOTS = README_SCREENSHOTS


def shot(page, name: str, *, full_page: bool = True) -> None:
    _SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = _SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000, f"{name}.png looks blank"


@pytest.fixture
def organisation(db):
    desk = TeamFactory(name="Service Desk", slug="service-desk", tier=1)
    network = TeamFactory(name="Network", slug="network", tier=2)
    CategoryFactory(name="Network", default_team=network)
    CategoryFactory(name="Hardware", default_team=desk)
    ServiceFactory(name="VPN")
    return {
        "reporter": UserFactory(username="rita", first_name="Rita", last_name="Reporter", role=roles.REPORTER),
        "agent": UserFactory(username="dana", first_name="Dana", last_name="Desk", role=roles.DESK_AGENT, team=desk),
        "resolver": UserFactory(username="nick", first_name="Nick", last_name="Network", role=roles.RESOLVER,
                                team=network),
    }


def test_reporter_submits_the_portal_form_and_sees_the_incident(browser, live_server, organisation):
    page = new_page(browser, live_server, "rita")
    page.goto(f"{live_server.url}/portal/report/")
    page.fill("input[name=summary]", "VPN drops every few minutes")
    page.fill("textarea[name=description]", "Since this morning the VPN disconnects every 5 minutes at home.")
    page.select_option("select[name=category]", label="Network")
    page.select_option("select[name=service]", label="VPN")
    page.check("input[name=people_affected][value=me]")
    page.check("input[name=can_keep_working][value=slowly]")
    shot(page, "portal-report")
    page.click("main button:has-text('Send')")
    page.wait_for_url("**/portal/incidents/INC-*/")

    incident = Incident.objects.get()
    assert incident.reference in page.content()
    assert (incident.summary, incident.channel, incident.priority) == ("VPN drops every few minutes", "portal", 4)
    shot(page, "portal-detail")

    # The same page on a phone.
    phone = new_page(browser, live_server, "rita", width=390, height=844)
    phone.goto(f"{live_server.url}/portal/incidents/")
    assert incident.reference in phone.content()
    shot(phone, "portal-list-phone")


def test_the_whole_lifecycle_through_admin_buttons_and_the_portal(browser, live_server, organisation):
    from incidents import services

    incident = services.incident_create(
        reporter=organisation["reporter"], summary="Cannot reach the file share from Wi-Fi",
        description="Mapped drive S: times out on the office Wi-Fi.", channel="phone",
        category=None, impact="medium", urgency="medium",
    )

    # Tier 1 triages in the admin by clicking the transition button.
    desk = new_page(browser, live_server, "dana")
    desk.goto(f"{live_server.url}/admin/incidents/incident/")
    assert incident.reference in desk.content()
    shot(desk, "admin-changelist")
    desk.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")
    shot(desk, "admin-change-form")
    desk.click("a[data-transition=triage]")
    desk.select_option("select[name=category]", label="Network")
    desk.fill("textarea[name=reason], input[name=reason]", "Wi-Fi only; wired works")
    shot(desk, "admin-transition-form")
    desk.click("input[name=_transition]")
    desk.wait_for_load_state()
    incident.refresh_from_db()
    assert incident.state == State.TRIAGED and incident.team.name == "Network"

    # Tier 2 claims it from the team queue, then resolves it.
    tier2 = new_page(browser, live_server, "nick")
    tier2.goto(f"{live_server.url}/admin/incidents/incident/queue/")
    assert incident.reference in tier2.content()
    shot(tier2, "admin-queue")
    tier2.click(f"tr[data-reference='{incident.reference}'] input[type=submit]")
    tier2.wait_for_load_state()
    incident.refresh_from_db()
    assert incident.state == State.IN_PROGRESS and incident.assignee.username == "nick"
    tier2.goto(f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/")
    tier2.click("a[data-transition=resolve]")
    tier2.select_option("select[name=resolution_code]", value="fixed")
    tier2.fill("textarea[name=resolution_notes]", "The access point's VLAN was missing the file-share route.")
    tier2.click("input[name=_transition]")
    tier2.wait_for_load_state()
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED

    # The reporter confirms the fix in the portal.
    reporter = new_page(browser, live_server, "rita")
    reporter.goto(f"{live_server.url}/portal/incidents/{incident.reference}/")
    shot(reporter, "portal-confirm")
    reporter.click("button:has-text('Yes, it is fixed')")
    reporter.wait_for_load_state()
    incident.refresh_from_db()
    assert incident.state == State.CLOSED
    reasons = list(incident.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[0] == "Opened via Phone"
    assert reasons[1:] == ["Triage: Wi-Fi only; wired works", "Claim", "Resolve", "Close"]


def test_suggestions_appear_while_typing_and_this_solved_it_opens_no_incident(browser, live_server, organisation):
    from knowledge_base.matching import vocabulary
    from knowledge_base.models import Deflection
    from knowledge_base.tests.factories import KnownErrorFactory

    public = KnownErrorFactory(title="Printer queue stuck after driver update", public=True,
                               symptoms="Print jobs stay queued on the floor printer.",
                               workaround="Restart the print spooler from the printer menu.")
    KnownErrorFactory(title="Printer queue stuck on the print server", public=False,
                      symptoms="Print jobs stay queued on the print server.",
                      workaround="Purge the queue on the print server.")
    vocabulary.clear()  # the matcher's per-process word list, shared with the live server's thread

    page = new_page(browser, live_server, "rita")
    page.goto(f"{live_server.url}/portal/report/")
    suggestions = page.locator("#kb-deflection li.kb-suggestion")
    assert page.locator("#kb-deflection").is_hidden()
    page.locator("input[name=summary]").press_sequentially("printer queue stuck", delay=20)
    suggestions.first.wait_for(state="visible")
    assert suggestions.count() == 1  # the internal known error is never offered to a reporter
    assert public.title in suggestions.first.inner_text()
    shot(page, "portal-deflection")

    suggestions.first.locator("button:has-text('This solved it')").click()
    page.wait_for_url("**/portal/report/solved/")
    assert "Restart the print spooler" in page.content()
    deflection = Deflection.objects.get()
    assert (deflection.known_error, deflection.user.username) == (public, "rita")
    assert "printer queue stuck" in deflection.text
    assert not Incident.objects.exists()


def test_the_admin_lists_fit_a_1280_pixel_screen(browser, live_server, organisation):
    """With the navigation and the filters open, every column of the incident list and of the team
    queue is on the screen: nothing is pushed off to the right of a scrolling table."""
    from incidents import services

    for n in range(5):
        incident = services.incident_create(
            reporter=organisation["reporter"], category=Category.objects.get(name="Network"),
            summary=f"The VPN drops every few minutes for everyone on the third floor ({n})",
            impact="high", urgency="medium")
        if n % 2:
            services.transition(incident=incident, user=organisation["resolver"], name="claim")
    page = new_page(browser, live_server, "nick", width=1280)
    for path in ("/admin/incidents/incident/", "/admin/incidents/incident/queue/"):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("(() => { const r = document.querySelector('#changelist .results');"
                                 " return r.scrollWidth - r.clientWidth; })()")
        assert overflow <= 0, f"{path}: the table is {overflow} px wider than the screen leaves it"
    shot(page, "admin-queue-1280", full_page=False)
