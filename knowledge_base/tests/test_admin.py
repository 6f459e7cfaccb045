"""The knowledge base admin: lists with a constant number of queries, workflow buttons through the
services, edits with history, no revert, and the deflection report."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge_base import services
from knowledge_base.models import Deflection, FixStatus, KnownError
from knowledge_base.workflow import State

from .factories import ArticleFactory, CategoryFactory, KnownErrorFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _deflections(n: int, user) -> None:
    for i in range(n):
        if i % 2:
            services.record_deflection(user, f"text {i}", article=ArticleFactory())
        else:
            services.record_deflection(user, f"text {i}", known_error=KnownErrorFactory())


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("admin:knowledge_base_knownerror_changelist", lambda n, user: KnownErrorFactory.create_batch(n)),
        ("admin:knowledge_base_article_changelist", lambda n, user: ArticleFactory.create_batch(n)),
        ("admin:knowledge_base_deflection_changelist", _deflections),
        ("admin:knowledge_base_category_changelist", lambda n, user: CategoryFactory.create_batch(n)),
    ],
)
def test_changelist_runs_the_same_number_of_queries_for_1_and_50_rows(client, agent, url_name, make):
    client.force_login(agent)
    url = reverse(url_name)
    make(1, agent)
    one = _queries(client, url)
    make(49, agent)
    fifty = _queries(client, url)
    assert one == fifty


def test_publish_button_goes_through_the_service_with_the_reason(client, manager):
    item = KnownErrorFactory(state=State.IN_REVIEW)
    client.force_login(manager)
    url = reverse("admin:knowledge_base_knownerror_transition", args=[item.pk, "publish"])
    response = client.post(url, {"reason": "Checked with the network team"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == State.PUBLISHED
    latest = item.history.latest("history_id")
    assert latest.history_user == manager
    assert latest.history_change_reason == "Publish: Checked with the network team"


def test_a_refused_transition_is_reported_and_changes_nothing(client, agent):
    item = KnownErrorFactory(state=State.IN_REVIEW)
    client.force_login(agent)
    url = reverse("admin:knowledge_base_knownerror_transition", args=[item.pk, "publish"])
    response = client.post(url, follow=True)
    assert f"You may not “publish” “{item.title}”." in response.content.decode()
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW


def test_transition_url_only_accepts_post(client, manager):
    item = KnownErrorFactory(state=State.IN_REVIEW)
    client.force_login(manager)
    response = client.get(reverse("admin:knowledge_base_knownerror_transition", args=[item.pk, "publish"]))
    assert response.status_code == 405
    item.refresh_from_db()
    assert item.state == State.IN_REVIEW


def test_someone_without_change_permission_cannot_transition(client, end_user, manager):
    end_user.is_staff = True
    end_user.save()
    item = KnownErrorFactory(state=State.IN_REVIEW)
    client.force_login(end_user)
    url = reverse("admin:knowledge_base_knownerror_transition", args=[item.pk, "publish"])
    assert client.post(url).status_code == 403


def test_change_page_offers_only_the_transitions_the_user_may_take(client, agent, manager):
    item = KnownErrorFactory(state=State.IN_REVIEW)
    url = reverse("admin:knowledge_base_knownerror_change", args=[item.pk])
    client.force_login(agent)
    page = client.get(url).content.decode()
    assert 'data-transition="return_to_draft"' in page
    assert 'data-transition="publish"' not in page
    client.force_login(manager)
    assert 'data-transition="publish"' in client.get(url).content.decode()


def test_admin_edit_is_saved_with_one_history_row_naming_the_fields(client, agent):
    item = KnownErrorFactory(state=State.DRAFT, title="VPN drops", workaround="Reconnect.")
    client.force_login(agent)
    url = reverse("admin:knowledge_base_knownerror_change", args=[item.pk])
    data = {
        "title": "VPN drops every hour", "category": "", "affected_service": item.affected_service,
        "public": "on", "symptoms": item.symptoms, "root_cause": item.root_cause,
        "workaround": "Reconnect when it drops.", "fix_status": FixStatus.PLANNED,
        "state": State.PUBLISHED,  # not a form field: ignored
    }
    before = item.history.count()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.title == "VPN drops every hour"
    assert item.state == State.DRAFT
    assert item.history.count() == before + 1
    latest = item.history.latest("history_id")
    assert latest.history_user == agent
    assert latest.history_change_reason == "Edited: title, workaround, permanent fix"


def test_marking_the_fix_delivered_in_the_admin_clears_the_recurrence_flag(client, agent):
    item = KnownErrorFactory(needs_permanent_fix=True, fix_status=FixStatus.IN_PROGRESS)
    client.force_login(agent)
    data = {
        "title": item.title, "category": "", "affected_service": item.affected_service, "public": "on",
        "symptoms": item.symptoms, "root_cause": item.root_cause, "workaround": item.workaround,
        "fix_status": FixStatus.FIXED,
    }
    client.post(reverse("admin:knowledge_base_knownerror_change", args=[item.pk]), data)
    item.refresh_from_db()
    assert item.fix_status == FixStatus.FIXED and not item.needs_permanent_fix


@pytest.mark.parametrize("method", ["get", "post"])
def test_history_cannot_revert_a_known_error(client, manager, method):
    item = KnownErrorFactory(state=State.IN_REVIEW)
    item = services.transition(item=item, user=manager, name="publish")
    first = item.history.earliest("history_id")
    client.force_login(manager)
    url = reverse("admin:knowledge_base_knownerror_simple_history", args=[item.pk, first.history_id])
    response = getattr(client, method)(url, {"title": item.title})
    assert response.status_code == 302
    assert response.url == reverse("admin:knowledge_base_knownerror_history", args=[item.pk])
    assert KnownError.objects.get(pk=item.pk).state == State.PUBLISHED


def test_rendered_preview_on_the_change_page_is_sanitised(client, agent):
    item = KnownErrorFactory(workaround="Click [here](javascript:alert(1)) <script>alert(2)</script>")
    client.force_login(agent)
    page = client.get(reverse("admin:knowledge_base_knownerror_change", args=[item.pk])).content.decode()
    preview = page.split('class="kb-preview"', 1)[1].split("</div>", 1)[0]
    assert "javascript:" not in preview and "<script>" not in preview
    assert "&lt;script&gt;" in preview


def test_deflection_report_counts_deflections_by_item(client, agent):
    vpn = KnownErrorFactory(title="VPN error 809")
    article = ArticleFactory(title="How to reset your password")
    for _ in range(3):
        services.record_deflection(agent, "vpn 809", known_error=vpn)
    services.record_deflection(agent, "reset password", article=article)
    client.force_login(agent)
    response = client.get(reverse("admin:knowledge_base_deflection_changelist"))
    rows = [(r["known_error__title"] or r["article__title"], r["total"]) for r in response.context["counts_by_item"]]
    assert rows == [("VPN error 809", 3), ("How to reset your password", 1)]
    assert "Deflections by item (4 in this selection)" in response.content.decode()


def test_deflections_are_read_only_in_the_admin(client, manager):
    deflection = services.record_deflection(manager, "vpn", known_error=KnownErrorFactory())
    client.force_login(manager)
    assert client.get(reverse("admin:knowledge_base_deflection_add")).status_code == 403
    url = reverse("admin:knowledge_base_deflection_change", args=[deflection.pk])
    client.post(url, {"text": "changed"})
    assert Deflection.objects.get(pk=deflection.pk).text == "vpn"
