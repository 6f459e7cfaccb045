"""Public answers on the portal: a suggestion can be read in full, formatted, before the reporter
says it solved the problem, and the home's "Common problems and fixes" lists the public answers that
solved the most problems lately (only public, published ones)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge_base import services as kb_services
from knowledge_base.models import Deflection
from knowledge_base.tests.factories import ArticleFactory, KnownErrorFactory
from knowledge_base.workflow import State as KbState

pytestmark = pytest.mark.django_db
HOME = reverse("portal:home")


@pytest.fixture
def signed_in(client, reporter):
    client.force_login(reporter)
    return client


def answer_url(kind: str, item) -> str:
    return reverse("portal:answer", args=[kind, item.pk])


def solved(item, times: int, user=None) -> None:
    for n in range(times):
        if hasattr(item, "workaround"):
            kb_services.record_deflection(user, f"problem {n}", known_error=item)
        else:
            kb_services.record_deflection(user, f"problem {n}", article=item)


# --- reading a suggestion in full ------------------------------------------------------------------
def test_a_public_answer_reads_in_full_formatted(signed_in):
    item = KnownErrorFactory(title="Printer queue stuck", public=True, symptoms="Jobs stay *queued*.",
                             workaround="1. Open Services\n2. Restart the **print spooler**<script>x()</script>")
    page = signed_in.get(answer_url("known_error", item)).content.decode()
    assert "Jobs stay <em>queued</em>." in page
    assert "<li>Open Services</li>" in page and "<li>Restart the <strong>print spooler</strong>" in page
    assert "<script>x()</script>" not in page
    assert f'action="{reverse("portal:deflect")}"' in page and "This solved it" in page


@pytest.mark.parametrize("make", [
    lambda: ("known_error", KnownErrorFactory(public=False)),
    lambda: ("known_error", KnownErrorFactory(public=True, state=KbState.DRAFT)),
    lambda: ("article", ArticleFactory(audience="internal")),
    lambda: ("article", ArticleFactory(audience="public", state=KbState.RETIRED)),
    lambda: ("runbook", ArticleFactory(audience="public")),
])
def test_internal_unpublished_or_unknown_answers_are_not_found(signed_in, make):
    kind, item = make()
    assert signed_in.get(answer_url(kind, item)).status_code == 404


def test_reading_it_from_the_report_carries_the_typed_text_to_this_solved_it(signed_in, reporter):
    article = ArticleFactory(title="How to clear a stuck printer queue", audience="public",
                             body="Open the printer queue and **cancel** every job.")
    page = signed_in.post(answer_url("article", article), {"text": "my printer queue is stuck"}).content.decode()
    assert "<strong>cancel</strong>" in page
    assert 'name="text" value="my printer queue is stuck"' in page
    signed_in.post(reverse("portal:deflect"), {"kind": "article", "id": article.pk, "text": "my printer queue is stuck"})
    assert Deflection.objects.get().text == "my printer queue is stuck"


def test_suggestions_offer_to_read_each_in_full(signed_in):
    item = KnownErrorFactory(title="Printer queue stuck after driver update", public=True,
                             symptoms="Print jobs stay queued.", workaround="Restart the spooler.")
    results = signed_in.get(reverse("portal:kb_suggest"), {"q": "printer queue stuck"}).json()["results"]
    assert results[0]["url"] == answer_url("known_error", item)
    page = signed_in.post(reverse("portal:report"), {"summary": "printer queue stuck", "check": "1"}).content.decode()
    assert f'action="{answer_url("known_error", item)}" target="_blank"' in page
    assert "Read it in full" in page


# --- the home's common problems and fixes ----------------------------------------------------------
def test_the_home_lists_the_most_used_public_answers(signed_in):
    rare = KnownErrorFactory(title="Teams camera is black", public=True)
    common = ArticleFactory(title="How to reset your password", audience="public")
    middle = KnownErrorFactory(title="Outlook asks for the password in a loop", public=True)
    internal = KnownErrorFactory(title="Mail relay queue full", public=False)
    hidden_article = ArticleFactory(title="Runbook: restarting the relay", audience="internal")
    solved(rare, 1)
    solved(common, 5)
    solved(middle, 3)
    solved(internal, 9)
    solved(hidden_article, 9)
    response = signed_in.get(HOME)
    assert [a["title"] for a in response.context["common_answers"]] == [
        "How to reset your password", "Outlook asks for the password in a loop", "Teams camera is black"]
    page = response.content.decode()
    assert f'href="{answer_url("article", common)}"' in page
    assert "Mail relay queue full" not in page and "Runbook: restarting the relay" not in page
    assert "will appear here" not in page


def test_a_new_portal_offers_the_newest_public_answers(signed_in):
    ArticleFactory(title="How to connect to the guest Wi-Fi", audience="public")
    response = signed_in.get(HOME)
    assert [a["title"] for a in response.context["common_answers"]] == ["How to connect to the guest Wi-Fi"]


def test_the_home_says_so_when_there_is_no_answer_at_all(signed_in):
    page = signed_in.get(HOME).content.decode()
    assert "There are no published answers yet." in page


def test_the_home_costs_the_same_queries_for_1_and_for_5_answers(signed_in, reporter):
    solved(KnownErrorFactory(title="Answer 0", public=True), 2, user=reporter)
    signed_in.get(HOME)  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        assert len(signed_in.get(HOME).context["common_answers"]) == 1
    for n in range(1, 8):
        item = KnownErrorFactory(title=f"Answer {n}", public=True) if n % 2 else ArticleFactory(
            title=f"Answer {n}", audience="public")
        solved(item, n, user=reporter)
    with CaptureQueriesContext(connection) as many:
        assert len(signed_in.get(HOME).context["common_answers"]) == 5
    assert len(one.captured_queries) == len(many.captured_queries)
