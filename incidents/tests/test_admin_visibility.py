"""Every admin list of rows that point at an incident applies the incident's visibility rule: a
confidential Security incident is named, in any list or row page, only to the Security team, the
incident managers and its reporter. (A browser walk found the Escalations and Pages lists showing
"Ransomware note on finance file share FS01" to a Network resolver.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from comms import services as comms
from incidents import major, roles
from incidents.models import Escalation, EventKind, Incident, IncidentEvent, Page
from reviews.models import ActionItem, PostIncidentReview, Reminder, ReminderKind, Trigger
from webhooks.models import Endpoint

from .factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db
SECRET = "Ransomware note on finance file share FS01"


def path_to_incident(model: type[models.Model], depth: int = 3) -> str | None:
    """The foreign-key path from `model` to Incident ("incident", "review__incident", ...), if any."""
    if model is Incident:
        return None
    if model._meta.concrete_model is Incident:
        return "pk"  # a list of some incidents (the major ones): the incident itself
    for field in model._meta.get_fields():
        if not ((field.many_to_one or field.one_to_one) and field.concrete):
            continue
        if field.related_model is Incident:
            return field.name
        if depth > 1 and field.related_model is not None:
            rest = path_to_incident(field.related_model, depth - 1)
            if rest:
                return f"{field.name}__{rest}"
    return None


admin.autodiscover()  # every app's admin, as the site's URLs would load them
ROW_ADMINS = sorted(
    ((model, path) for model in admin.site._registry if (path := path_to_incident(model))),
    key=lambda row: row[0]._meta.label,
)


@pytest.fixture
def secret(reporter, security_category, security_team, manager):
    """A confidential incident with one row of every kind that points at it."""
    on_call = UserFactory(username="sam", role=roles.RESOLVER, team=security_team)
    for owner in (manager, on_call):  # its events owe these endpoints a delivery each
        Endpoint.objects.create(name=f"Chat of {owner.username}", url="https://hooks.example.com/chat", owner=owner)
    incident = make_incident(reporter=reporter, category=security_category, summary=SECRET,
                             impact="high", urgency="high")
    assert incident.confidential
    now = timezone.now()
    escalation = Escalation.objects.create(incident=incident, key="test", fired_at=now, due_at=now,
                                           outcome=f"Escalated {SECRET}")
    Page.objects.create(incident=incident, escalation=escalation, user=on_call, created_at=now,
                        escalate_at=now + timedelta(minutes=10))
    review = PostIncidentReview.objects.create(incident=incident, owner=manager, trigger=Trigger.PRIORITY)
    item = ActionItem.objects.create(review=review, description=f"Restore FS01 after: {SECRET}", owner=manager,
                                     due_date=timezone.localdate())
    Reminder.objects.create(action_item=item, kind=ReminderKind.REMINDER, day=timezone.localdate(),
                            recipient=manager.email)
    _intake_rows(incident)
    _response_rows(incident, manager)
    major.declare(incident=incident, user=manager, reason=f"Spreading: {SECRET}")
    comms.add_stakeholder(incident=incident, by=manager, audience="internal", user=on_call)
    comms.post_update(incident=incident, author=manager, body=f"Contained: {SECRET}", to_internal=True)
    assert IncidentEvent.objects.filter(incident=incident, kind=EventKind.CREATED).exists()
    return incident


def _intake_rows(incident: Incident) -> None:
    """The alert group and the inbound e-mail that could have opened it."""
    from intake.accounts import service_account
    from intake.models import AlertGroup, AlertSource, InboundMessage, Mailbox, MessageOutcome

    source = AlertSource.objects.create(name="Prometheus", service_user=service_account("alerts", "Prometheus"))
    AlertGroup.objects.create(source=source, dedup_key="ransomware", key_digest="0" * 64, incident=incident,
                              alerts=[{"annotations": {"summary": SECRET}}])
    mailbox = Mailbox.objects.create(name="Desk", kind="pipe", address="desk@example.com")
    InboundMessage.objects.create(mailbox=mailbox, message_key="<fs01@example.com>", message_digest="0" * 64,
                                  sender="finance@example.com", subject=SECRET, outcome=MessageOutcome.OPENED,
                                  incident=incident)


def _response_rows(incident: Incident, manager) -> None:
    """The security response's rows (evidence and its custody, a notice, forensics), a regulatory
    clock, and a drill that (for the walk's sake) points at it."""
    from drills.models import Drill, Scenario
    from response.models import CustodyEntry, Evidence, ForensicsEngagement, Notice, Regulation, RegulatoryClock

    now = timezone.now()
    evidence = Evidence.objects.create(incident=incident, kind="note", title=f"Call note: {SECRET}", note=SECRET,
                                       size=len(SECRET), sha256="0" * 64, collected_by=manager, collected_at=now,
                                       holder=manager.username)
    CustodyEntry.objects.create(evidence=evidence, action="collected", actor=manager, reason=SECRET)
    Notice.objects.create(incident=incident, role="legal", subject=f"Notice: {SECRET}", body=SECRET, sent_by=manager)
    ForensicsEngagement.objects.create(incident=incident, firm="Forensic Partners", engaged_at=now, engaged_by=manager,
                                       notes=SECRET)
    gdpr = Regulation.objects.get(code="gdpr")
    RegulatoryClock.objects.create(incident=incident, regulation=gdpr, aware_at=now, window=gdpr.window,
                                   due_at=now + gdpr.window, applied_by=manager)
    scenario = Scenario.objects.create(title=f"Tabletop: {SECRET}", summary=SECRET)
    Drill.objects.create(scenario=scenario, incident=incident, started_by=manager)


def change_url(model: type[models.Model], pk) -> str | None:
    """The row's admin page, if its admin has one (a report over incidents has only its list)."""
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


def test_the_walk_covers_the_rows_that_point_at_incidents():
    assert {model._meta.label for model, _ in ROW_ADMINS} >= {
        "incidents.IncidentEvent", "incidents.Escalation", "incidents.Page",
        "reviews.PostIncidentReview", "reviews.ActionItem", "reviews.Reminder", "webhooks.Delivery",
        "response.Evidence", "response.CustodyEntry", "response.Notice", "response.ForensicsEngagement",
        "response.RegulatoryClock", "drills.Drill", "compliance.AuditEntry",
    }


@pytest.mark.parametrize(("model", "path"), ROW_ADMINS, ids=lambda v: getattr(v, "_meta", None) and v._meta.label)
def test_a_confidential_incident_is_in_no_admin_list_outside_its_team(client, secret, resolver, model, path):
    rows = model._default_manager.filter(**{path: secret.pk if path == "pk" else secret})
    assert rows.exists(), f"the fixture has no {model._meta.verbose_name} for the incident"
    info = model._meta.app_label, model._meta.model_name
    client.force_login(resolver)  # Network team: not Security
    listing = client.get(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
    if listing.status_code == 200:
        assert SECRET not in listing.content.decode()
        assert secret.reference not in listing.content.decode()
    for row in rows:
        if (url := change_url(model, row.pk)) is None:
            continue
        page = client.get(url)
        assert page.status_code in (302, 403, 404)
        assert SECRET not in page.content.decode()


@pytest.mark.parametrize(("model", "path"), ROW_ADMINS, ids=lambda v: getattr(v, "_meta", None) and v._meta.label)
def test_the_security_team_and_the_managers_see_those_rows(client, secret, manager, model, path):
    info = model._meta.app_label, model._meta.model_name
    sam = UserFactory._meta.model.objects.get(username="sam")
    checked = 0
    for person in (manager, sam):
        model_admin = admin.site._registry[model]
        request = type("Request", (), {"user": person, "GET": {}, "resolver_match": None})()
        visible = model_admin.get_queryset(request).filter(**{path: secret.pk if path == "pk" else secret})
        if model_admin.has_view_permission(request):
            assert visible.exists(), (person.username, info)
            checked += 1
    assert checked, f"nobody may view {info}: the test would prove nothing"
