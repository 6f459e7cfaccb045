"""Applying a known error at triage: the public reply is shown, editable, before it is sent; it
reaches the reporter rendered from Markdown (sanitised), not as `**literal**` markup; and each
suggestion says how close it comes to the best match instead of a raw score."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents import known_errors, selectors
from incidents.models import Comment, Incident
from knowledge_base.tests.factories import KnownErrorFactory

from .factories import make_incident

pytestmark = pytest.mark.django_db

WORKAROUND = "Turn on **Keep-alive** in the VPN client.<script>alert(1)</script>"


@pytest.fixture
def vpn_error(db):
    return KnownErrorFactory(title="VPN drops after ten minutes idle", symptoms="The VPN tunnel closes when idle.",
                             workaround=WORKAROUND, public=True)


@pytest.fixture
def incident(reporter, network_category):
    return make_incident(reporter=reporter, category=network_category, summary="VPN drops when idle",
                         description="The VPN tunnel closes after a few idle minutes.")


def apply_url(incident, known_error) -> str:
    return reverse("admin:incidents_incident_apply_known_error", args=[incident.pk, known_error.pk])


def test_applying_shows_the_public_reply_first_editable_and_rendered(client, resolver, incident, vpn_error):
    client.force_login(resolver)
    response = client.get(apply_url(incident, vpn_error))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["reply"] == known_errors.default_reply(vpn_error)
    assert '<textarea name="reply"' in page and "Turn on **Keep-alive** in the VPN client." in page
    assert "<strong>Keep-alive</strong>" in page, "the preview is rendered"
    assert "<script>alert(1)</script>" not in page
    assert Incident.objects.get(pk=incident.pk).known_error is None, "nothing is applied by looking"


def test_preview_renders_the_edited_reply_without_applying(client, resolver, incident, vpn_error):
    client.force_login(resolver)
    response = client.post(apply_url(incident, vpn_error), {"reply": "Hi Rita, *first* try this.", "_preview": "1"})
    assert response.status_code == 200
    assert "Hi Rita, <em>first</em> try this." in response.content.decode()
    assert Incident.objects.get(pk=incident.pk).known_error is None


def test_the_edited_reply_is_what_the_reporter_gets_rendered(client, resolver, reporter, incident, vpn_error):
    client.force_login(resolver)
    edited = "Hi Rita,\n\nplease turn on **Keep-alive**:\n\n1. Open the client\n2. Tick *Keep-alive*"
    response = client.post(apply_url(incident, vpn_error), {"reply": edited, "_apply": "1"})
    assert response.status_code == 302
    reply = Comment.objects.get(incident=incident, public=True)
    assert (reply.body, reply.markdown) == (edited, True)

    client.force_login(reporter)
    page = client.get(reverse("portal:incident_detail", args=[incident.reference])).content.decode()
    assert "please turn on <strong>Keep-alive</strong>:" in page
    assert "<li>Open the client</li>" in page
    assert "**Keep-alive**" not in page


def test_an_emptied_reply_sends_nothing_to_the_reporter(client, resolver, incident, vpn_error):
    client.force_login(resolver)
    client.post(apply_url(incident, vpn_error), {"reply": "   ", "_apply": "1"})
    assert Incident.objects.get(pk=incident.pk).known_error == vpn_error
    assert not Comment.objects.filter(incident=incident, public=True).exists()
    assert Comment.objects.filter(incident=incident, public=False, markdown=True).exists(), "the work note stays"


def test_an_internal_workaround_offers_no_reply(client, resolver, incident):
    internal = KnownErrorFactory(title="VPN concentrator licence exhausted", workaround="Free a **licence**.",
                                 public=False)
    client.force_login(resolver)
    page = client.get(apply_url(incident, internal)).content.decode()
    assert '<textarea name="reply"' not in page
    assert "Its workaround is for staff only: nothing is sent to the reporter." in page
    client.post(apply_url(incident, internal), {"_apply": "1"})
    assert not Comment.objects.filter(incident=incident, public=True).exists()


def test_the_work_note_is_rendered_in_the_admin(client, resolver, incident, vpn_error):
    known_errors.apply_known_error(incident=incident, user=resolver, known_error=vpn_error)
    client.force_login(resolver)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    comments = page[page.index('id="comments"'):page.index('id="timeline"')]
    assert "Turn on <strong>Keep-alive</strong> in the VPN client." in comments
    assert "**Keep-alive**" not in comments, "(the incident's workaround field keeps the source, for editing)"


def test_someone_who_may_not_work_on_it_gets_no_reply_page(client, other_resolver, incident, vpn_error):
    client.force_login(other_resolver)
    response = client.get(apply_url(incident, vpn_error))
    assert response.status_code == 302


# --- what the match column says -----------------------------------------------------------------------
def test_suggestions_are_ranked_and_labelled_instead_of_a_raw_score(client, resolver, incident, vpn_error):
    KnownErrorFactory(title="VPN client will not install", symptoms="The installer stops.", workaround="Reboot.")
    client.force_login(resolver)
    response = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    rows = response.context["known_error_suggestions"]
    assert rows[0]["known_error"] == vpn_error
    assert [(row["rank"], row["match"]) for row in rows][0] == (1, "Best match")
    page = response.content.decode()
    assert "1. Best match" in page
    assert "0.00" not in page


@pytest.mark.parametrize(("rank", "share", "label"), [
    (1, 1.0, "Best match"), (2, 0.9, "Close to the best"), (2, 0.75, "Close to the best"),
    (3, 0.5, "Possible"), (4, 0.39, "Weak"),
])
def test_the_match_label_says_how_close_a_suggestion_comes_to_the_best(rank, share, label):
    assert selectors.match_label(rank, share) == label
