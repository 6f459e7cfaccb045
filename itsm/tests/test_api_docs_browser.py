"""The API's interactive docs in a real browser: every operation listed, everything loaded from the
site itself (no CDN), within the Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from incidents.tests.test_browser import _screenshot_folder, browser, new_page, organisation, shot  # noqa: F401
from incidents.tests.test_browser_csp import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_list_every_operation_from_this_site_alone(browser, live_server, organisation):  # noqa: F811
    page = new_page(browser, live_server, "dana", height=1400)
    console = watch(page)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/api/v1/incidents/", "/api/v1/incidents/{reference}/transitions/{name}/",
            "/api/v1/known-errors/match/"} <= {p.replace("\u200b", "") for p in paths}
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    assert page.evaluate("window.__cspViolations") == [] and console == [], console
    shot(page, "api-docs", full_page=False)
