"""Posting an update: it reaches every stakeholder of the audiences chosen once, restarts the P1/P2
update cadence, is on the timeline and in the communication log; confidential incidents keep their
internal updates to those who may read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from comms import delivery, services, stakeholders
from comms.models import Audience, ServiceOwner, Stakeholder, Template, Update, UpdateMessage
from core import outbox
from incidents import mail_ids, roles
from incidents import services as incidents
from incidents.models import EventKind, Service
from incidents.tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def p1(reporter, network_category, network_team, resolver):
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high",
                             summary="VPN down for everyone")
    incident.service = Service.objects.create(name="VPN")
    incident.save()
    network_team.email = "network@example.com"
    network_team.save()
    ServiceOwner.objects.create(service=incident.service, team=network_team)
    return incidents.transition(incident=incident.pk, user=resolver, name="start", assignee=resolver)


def addresses(update: Update) -> dict[str, str]:
    return dict(update.messages.values_list("recipient", "audience"))


def test_an_update_reaches_the_reporter_the_service_owners_and_for_a_p1_the_managers(
        p1, resolver, manager, reporter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        update = services.post_update(incident=p1, author=resolver, subject="Still down",
                                      body="The tunnel concentrator is being replaced.",
                                      to_internal=True, to_external=True)

    assert addresses(update) == {
        "network@example.com": "internal",  # the owning team's address
        manager.email: "internal",
        reporter.email: "external",
    }
    assert sorted(message.to[0] for message in mail.outbox) == sorted(addresses(update))
    sent = mail.outbox[0]
    assert sent.subject == f"[{p1.reference}] Still down"
    assert sent.extra_headers["References"] == mail_ids.thread_root(p1.reference)
    assert mail_ids.is_ours(sent.extra_headers["Message-ID"])
    assert not UpdateMessage.objects.filter(sent_at__isnull=True).exists()


def test_only_the_chosen_audiences_hear_it(p1, resolver, reporter):
    update = services.post_update(incident=p1, author=resolver, body="Internal only.", to_internal=True)
    assert reporter.email not in addresses(update)
    update = services.post_update(incident=p1, author=resolver, body="For users.", to_external=True)
    assert addresses(update) == {reporter.email: "external"}


def test_an_update_restarts_the_p1_update_cadence_and_is_on_the_timeline(p1, resolver):
    p1.refresh_from_db()
    due_before = p1.update_due_at
    later = timezone.now() + timedelta(minutes=20)
    import time_machine

    with time_machine.travel(later, tick=False):
        services.post_update(incident=p1, author=resolver, body="Replacing the concentrator.", to_external=True)
    p1.refresh_from_db()
    assert p1.last_update_at == later
    assert p1.update_due_at == later + timedelta(minutes=30) and p1.update_due_at > due_before
    [event] = p1.events.filter(kind=EventKind.UPDATE)
    assert event.public and event.actor == resolver and "Replacing the concentrator." in event.message


def test_a_duplicate_task_or_the_relay_sends_nothing_twice(p1, resolver, manager):
    update = services.post_update(incident=p1, author=resolver, body="Once.", to_internal=True, to_external=True)
    assert delivery.send_update(update.pk) == 3
    assert delivery.send_update(update.pk) == 0
    assert outbox.relay(now=timezone.now() + timedelta(minutes=5))["stakeholder updates"] == 0
    assert len([m for m in mail.outbox if m.subject == update.subject]) == 3


def test_messages_whose_task_was_lost_are_queued_again_by_the_relay(p1, resolver):
    update = services.post_update(incident=p1, author=resolver, body="Lost task.", to_external=True)
    relayed = outbox.relay(now=timezone.now() + timedelta(minutes=5))
    assert relayed["stakeholder updates"] == 1
    assert update.messages.get().sent_at is not None  # eager Celery ran the relayed task


def test_hand_added_stakeholders_hear_their_audience(p1, resolver, other_reporter):
    services.add_stakeholder(incident=p1, by=resolver, audience=Audience.EXTERNAL, email="CFO@Example.com")
    services.add_stakeholder(incident=p1, by=resolver, audience=Audience.EXTERNAL, user=other_reporter)
    with pytest.raises(ValidationError, match="already hears"):
        services.add_stakeholder(incident=p1, by=resolver, audience=Audience.EXTERNAL, email="cfo@example.com")
    update = services.post_update(incident=p1, author=resolver, body="x", to_external=True)
    assert {"cfo@example.com", other_reporter.email} <= set(addresses(update))


def test_a_confidential_incidents_internal_updates_reach_only_those_who_may_read_it(
        reporter, security_category, security_team, manager, platform_team):
    investigator = UserFactory(username="sam", role=roles.RESOLVER, team=security_team)
    outsider = UserFactory(username="paula", role=roles.RESOLVER, team=platform_team)
    incident = make_incident(reporter=reporter, category=security_category, impact="high", urgency="high",
                             summary="Phishing campaign")
    incident = incidents.transition(incident=incident.pk, user=manager, name="triage")
    assert incident.confidential
    for refused in ({"user": outsider}, {"team": platform_team}, {"email": "press@example.com"}):
        with pytest.raises(ValidationError):
            services.add_stakeholder(incident=incident, by=manager, audience=Audience.INTERNAL, **refused)
    services.add_stakeholder(incident=incident, by=manager, audience=Audience.INTERNAL, user=investigator)
    Stakeholder.objects.create(incident=incident, team=platform_team, audience=Audience.INTERNAL)  # slipped in

    update = services.post_update(incident=incident, author=manager, body="Contained.", to_internal=True)

    assert outsider.email not in addresses(update) and "platform@example.com" not in addresses(update)
    assert investigator.email in addresses(update)
    with pytest.raises(ValidationError, match="never on the status page"):
        services.post_update(incident=incident, author=manager, body="x", to_status_page=True)


def test_only_those_who_work_on_it_post_and_nothing_is_half_saved(p1, other_resolver, reporter, resolver):
    with pytest.raises(PermissionDenied):
        services.post_update(incident=p1, author=other_resolver, body="Not mine.", to_external=True)
    with pytest.raises(PermissionDenied):
        services.post_update(incident=p1, author=reporter, body="Me.", to_external=True)
    with pytest.raises(ValidationError) as refused:
        services.post_update(incident=p1, author=resolver, body="  ")
    assert set(refused.value.message_dict) == {"body", "to_internal"}
    assert not Update.objects.exists() and not p1.events.filter(kind=EventKind.UPDATE).exists()


def test_the_audience_says_why_each_recipient_hears_it(p1, network_team):
    why = {r.address: r.why for r in stakeholders.audience(p1)}
    assert why["network@example.com"] == "owns the service" and why["rita@example.com"] == "reported it"
    network_team.email = ""
    network_team.save()
    why = {r.address: r.why for r in stakeholders.audience(p1)}
    assert why["nick@example.com"] == "owns the service (Network)"  # a team without an address: its members


# --- the admin ---------------------------------------------------------------------------------------
def test_post_an_update_from_the_incident_page_with_a_template(client, p1, resolver, reporter):
    client.force_login(resolver)
    page = client.get(reverse("admin:incidents_incident_change", args=[p1.pk])).content.decode()
    assert "Post an update" in page
    form_url = reverse("admin:comms_update_add") + f"?incident={p1.reference}"
    form = client.get(form_url)
    assert form.status_code == 200
    body = form.context["form"].initial["body"]
    assert "VPN down for everyone" in body  # the status update template, filled for this incident
    assert "reported it" in form.content.decode()

    response = client.post(form_url, {"incident": p1.reference, "subject": "Update", "body": body + "\nETA 2pm.",
                                      "to_external": "on", "_send": "1"})

    assert response.status_code == 302
    update = Update.objects.get()
    assert update.body.endswith("ETA 2pm.") and addresses(update) == {reporter.email: "external"}
    log = client.get(reverse("admin:comms_update_changelist")).content.decode()
    assert p1.reference in log


def test_a_refused_update_keeps_what_was_typed(client, p1, resolver):
    client.force_login(resolver)
    url = reverse("admin:comms_update_add") + f"?incident={p1.reference}"
    page = client.post(url, {"incident": p1.reference, "body": "A long careful text.", "_send": "1"})
    assert page.status_code == 200 and "Choose who hears it" in page.content.decode()
    assert "A long careful text." in page.content.decode()
    assert not Update.objects.exists()


def test_someone_who_may_not_see_the_incident_cannot_open_its_update_form(client, p1, other_resolver):
    client.force_login(other_resolver)
    url = reverse("admin:comms_update_add") + f"?incident={p1.reference}"
    assert client.get(url).status_code in (403, 404)


def test_the_communication_log_costs_the_same_queries_for_1_and_50_updates(client, p1, resolver, manager):
    from core.tests.api_support import assert_constant_queries, count_queries

    services.post_update(incident=p1, author=resolver, body="0", to_external=True)
    client.force_login(manager)
    url = reverse("admin:comms_update_changelist")
    one, _ = count_queries(lambda: client.get(url))
    for n in range(1, 50):
        services.post_update(incident=p1, author=resolver, body=str(n), to_internal=True)
    many, response = count_queries(lambda: client.get(url))
    assert len(response.context["cl"].result_list) == 50
    assert_constant_queries("admin.comms.updates", one, many)


def test_the_default_update_template_fills_for_a_real_incident(p1):
    template = Template.objects.get(name="Status update (e-mail)")
    assert p1.reference in template.render(p1).subject


def test_the_reminder_of_a_missed_update_links_to_the_form_with_the_template_ready(
        client, reporter, resolver, network_category, manager, django_capture_on_commit_callbacks):
    import time_machine

    from incidents.sla.tests.sla_support import MONDAY_10, claim, only_rules, open_incident, sweep

    only_rules("P1/P2 stakeholder update overdue: incident manager")
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        incident = claim(open_incident(1, reporter=reporter, category=network_category), resolver)
        traveller.shift(timedelta(minutes=31))
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
    [reminder] = [m for m in mail.outbox if manager.email in m.to]
    path = f"/admin/comms/update/add/?incident={incident.reference}&purpose=update"
    assert "The stakeholder update is overdue" in reminder.body and path in reminder.body

    client.force_login(manager)
    form = client.get(path)
    assert form.status_code == 200
    assert form.context["form"].initial["template"] == Template.objects.get(name="Status update (e-mail)").pk
