"""The incident change page suggests known errors that look like the incident and applies one with a
button; the changelist filters by triage decision and by known error."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import known_errors
from incidents.models import Incident, TriageDecision
from knowledge_base.matching import vocabulary
from knowledge_base.tests.factories import KnownErrorFactory
from knowledge_base.workflow import State as KbState

from .factories import make_incident

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:incidents_incident_changelist")


def change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


@pytest.fixture
def printer_error(db):
    return KnownErrorFactory(title="Printer queue stuck after driver update",
                             symptoms="Print jobs stay queued on the floor printer after the driver update.",
                             workaround="Restart the **print spooler** service.<script>alert(1)</script>")


@pytest.fixture
def incident(reporter, network_category):
    return make_incident(reporter=reporter, category=network_category, summary="Print jobs stuck in the queue",
                         description="After the driver update the floor printer keeps jobs queued.")


def test_change_page_suggests_matching_known_errors_with_their_sanitised_workaround(
        client, resolver, incident, printer_error):
    KnownErrorFactory(title="Draft printer problem", symptoms="printer queue stuck", state=KbState.DRAFT)
    client.force_login(resolver)
    response = client.get(change_url(incident))
    assert response.status_code == 200
    rows = response.context["known_error_suggestions"]
    assert [row["known_error"] for row in rows] == [printer_error]
    html = response.content.decode()
    assert "Known errors that look like this" in html
    assert "<strong>print spooler</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert reverse("admin:incidents_incident_apply_known_error", args=[incident.pk, printer_error.pk]) in html


def test_change_page_query_count_does_not_grow_with_the_number_of_suggestions(client, resolver, incident):
    client.force_login(resolver)
    KnownErrorFactory(title="Printer queue stuck", symptoms="print jobs queued after driver update")
    client.get(change_url(incident))
    with CaptureQueriesContext(connection) as one:
        client.get(change_url(incident))
    for n in range(6):
        KnownErrorFactory(title=f"Printer queue stuck variant {n}", symptoms="print jobs queued after driver update")
    vocabulary.clear()
    client.get(change_url(incident))
    with CaptureQueriesContext(connection) as many:
        response = client.get(change_url(incident))
    assert len(response.context["known_error_suggestions"]) == 5
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_apply_button_links_the_known_error(client, resolver, incident, printer_error):
    client.force_login(resolver)
    url = reverse("admin:incidents_incident_apply_known_error", args=[incident.pk, printer_error.pk])
    assert client.get(url).status_code == 200, "the page that shows the reply first"
    assert Incident.objects.get(pk=incident.pk).known_error is None
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == change_url(incident)
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.known_error, stored.triage_decision) == (printer_error, TriageDecision.KNOWN_ERROR)
    page = client.get(change_url(incident)).content.decode()
    assert f"KE-{printer_error.pk}" in page


def test_the_apply_button_is_refused_to_another_teams_resolver(client, other_resolver, incident, printer_error):
    client.force_login(other_resolver)
    client.post(reverse("admin:incidents_incident_apply_known_error", args=[incident.pk, printer_error.pk]))
    assert Incident.objects.get(pk=incident.pk).known_error is None


def test_the_apply_button_needs_a_csrf_token(resolver, incident, printer_error):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(resolver)
    url = reverse("admin:incidents_incident_apply_known_error", args=[incident.pk, printer_error.pk])
    assert strict.post(url).status_code == 403
    assert Incident.objects.get(pk=incident.pk).known_error is None


def test_the_new_issue_button_records_the_decision(client, resolver, incident):
    client.force_login(resolver)
    client.post(reverse("admin:incidents_incident_new_issue", args=[incident.pk]))
    assert Incident.objects.get(pk=incident.pk).triage_decision == TriageDecision.NEW_ISSUE


def test_changelist_filters_by_triage_decision_and_known_error(
        client, agent, resolver, reporter, network_category, printer_error):
    linked, new, undecided = (make_incident(reporter=reporter, category=network_category) for _ in range(3))
    known_errors.apply_known_error(incident=linked, user=resolver, known_error=printer_error)
    known_errors.mark_new_issue(incident=new, user=resolver)
    client.force_login(agent)

    def shown(query: str) -> set[str]:
        response = client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200
        return {i.reference for i in response.context["cl"].result_list}

    assert shown("triage_decision=known_error") == {linked.reference}
    assert shown("triage_decision=new_issue") == {new.reference}
    assert shown("has_known_error=yes") == {linked.reference}
    assert undecided.reference in shown("has_known_error=no")
    assert shown(f"known_error__id__exact={printer_error.pk}") == {linked.reference}
