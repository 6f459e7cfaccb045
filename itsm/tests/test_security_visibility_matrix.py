"""A security incident, on every surface, for every role: seen or not.

One security incident (a phishing mail with a credential form, logged by phone by a desk agent),
with a row of every kind that points at it (escalation, page, review and action item, reminder,
alert group, inbound mail, major incident, stakeholder update, notifications, webhook deliveries).
For each role of the matrix, each surface (admin lists, change pages, search and autocomplete,
the API's incident endpoints, the portal, the dashboard, webhooks, e-mails, the status page) shows
it exactly when the one visibility rule (`incidents.visibility`) says the role may see it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from comms import services as comms
from comms import stakeholders
from comms.status.selectors import public_incidents
from incidents import major, roles, services
from incidents.models import Escalation, Incident, Notification, Page, Service
from incidents.tests.security_world import make_world
from incidents.tests.test_admin_visibility import ROW_ADMINS
from reviews.models import ActionItem, PostIncidentReview, Reminder, ReminderKind, Trigger
from webhooks.audience import may_receive

pytestmark = pytest.mark.django_db

SECRET = "Phishing mail with a credential form"
ROLES = ("reporter", "other_reporter", "desk_agent", "resolver", "security_member", "participant",
         "staff_participant", "incident_manager", "auditor")
# Reads its whole record (the admin, the dashboard, every webhook event): the security team's
# staff, incident managers, and a participant who holds a staff role.
READS_THE_RECORD = {"security_member", "staff_participant", "incident_manager"}
# Reads it (the API, the portal, its public webhook events): those, its reporter and any participant.
READS = READS_THE_RECORD | {"reporter", "participant"}


@pytest.fixture
def world(db):
    world = make_world()
    incident = world.incidents["security"]
    users = world.users
    manager, sam = users["incident_manager"], users["security_member"]
    now = timezone.now()
    escalation = Escalation.objects.create(incident=incident, key="test", fired_at=now, due_at=now,
                                           outcome=f"Escalated {SECRET}")
    Page.objects.create(incident=incident, escalation=escalation, user=sam, created_at=now,
                        escalate_at=now + timedelta(minutes=10))
    review = PostIncidentReview.objects.create(incident=incident, owner=manager, trigger=Trigger.PRIORITY)
    item = ActionItem.objects.create(review=review, description=f"Block the sender of: {SECRET}", owner=manager,
                                     due_date=timezone.localdate())
    Reminder.objects.create(action_item=item, kind=ReminderKind.REMINDER, day=timezone.localdate(),
                            recipient=manager.email)
    _intake_rows(incident)
    major.declare(incident=incident, user=manager, reason=f"Spreading: {SECRET}")
    comms.post_update(incident=incident, author=manager, body=f"Contained: {SECRET}", to_internal=True)
    services.comment_add(incident=incident, author=sam, body="Header analysis attached", public=False)
    services.comment_add(incident=incident, author=users["reporter"], body="I typed my password", public=True)
    Incident.objects.filter(pk=incident.pk).update(priority=1)  # on the dashboard's urgent list
    world.incidents["security"] = Incident.objects.get(pk=incident.pk)
    return world


def _intake_rows(incident: Incident) -> None:
    """The alert group and the inbound e-mail that could have opened it."""
    from intake.accounts import service_account
    from intake.models import AlertGroup, AlertSource, InboundMessage, Mailbox, MessageOutcome

    source = AlertSource.objects.create(name="Prometheus", service_user=service_account("alerts", "Prometheus"))
    AlertGroup.objects.create(source=source, dedup_key="phish", key_digest="0" * 64, incident=incident,
                              alerts=[{"labels": {"alertname": "PhishingReported"}, "annotations": {"summary": SECRET}}])
    mailbox = Mailbox.objects.create(name="Desk", kind="pipe", address="desk@example.com")
    InboundMessage.objects.create(mailbox=mailbox, message_key="<phish@example.com>", message_digest="0" * 64,
                                  sender="finance@example.com", subject=SECRET, outcome=MessageOutcome.OPENED,
                                  incident=incident)


def _seen_in(response, incident: Incident) -> bool:
    content = response.content.decode()
    return response.status_code == 200 and (SECRET in content or incident.reference in content)


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_shows_a_security_incident_to_whoever_reads_its_record_only(client, world, role):
    incident = world.incidents["security"]
    client.force_login(world.users[role])
    expected = role in READS_THE_RECORD
    changelist = reverse("admin:incidents_incident_changelist")
    assert _seen_in(client.get(changelist), incident) is expected, "changelist"
    assert _seen_in(client.get(changelist, {"q": "credential form"}), incident) is expected, "search"
    change = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert (change.status_code == 200) is expected and (SECRET in change.content.decode()) is expected, "change page"
    picked = client.get(reverse("admin:autocomplete"), {"app_label": "incidents", "model_name": "incident",
                                                        "field_name": "parent", "term": "credential"})
    found = picked.status_code == 200 and str(incident.pk) in {row["id"] for row in picked.json()["results"]}
    assert found is expected, "autocomplete (parent picker)"


@pytest.mark.parametrize("role", ROLES)
def test_no_admin_list_of_rows_pointing_at_it_names_it_to_whoever_may_not_read_its_record(client, world, role):
    from django.contrib import admin

    incident = world.incidents["security"]
    user = world.users[role]
    client.force_login(user)
    request = type("Request", (), {"user": user, "GET": {}, "resolver_match": None})()
    for model, path in ROW_ADMINS:
        rows = model._default_manager.filter(**{path: incident.pk if path == "pk" else incident})
        info = model._meta.app_label, model._meta.model_name
        if role not in READS_THE_RECORD:
            listing = _admin_url(info, "changelist")
            if listing:
                assert not _seen_in(client.get(listing), incident), info
            for row in rows:
                change = _admin_url(info, "change", row.pk)
                if change is None:
                    continue  # a report admin without row pages
                page = client.get(change)
                assert page.status_code in (302, 403, 404) and SECRET not in page.content.decode(), info
        elif role == "incident_manager":
            # Managers read every row: the lists do not lose it either.
            model_admin = admin.site._registry[model]
            if rows.exists() and model_admin.has_view_permission(request):
                assert model_admin.get_queryset(request).filter(pk__in=rows.values("pk")).exists(), info


def _admin_url(info: tuple[str, str], view: str, *args) -> str | None:
    from django.urls import NoReverseMatch

    try:
        return reverse(f"admin:{info[0]}_{info[1]}_{view}", args=args)
    except NoReverseMatch:
        return None


def test_the_walk_covers_the_rows_the_issue_names(world):
    labels = {model._meta.label for model, _ in ROW_ADMINS}
    assert labels >= {"incidents.Escalation", "incidents.Page", "incidents.Notification", "reviews.PostIncidentReview",
                      "reviews.ActionItem", "response.MajorIncident", "intake.AlertGroup", "intake.InboundMessage",
                      "comms.Update"}


@pytest.mark.parametrize("role", ROLES)
def test_the_api_shows_a_security_incident_and_its_parts_to_whoever_may_read_it_only(world, role):
    incident = world.incidents["security"]
    api = APIClient()
    api.force_authenticate(world.users[role])
    expected = role in READS
    listed = api.get("/api/v1/incidents/", {"search": "credential form"})
    assert (incident.pk in [row["id"] for row in listed.json()["results"]]) is expected, "list and search"
    base = f"/api/v1/incidents/{incident.reference}/"
    for url in (base, f"{base}timeline/", f"{base}comments/", f"{base}attachments/", f"{base}children/",
                f"{base}updates/"):
        response = api.get(url)
        if expected:
            assert response.status_code == 200, (url, response.status_code)
            assert "Header analysis" not in response.content.decode() or role in READS_THE_RECORD, url
        else:
            # The desk agent who logged it hears where it went; for anyone else it does not exist.
            assert response.status_code in ((403, 404) if role == "desk_agent" else (404,)), (url, response.status_code)
            assert SECRET not in response.content.decode(), url


@pytest.mark.parametrize("role", ROLES)
def test_the_portal_shows_it_to_its_reporter_and_is_404_to_everyone_else(client, world, role):
    # The portal is each person's own reports (`selectors.own_incidents`), whoever else may read it.
    incident = world.incidents["security"]
    client.force_login(world.users[role])
    page = client.get(f"/portal/incidents/{incident.reference}/")
    assert page.status_code == (200 if role == "reporter" else 404)
    listing = client.get("/portal/incidents/").content.decode()
    assert (SECRET in listing) is (role == "reporter")


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_counts_and_lists_it_for_record_readers_only(world, role):
    from dashboard import selectors as board

    incident = world.incidents["security"]
    user = world.users[role]
    expected = role in READS_THE_RECORD
    assert (incident in board.urgent_open(user, limit=50)) is expected
    assert (incident in board.major_incidents(user, today=timezone.now(), limit=50)) is expected


@pytest.mark.parametrize("role", ROLES)
def test_webhooks_reach_the_endpoints_of_its_readers_only(world, role):
    incident = world.incidents["security"]
    owner = world.fresh(role)
    assert may_receive(owner, incident, public=False) is (role in READS_THE_RECORD)
    assert may_receive(owner, incident, public=True) is (role in READS)


def test_its_e_mails_go_to_nobody_who_may_not_read_it(world):
    """The stakeholder updates (service owners' teams, managers, stakeholders added) and the
    per-event e-mails name no address of someone, or some team, that may not read it."""
    incident = world.incidents["security"]
    network = world.teams["network"]
    network.email = "network@example.com"
    network.save()
    service = Service.objects.create(name="Mail")
    from comms.models import ServiceOwner

    ServiceOwner.objects.create(service=service, team=network)
    Incident.objects.filter(pk=incident.pk).update(service=service)
    incident = Incident.objects.get(pk=incident.pk)
    readers = {user.email for name, user in world.users.items() if roles.sees_internal(world.fresh(name), incident)}
    internal = [r.address for r in stakeholders.audience(incident) if r.audience == "internal"]
    assert "network@example.com" not in internal
    assert set(internal) <= readers
    owed = set(Notification.objects.filter(event__incident=incident).values_list("recipient", flat=True))
    assert owed <= readers | {world.users["reporter"].email}


def test_a_security_incident_left_on_a_team_that_may_not_read_it_mails_neither_team_nor_assignee(world):
    stray = world.incidents["security, not confidential, Network queue"]
    resolver = world.users["resolver"]
    Incident.objects.filter(pk=stray.pk).update(assignee=resolver)
    stray = Incident.objects.get(pk=stray.pk)
    services.comment_add(incident=stray, author=world.users["reporter"], body="Any news?", public=True)
    owed = set(Notification.objects.filter(event__incident=stray).values_list("recipient", flat=True))
    assert resolver.email not in owed


def test_a_security_incident_is_never_on_the_status_page(client, world):
    stray = world.incidents["security, not confidential, Network queue"]
    Incident.objects.filter(pk=stray.pk).update(is_major=True)  # major, and (wrongly) not confidential
    assert not public_incidents().filter(pk__in=[i.pk for i in world.incidents.values()]).exists()
    page = client.get("/status/")
    assert page.status_code == 200
    assert SECRET not in page.content.decode() and stray.summary not in page.content.decode()
