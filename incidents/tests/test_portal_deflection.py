"""Deflection on the portal: before reporting, users see public known errors and articles that may
solve their problem, with or without script, and "This solved it" opens no incident."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident
from knowledge_base.models import Deflection
from knowledge_base.tests.factories import ArticleFactory, KnownErrorFactory
from knowledge_base.workflow import State as KbState

pytestmark = pytest.mark.django_db
SUGGEST = reverse("portal:kb_suggest")
DEFLECT = reverse("portal:deflect")
REPORT = reverse("portal:report")


@pytest.fixture
def signed_in(client, reporter):
    client.force_login(reporter)
    return client


@pytest.fixture
def printer_items(db):
    return {
        "public": KnownErrorFactory(title="Printer queue stuck after driver update", public=True,
                                    symptoms="Print jobs stay queued on the floor printer.",
                                    workaround="Restart the **print spooler**."),
        "internal": KnownErrorFactory(title="Printer queue stuck on the print server", public=False,
                                      symptoms="Print jobs stay queued on the print server.",
                                      workaround="Log on to the print server and purge the queue."),
        "draft": KnownErrorFactory(title="Printer queue stuck draft", public=True, state=KbState.DRAFT,
                                   symptoms="Print jobs stay queued."),
        "article": ArticleFactory(title="How to clear a stuck printer queue", audience="public",
                                  body="Open the printer queue and cancel every job."),
        "internal_article": ArticleFactory(title="Printer queue internals", audience="internal",
                                           body="Printer queue stuck: the spooler service explained."),
    }


def test_the_suggestion_endpoint_returns_only_public_published_items(signed_in, printer_items):
    response = signed_in.get(SUGGEST, {"q": "printer queue stuck"})
    assert response.status_code == 200
    found = {(r["kind"], r["id"]) for r in response.json()["results"]}
    assert found == {("known_error", printer_items["public"].pk), ("article", printer_items["article"].pk)}


def test_the_suggestion_endpoint_escapes_titles_and_excerpts(signed_in):
    KnownErrorFactory(title="Printer <b>queue</b> stuck", workaround="Use <script>x()</script> nothing", public=True)
    results = signed_in.get(SUGGEST, {"q": "printer queue stuck"}).json()["results"]
    assert results and "<" not in results[0]["title"] + results[0]["excerpt"]
    assert "&lt;b&gt;" in results[0]["title"]


def test_the_suggestion_endpoint_requires_login(client, printer_items):
    response = client.get(SUGGEST, {"q": "printer queue stuck"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_an_empty_query_returns_no_suggestions(signed_in, printer_items):
    assert signed_in.get(SUGGEST).json() == {"results": []}


def test_check_for_known_solutions_without_script_keeps_what_was_typed_and_opens_nothing(
        signed_in, printer_items, network_category):
    typed = {"summary": "Printer queue stuck", "description": "My print jobs stay queued since 9:00.",
             "category": str(network_category.pk), "service": "", "people_affected": "team",
             "can_keep_working": "slowly", "check": "1"}
    response = signed_in.post(REPORT, typed)
    assert response.status_code == 200
    assert not Incident.objects.exists()
    form = response.context["form"]
    assert not form.is_bound
    assert {name: form[name].value() for name in ("summary", "description", "people_affected")} == {
        "summary": "Printer queue stuck", "description": "My print jobs stay queued since 9:00.",
        "people_affected": "team"}
    page = response.content.decode()
    assert 'value="Printer queue stuck"' in page and "My print jobs stay queued since 9:00." in page
    assert f'<option value="{network_category.pk}" selected>' in page
    shown = {s.id for s in response.context["kb_suggestions"]}
    assert printer_items["public"].pk in shown and printer_items["internal"].pk not in shown
    assert "This solved it" in page and "Printer queue stuck on the print server" not in page


def test_the_report_form_offers_the_check_button_and_the_script(signed_in):
    page = signed_in.get(REPORT).content.decode()
    assert 'name="check"' in page
    assert "itsm/kb_suggest.js" in page
    assert reverse("portal:kb_suggest") in page


def test_this_solved_it_records_a_deflection_and_opens_no_incident(signed_in, reporter, printer_items):
    item = printer_items["public"]
    response = signed_in.post(DEFLECT, {"kind": "known_error", "id": item.pk, "text": "printer queue stuck"})
    assert response.status_code == 200
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.known_error, deflection.text) == (reporter, item, "printer queue stuck")
    assert not Incident.objects.exists()
    page = response.content.decode()
    assert "No incident was opened" in page and "<strong>print spooler</strong>" in page


def test_an_article_can_solve_it_too(signed_in, printer_items):
    signed_in.post(DEFLECT, {"kind": "article", "id": printer_items["article"].pk, "text": "queue"})
    assert Deflection.objects.get().article == printer_items["article"]


@pytest.mark.parametrize(("kind", "which"), [
    ("known_error", "internal"), ("known_error", "draft"), ("article", "internal_article"), ("nonsense", "public"),
])
def test_items_users_may_not_see_cannot_be_credited(signed_in, printer_items, kind, which):
    response = signed_in.post(DEFLECT, {"kind": kind, "id": printer_items[which].pk, "text": "x"})
    assert response.status_code == 404
    assert not Deflection.objects.exists()


def test_this_solved_it_requires_login_post_and_a_csrf_token(client, reporter, printer_items):
    item = printer_items["public"]
    assert client.post(DEFLECT, {"kind": "known_error", "id": item.pk}).status_code == 302
    client.force_login(reporter)
    assert client.get(DEFLECT).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reporter)
    assert strict.post(DEFLECT, {"kind": "known_error", "id": item.pk, "text": "x"}).status_code == 403
    assert not Deflection.objects.exists()
