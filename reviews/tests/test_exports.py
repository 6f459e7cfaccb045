"""A review exports as Markdown and as a print page, with its root cause and action items, safely."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from reviews import exports, services
from reviews.models import TimelineEntry

from .factories import ActionItemFactory, resolved_incident

HOSTILE = '<script>alert("pir")</script> & <b>bold</b>'


@pytest.fixture
def review(reporter, agent, resolver, network_category, manager):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    review = services.create_required_review(incident.pk)
    review.summary = "The VPN was down for the whole office for 90 minutes."
    review.root_cause = f"An expired certificate on the concentrator. {HOSTILE}"
    review.lessons_learned = "Certificates need an owner."
    services.review_save_edits(review=review, user=manager, changed=["summary", "root_cause", "lessons_learned"])
    ActionItemFactory(review=review, owner=resolver, description="Alert 30 days before a certificate expires | ops",
                      team=resolver.teams.first(), due_date=datetime.date(2026, 4, 1),
                      link_url="https://tracker.example.com/CHG-12")
    ActionItemFactory(review=review, owner=manager, description=f"Write the runbook {HOSTILE}",
                      due_date=datetime.date(2026, 4, 15))
    TimelineEntry.objects.filter(review=review, text__startswith="Claimed").update(struck=True)
    return review


def markdown_url(review):
    return reverse("admin:reviews_postincidentreview_markdown", args=[review.pk])


def print_url(review):
    return reverse("admin:reviews_postincidentreview_print", args=[review.pk])


def test_markdown_export_is_a_download_with_root_cause_and_action_items(client, review, manager, resolver):
    client.force_login(manager)
    response = client.get(markdown_url(review))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{review.reference}-{review.incident.reference}.md"'
    text = response.content.decode()
    assert text.startswith(f"# {review.reference}: {review.incident.reference} — ")
    assert "## Root cause\n\nAn expired certificate on the concentrator." in text
    assert (f"| 1 | Alert 30 days before a certificate expires \\| ops | {resolver.get_full_name()} | Network "
            "| 2026-04-01 | Medium | Open | https://tracker.example.com/CHG-12 |") in text
    assert "| 2 | Write the runbook" in text
    assert "| Time to resolve |" in text and "| SLA | Met |" in text


def test_markdown_export_escapes_html_that_people_typed(review):
    text = exports.markdown(review)
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(\"pir\")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text


def test_markdown_export_shows_struck_timeline_entries_struck(review):
    text = exports.markdown(review)
    assert "~~Claimed~~ (struck)" in text
    assert "— Opened via Portal" in text


def test_print_page_has_its_own_print_css_and_escapes_html(client, review, manager):
    client.force_login(manager)
    response = client.get(print_url(review))
    assert response.status_code == 200
    page = response.content.decode()
    # Its own print stylesheet, a file (the Content-Security-Policy allows no inline styles).
    assert 'href="/static/reviews/review_print.css"' in page and "<style" not in page
    css = (Path(__file__).resolve().parents[1] / "static" / "reviews" / "review_print.css").read_text()
    assert "@media print" in css and "@page" in css
    assert "An expired certificate on the concentrator." in page
    assert "Alert 30 days before a certificate expires" in page and "Write the runbook" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert '<a href="https://tracker.example.com/CHG-12">' in page
    assert 'class="struck"' in page


def test_a_link_that_is_not_a_web_address_is_not_made_a_link(client, review, manager):
    review.action_items.filter(link_url="").update(link_url="javascript:alert(1)")
    client.force_login(manager)
    page = client.get(print_url(review)).content.decode()
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page


def test_exports_need_the_admin_and_view_permission(client, review, reporter, agent):
    for url in (markdown_url(review), print_url(review)):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(reporter)
    assert client.get(markdown_url(review)).status_code == 302, "reporters are not admin users"
    client.force_login(agent)
    assert client.get(markdown_url(review)).status_code == 200, "desk agents may read reviews"


def test_exports_of_a_confidential_incidents_review_stay_with_its_team(
    client, reporter, agent, security_category, security_team, other_resolver, manager
):
    from incidents import roles
    from incidents.tests.factories import UserFactory

    analyst = UserFactory(username="sam", role=roles.RESOLVER, team=security_team)
    incident = resolved_incident(reporter=reporter, category=security_category, desk=agent, resolver=analyst)
    review = services.create_required_review(incident.pk)
    client.force_login(other_resolver)
    assert client.get(markdown_url(review)).status_code == 404
    assert client.get(print_url(review)).status_code == 404
    client.force_login(analyst)
    assert client.get(markdown_url(review)).status_code == 200
