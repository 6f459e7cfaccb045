"""The review and action-item admin: lists at a constant query cost, filters, transition buttons
through the services, who may do what, and history that cannot be reverted."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import roles
from incidents.tests.factories import UserFactory, make_incident
from reviews import services
from reviews.models import ActionItem, PostIncidentReview, ReviewState

from .factories import ActionItemFactory, ReviewFactory, resolved_incident

REVIEWS = reverse("admin:reviews_postincidentreview_changelist")
ACTIONS = reverse("admin:reviews_actionitem_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def change_url(obj) -> str:
    return reverse(f"admin:reviews_{obj._meta.model_name}_change", args=[obj.pk])


def transition_url(obj, name: str) -> str:
    return reverse(f"admin:reviews_{obj._meta.model_name}_transition", args=[obj.pk, name])


@pytest.fixture
def review(reporter, agent, resolver, network_category, manager):
    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    return services.create_required_review(incident.pk)


def overdue_review(owner, **item):
    review = ReviewFactory(owner=owner)
    ActionItemFactory(review=review, owner=owner, due_date=datetime.date(2020, 1, 1), **item)
    ActionItemFactory(review=review, owner=owner)
    return review


# --- Lists --------------------------------------------------------------------------------------
def test_review_list_costs_the_same_queries_for_1_and_for_50_reviews(client, manager):
    client.force_login(manager)
    overdue_review(manager)
    client.get(REVIEWS)  # warm the session and content-type caches
    one = queries_for(client, REVIEWS)
    for _ in range(49):
        overdue_review(manager)
    assert PostIncidentReview.objects.count() == 50
    assert queries_for(client, REVIEWS) == one
    assert queries_for(client, REVIEWS + "?overdue=yes") == queries_for(client, REVIEWS + "?overdue=no")


def test_action_item_list_costs_the_same_queries_for_1_and_for_50_items(client, manager, resolver, network_team):
    client.force_login(resolver)
    review = ReviewFactory(owner=manager)
    ActionItemFactory(review=review, owner=resolver, team=network_team)
    client.get(ACTIONS)
    one = queries_for(client, ACTIONS)
    for _ in range(49):
        ActionItemFactory(review=ReviewFactory(owner=UserFactory(role=roles.INCIDENT_MANAGER)), owner=resolver,
                          team=network_team, due_date=datetime.date(2020, 1, 1))
    assert ActionItem.objects.count() == 50
    assert queries_for(client, ACTIONS) == one


def test_reminder_list_costs_the_same_queries_for_1_and_for_50_reminders(client, manager):
    from reviews.models import Reminder, ReminderKind

    url = reverse("admin:reviews_reminder_changelist")
    client.force_login(manager)
    item = ActionItemFactory(review=ReviewFactory(owner=manager), owner=manager)
    Reminder.objects.create(action_item=item, kind=ReminderKind.REMINDER, day=datetime.date(2026, 3, 1),
                            recipient=manager.email)
    client.get(url)
    one = queries_for(client, url)
    for day in range(2, 51):
        item = ActionItemFactory(review=ReviewFactory(owner=manager), owner=manager)
        Reminder.objects.create(action_item=item, kind=ReminderKind.REMINDER, day=datetime.date(2026, 3, 1)
                                + datetime.timedelta(days=day), recipient=manager.email)
    assert queries_for(client, url) == one


def test_review_list_filters_reviews_with_overdue_actions(client, manager):
    late = overdue_review(manager)
    on_time = ReviewFactory(owner=manager)
    ActionItemFactory(review=on_time, owner=manager)
    done = overdue_review(manager)
    for item in done.action_items.all():
        services.action_item_transition(item=item.pk, user=manager, name="complete")
    client.force_login(manager)
    shown = {r.pk for r in client.get(REVIEWS + "?overdue=yes").context["cl"].result_list}
    assert shown == {late.pk}
    shown = {r.pk for r in client.get(REVIEWS + "?overdue=no").context["cl"].result_list}
    assert shown == {on_time.pk, done.pk}


def test_review_list_filters_by_state(client, manager, review):
    ReviewFactory(owner=manager)
    services.review_transition(review=review.pk, user=manager, name="submit")
    client.force_login(manager)
    assert [r.pk for r in client.get(REVIEWS + "?state__exact=in_review").context["cl"].result_list] == [review.pk]


def test_action_item_list_filters_mine_and_overdue(client, manager, resolver, other_resolver):
    review = ReviewFactory(owner=manager)
    mine_late = ActionItemFactory(review=review, owner=resolver, due_date=datetime.date(2020, 1, 1))
    mine_later = ActionItemFactory(review=review, owner=resolver)
    ActionItemFactory(review=review, owner=other_resolver, due_date=datetime.date(2020, 1, 1))
    client.force_login(resolver)
    assert {i.pk for i in client.get(ACTIONS + "?owner=me").context["cl"].result_list} == {mine_late.pk, mine_later.pk}
    shown = client.get(ACTIONS + "?owner=me&overdue=yes").context["cl"].result_list
    assert [i.pk for i in shown] == [mine_late.pk]


# --- Transition buttons -------------------------------------------------------------------------
def test_the_change_form_offers_the_transitions_and_exports(client, manager, review):
    client.force_login(manager)
    page = client.get(change_url(review)).content.decode()
    assert f'action="{transition_url(review, "submit")}"' in page
    assert f'action="{transition_url(review, "publish")}"' not in page, "only from in review"
    assert "Export Markdown" in page and "Print view" in page
    assert "Time to acknowledge" in page


def test_a_transition_button_goes_through_the_service(client, manager, review):
    client.force_login(manager)
    response = client.post(transition_url(review, "submit"), {"reason": "Ready for the CAB"})
    assert response.status_code == 302 and response["Location"] == change_url(review)
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW
    last = review.history.first()
    assert (last.history_user, last.history_change_reason) == (manager, "Submit for review: Ready for the CAB")
    assert review.history.count() == 2, "one history row for the transition"


def test_a_refused_publish_shows_the_guards_sentences(client, manager, review, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False  # one manager submits and signs off
    services.review_transition(review=review.pk, user=manager, name="submit")
    client.force_login(manager)
    response = client.post(transition_url(review, "publish"), follow=True)
    assert messages_of(response) == [
        "A review cannot be published without a root cause. "
        "Add at least one action item, or state why no action is needed, before publishing."
    ]
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW


def test_transitions_are_post_only(client, manager, review):
    client.force_login(manager)
    assert client.get(transition_url(review, "submit")).status_code == 405


def test_an_action_items_wont_do_button_carries_its_reason(client, manager, review):
    item = ActionItemFactory(review=review, owner=manager)
    client.force_login(manager)
    page = client.get(change_url(item)).content.decode()
    assert 'name="reason" maxlength="100" placeholder="Why?"' in page
    client.post(transition_url(item, "drop"), {"reason": "Superseded by the network refresh"})
    item.refresh_from_db()
    assert item.state == "wont_do" and item.wont_do_reason == "Superseded by the network refresh"


# --- Who may do what ----------------------------------------------------------------------------
def test_incident_managers_start_reviews_by_hand_in_the_admin(client, manager, reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(manager)
    response = client.post(reverse("admin:reviews_postincidentreview_add"),
                           {"incident": incident.pk, "owner": manager.pk})
    review = PostIncidentReview.objects.get(incident=incident)
    assert response.status_code == 302
    assert review.timeline.exists(), "started with the incident's timeline"
    response = client.post(reverse("admin:reviews_postincidentreview_add"), {"incident": incident.pk})
    assert f"{incident.reference} already has a post-incident review ({review.reference})." in response.content.decode()


def test_only_incident_managers_may_open_the_add_view(client, agent, resolver):
    for user in (agent, resolver):
        client.force_login(user)
        assert client.get(reverse("admin:reviews_postincidentreview_add")).status_code == 403


def test_resolvers_change_the_action_items_they_own_and_only_read_the_others(client, manager, review, resolver,
                                                                             other_resolver):
    theirs = ActionItemFactory(review=review, owner=resolver)
    someone_elses = ActionItemFactory(review=review, owner=other_resolver)
    client.force_login(resolver)
    data = {"description": "Changed", "owner": resolver.pk, "due_date": "2026-12-01", "priority": 1, "link_url": ""}
    assert client.post(change_url(theirs), data).status_code == 302
    theirs.refresh_from_db()
    assert theirs.description == "Changed"
    assert client.post(change_url(someone_elses), {**data, "owner": other_resolver.pk}).status_code == 403
    assert client.get(change_url(someone_elses)).status_code == 200, "but may read it"


def test_a_published_review_is_read_only_in_the_admin(client, manager, review, settings):
    settings.ITSM_FOUR_EYES_PUBLISHING = False  # one manager submits and signs off
    review.root_cause = "Expired certificate."
    review.no_action_reason = "Renewal is automated now."
    services.review_save_edits(review=review, user=manager, changed=["root_cause"])
    services.review_transition(review=review.pk, user=manager, name="submit")
    services.review_transition(review=review.pk, user=manager, name="publish")
    client.force_login(manager)
    response = client.get(change_url(review))
    assert response.context["has_change_permission"] is False
    assert client.post(change_url(review), {"root_cause": "Rewritten"}).status_code == 403


def test_review_history_is_shown_but_never_reverted(client, manager, review):
    services.review_transition(review=review.pk, user=manager, name="submit")
    client.force_login(manager)
    first = review.history.last()
    url = reverse("admin:reviews_postincidentreview_simple_history", args=[review.pk, first.history_id])
    assert client.get(reverse("admin:reviews_postincidentreview_history", args=[review.pk])).status_code == 200
    history_url = reverse("admin:reviews_postincidentreview_history", args=[review.pk])
    for response in (client.get(url), client.post(url, {"root_cause": "x"})):
        assert (response.status_code, response["Location"]) == (302, history_url)
    review.refresh_from_db()
    assert review.state == ReviewState.IN_REVIEW and review.root_cause != "x"


@pytest.mark.django_db
def test_roles_carry_the_review_permissions():
    def codenames(role):
        return set(Permission.objects.filter(group__name=role).filter(content_type__app_label="reviews")
                   .values_list("codename", flat=True))

    manager = codenames(roles.INCIDENT_MANAGER)
    assert {"add_postincidentreview", "change_postincidentreview", "delete_actionitem", "view_reminder"} <= manager
    for role in (roles.DESK_AGENT, roles.RESOLVER):
        assert codenames(role) == {"view_postincidentreview", "view_timelineentry", "view_actionitem",
                                   "change_actionitem"}
    assert codenames(roles.REPORTER) == set()
    assert Group.objects.filter(name=roles.INCIDENT_MANAGER).exists()


def form_data(response) -> dict:
    """The change form as the browser would submit it unchanged (main form and inline formsets)."""
    from django.forms import SplitDateTimeWidget
    from django.utils import timezone

    def add(form):
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, SplitDateTimeWidget):
                local = timezone.localtime(value) if value else None
                data[f"{bound.html_name}_0"] = local.strftime("%Y-%m-%d") if local else ""
                data[f"{bound.html_name}_1"] = local.strftime("%H:%M:%S") if local else ""
            elif isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            else:
                data[bound.html_name] = "" if value is None else value

    data: dict = {}
    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def test_people_edit_strike_and_add_timeline_entries_in_the_review_form(client, manager, review):
    client.force_login(manager)
    data = form_data(client.get(change_url(review)))
    data["root_cause"] = "Expired certificate."
    data["timeline-0-text"] = "Opened by Rita from the portal"
    data["timeline-1-struck"] = "on"
    total = int(data["timeline-TOTAL_FORMS"])
    data.update({"timeline-TOTAL_FORMS": str(total + 1), f"timeline-{total}-at_0": "2026-03-02",
                 f"timeline-{total}-at_1": "09:45:00", f"timeline-{total}-text": "ISP confirmed the outage"})
    response = client.post(change_url(review), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    review.refresh_from_db()
    assert review.root_cause == "Expired certificate."
    rows = list(review.timeline.values_list("text", "struck", "added_by_hand"))
    assert ("Opened by Rita from the portal", False, False) in rows
    assert ("ISP confirmed the outage", False, True) in rows
    assert sum(struck for _, struck, _ in rows) == 1
    assert review.history.first().history_change_reason == "Edited root_cause"
