"""The security response as the SOP has it: containment ticked on the timeline with who and when,
evidence hashed at collection and verified on every download, custody of every access, nothing
deleted, notices to legal recorded and sent once, forensics, and the affected customers' updates."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from comms.models import Template, UpdateMessage
from core.errors import WorkflowError
from incidents.models import EventKind, IncidentEvent
from incidents.tests.factories import make_incident
from response.models import (
    ContainmentItem,
    ContainmentStep,
    CustodyAction,
    CustodyEntry,
    Evidence,
    Notice,
    NoticeMessage,
)
from response.security import delivery, services
from response.security.defaults import CONTAINMENT_STEPS

pytestmark = pytest.mark.django_db

LOG = b"2026-12-01T09:14:02Z POST /login user=rita from 203.0.113.7\n" * 50


def log_file(content: bytes = LOG, name: str = "proxy.log") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def notice_template() -> Template:
    return Template.objects.get(name="Notice to legal and compliance (e-mail)")


# --- containment ----------------------------------------------------------------------------------
def test_a_security_incident_gets_the_default_containment_checklist_when_its_category_has_none(phishing):
    services.ensure_steps(phishing)
    assert [s.label for s in ContainmentStep.objects.filter(incident=phishing)] == list(CONTAINMENT_STEPS)
    assert services.ensure_steps(phishing) == 0  # once


def test_a_category_with_its_own_checklist_gives_its_steps_in_order(phishing_category, reporter):
    ContainmentItem.objects.create(category=phishing_category, label="Pull the mail from every inbox", position=2)
    ContainmentItem.objects.create(category=phishing_category, label="Take the fake site down", position=1)
    incident = make_incident(reporter=reporter, category=phishing_category)
    services.ensure_steps(incident)
    assert list(ContainmentStep.objects.filter(incident=incident).values_list("label", flat=True)) == [
        "Take the fake site down", "Pull the mail from every inbox"]


def test_an_incident_that_is_not_security_has_no_checklist(reporter, network_category):
    plain = make_incident(reporter=reporter, category=network_category)
    assert services.ensure_steps(plain) == 0 and not ContainmentStep.objects.filter(incident=plain).exists()


def test_ticking_a_step_records_who_and_when_on_the_step_and_the_timeline(phishing, sam):
    services.ensure_steps(phishing)
    step = ContainmentStep.objects.get(incident=phishing, position=1)
    with time_machine.travel("2026-12-01 09:30:00Z", tick=False):
        services.tick(incident=phishing, step_id=step.pk, user=sam, note="Laptop off the network")
    step.refresh_from_db()
    assert step.done and step.done_by == sam and step.done_at.isoformat() == "2026-12-01T09:30:00+00:00"
    event = IncidentEvent.objects.get(incident=phishing, kind=EventKind.CONTAINMENT)
    assert event.actor == sam and "Isolate affected systems" in event.message and "Laptop off" in event.message


def test_two_analysts_ticking_at_once_are_both_recorded_and_neither_overwrites_the_other(phishing, sam, sofia):
    services.ensure_steps(phishing)
    first, second = ContainmentStep.objects.filter(incident=phishing).order_by("position")[:2]
    services.tick(incident=phishing, step_id=first.pk, user=sam)
    services.tick(incident=phishing, step_id=second.pk, user=sofia)
    with pytest.raises(WorkflowError, match="ticked already, by"):
        services.tick(incident=phishing, step_id=first.pk, user=sofia)
    done = {s.position: s.done_by for s in ContainmentStep.objects.filter(incident=phishing, done=True)}
    assert done == {1: sam, 2: sofia}
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.CONTAINMENT).count() == 2


def test_unticking_is_recorded_too(phishing, sam):
    services.ensure_steps(phishing)
    step = ContainmentStep.objects.get(incident=phishing, position=1)
    services.tick(incident=phishing, step_id=step.pk, user=sam)
    services.tick(incident=phishing, step_id=step.pk, user=sam, done=False, note="Still beaconing")
    assert not ContainmentStep.objects.get(pk=step.pk).done
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.CONTAINMENT,
                                        message__startswith="Unticked").exists()


def test_only_those_who_work_the_security_incident_tick(phishing, resolver, auditor):
    services.ensure_steps(phishing)
    step = ContainmentStep.objects.get(incident=phishing, position=1)
    for outsider in (resolver, auditor):  # the Network team's resolver; an auditor reads, never acts
        with pytest.raises(PermissionDenied):
            services.tick(incident=phishing, step_id=step.pk, user=outsider)


# --- evidence -------------------------------------------------------------------------------------
def test_evidence_file_is_hashed_at_collection_with_size_collector_and_time(phishing, sam):
    field_time = timezone.now() - timedelta(hours=3)
    item = services.collect_file(incident=phishing, user=sam, upload=log_file(), title="Proxy log",
                                 collected_at=field_time)
    assert item.sha256 == hashlib.sha256(LOG).hexdigest() and item.size == len(LOG)
    assert item.collected_by == sam and item.collected_at == field_time and item.holder
    assert item.file.name.startswith(f"evidence/{phishing.reference}/")
    entry = CustodyEntry.objects.get(evidence=item)
    assert entry.action == CustodyAction.COLLECTED and entry.actor == sam
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.EVIDENCE,
                                        message__contains=item.sha256).exists()


def test_evidence_goes_through_the_attachments_checks(phishing, sam):
    with pytest.raises(ValidationError) as refused:
        services.collect_file(incident=phishing, user=sam, upload=log_file(b"MZ\x90\x00", "dropper.exe"),
                              title="Dropper")
    assert "upload" in refused.value.message_dict and not Evidence.objects.exists()


def test_a_collection_time_in_the_future_is_refused(phishing, sam):
    with pytest.raises(ValidationError) as refused:
        services.collect_note(incident=phishing, user=sam, title="Call", note="She clicked",
                              collected_at=timezone.now() + timedelta(days=1))
    assert "collected_at" in refused.value.message_dict


def test_evidence_download_verifies_the_hash_and_says_it_matched(phishing, sam):
    item = services.collect_file(incident=phishing, user=sam, upload=log_file(), title="Proxy log")
    result = services.verify_for_download(evidence=item, user=sam)
    assert result.matched and result.sha256 == item.sha256
    entry = CustodyEntry.objects.filter(evidence=item).latest("pk")
    assert entry.action == CustodyAction.DOWNLOADED and entry.hash_ok is True and entry.actor == sam


def test_the_download_serves_the_bytes_it_verified_even_if_storage_changes_after_the_check(phishing, sam):
    original = b"09:12 POST https://login.examp1e.com/ user=rita\n" * 40
    item = services.collect_file(incident=phishing, user=sam, upload=log_file(original), title="Proxy log")
    result = services.verify_for_download(evidence=item, user=sam)
    assert result.matched
    with open(item.file.path, "r+b") as stored:  # changed between the check and the sending
        stored.write(b"X" * 20)
    assert result.content.read() == original
    result.content.close()


def test_evidence_download_with_tampered_file_says_the_hash_does_not_match(phishing, sam):
    item = services.collect_file(incident=phishing, user=sam, upload=log_file(), title="Proxy log")
    with open(item.file.path, "r+b") as stored:  # someone edits the stored copy
        stored.seek(10)
        stored.write(b"X")
    result = services.verify_for_download(evidence=item, user=sam)
    assert not result.matched and result.sha256 != item.sha256
    entry = CustodyEntry.objects.filter(evidence=item).latest("pk")
    assert entry.action == CustodyAction.REFUSED and entry.hash_ok is False and entry.sha256 == result.sha256
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.EVIDENCE,
                                        message__contains="failed its hash check").exists()


def test_a_note_is_evidence_too_hashed_as_its_text(phishing, sam):
    item = services.collect_note(incident=phishing, user=sam, title="Call with Rita", note="She typed her password")
    assert item.sha256 == hashlib.sha256(b"She typed her password").hexdigest() and not item.file


def test_evidence_is_never_deleted_only_superseded_with_a_reason(phishing, sam):
    wrong = services.collect_note(incident=phishing, user=sam, title="Headers", note="From: it-support@examp1e.com")
    right = services.collect_note(incident=phishing, user=sam, title="Headers (full)", note="Received: ...")
    with pytest.raises(models.ProtectedError):
        wrong.delete()
    with pytest.raises(models.ProtectedError):
        phishing.delete()  # a security record is under hold: its incident cannot go either
    with pytest.raises(ValidationError):
        services.supersede(evidence=wrong, replacement=right, user=sam, reason="")
    services.supersede(evidence=wrong, replacement=right, user=sam, reason="Only part of the headers")
    wrong.refresh_from_db()
    assert wrong.superseded_by == right and Evidence.objects.count() == 2
    assert CustodyEntry.objects.filter(evidence=wrong, action=CustodyAction.SUPERSEDED).exists()
    with pytest.raises(WorkflowError):
        services.supersede(evidence=wrong, replacement=right, user=sam, reason="again")


def test_a_hand_over_logs_from_whom_to_whom_and_why(phishing, sam):
    item = services.collect_file(incident=phishing, user=sam, upload=log_file(), title="Proxy log")
    before = item.holder
    services.hand_over(evidence=item, user=sam, to="Mandiant, J. Doe", reason="For analysis")
    entry = CustodyEntry.objects.get(evidence=item, action=CustodyAction.HANDED_OVER)
    assert (entry.from_holder, entry.to_holder, entry.reason) == (before, "Mandiant, J. Doe", "For analysis")
    assert Evidence.objects.get(pk=item.pk).holder == "Mandiant, J. Doe"


def test_every_access_to_evidence_is_a_line_of_its_custody(phishing, sam, sofia):
    item = services.collect_file(incident=phishing, user=sam, upload=log_file(), title="Proxy log")
    newer = services.collect_note(incident=phishing, user=sam, title="Proxy log summary", note="3 requests")
    services.view(evidence=item, user=sofia)
    services.verify_for_download(evidence=item, user=sofia)
    services.hand_over(evidence=item, user=sam, to="Sofia Silva", reason="Correlation")
    services.supersede(evidence=item, replacement=newer, user=sofia, reason="Summarised")
    assert list(CustodyEntry.objects.filter(evidence=item).order_by("pk").values_list("action", "actor__username")) == [
        ("collected", "sam"), ("viewed", "sofia"), ("downloaded", "sofia"), ("handed_over", "sam"),
        ("superseded", "sofia")]


# --- notices, forensics ---------------------------------------------------------------------------
def test_a_notice_to_legal_is_recorded_and_sent_exactly_once(phishing, sam, legal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.send_notice(incident=phishing, user=sam, role="legal", template=notice_template(),
                                      note="Rita's mailbox was read for an hour.")
    assert notice.sent_by == sam and phishing.reference in notice.subject and "Rita's mailbox" in notice.body
    assert list(NoticeMessage.objects.filter(notice=notice).values_list("recipient", flat=True)) == ["legal@example.com"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["legal@example.com"]
    assert delivery.send_notice(notice.pk) == 0  # a retried task sends nothing twice
    assert len(mail.outbox) == 1 and NoticeMessage.objects.get(notice=notice).sent_at is not None
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.NOTICE, actor=sam).exists()


def test_a_notice_with_nobody_configured_is_refused_and_says_where_to_configure(phishing, sam):
    with pytest.raises(ValidationError, match="Notice recipients"):
        services.send_notice(incident=phishing, user=sam, role="legal", template=notice_template())
    assert not Notice.objects.exists()


def test_a_notice_to_a_group_reaches_its_active_members(phishing, sam, manager):
    from django.contrib.auth.models import Group

    from response.models import NoticeRecipient

    group = Group.objects.create(name="Legal team")
    manager.groups.add(group)
    NoticeRecipient.objects.create(role="compliance", name="Compliance officers", group=group)
    notice = services.send_notice(incident=phishing, user=sam, role="compliance", template=notice_template())
    assert list(notice.messages.values_list("recipient", flat=True)) == [manager.email]


def test_forensics_engaged_is_on_the_timeline(phishing, sofia):
    services.engage_forensics(incident=phishing, user=sofia, firm="Mandiant", contact="J. Doe", reference="MX-1234")
    event = IncidentEvent.objects.get(incident=phishing, kind=EventKind.FORENSICS)
    assert event.actor == sofia and "Mandiant" in event.message and "MX-1234" in event.message


def test_forensics_without_a_firm_is_refused(phishing, sofia):
    with pytest.raises(ValidationError) as refused:
        services.engage_forensics(incident=phishing, user=sofia, firm=" ")
    assert "firm" in refused.value.message_dict


# --- affected customers ---------------------------------------------------------------------------
def test_a_customer_update_reaches_exactly_the_affected_customers(
        phishing, sam, manager, django_capture_on_commit_callbacks):
    from incidents import services as incidents

    incidents.comment_add(incident=phishing, author=sam, body="Internal: the attacker used VPN exit 203.0.113.7",
                          public=False)
    services.add_customer(incident=phishing, user=sam, name="Acme Ltd", email="Security@Acme.example")
    services.add_customer(incident=phishing, user=sam, name="Globex", email="it@globex.example")
    template = Template.objects.get(name="Update to affected customers (e-mail)")
    with django_capture_on_commit_callbacks(execute=True):
        update = services.post_customer_update(incident=phishing, user=manager, template=template,
                                               text="Please change your password.")
    rows = UpdateMessage.objects.filter(update=update)
    assert sorted(rows.values_list("recipient", flat=True)) == ["it@globex.example", "security@acme.example"]
    assert set(rows.values_list("audience", flat=True)) == {"customers"}
    assert sorted(m.to[0] for m in mail.outbox) == ["it@globex.example", "security@acme.example"]
    assert all("203.0.113.7" not in m.body and "change your password" in m.body for m in mail.outbox)


def test_a_customer_update_with_no_customer_listed_is_refused(phishing, manager):
    template = Template.objects.get(name="Update to affected customers (e-mail)")
    with pytest.raises(ValidationError) as refused:
        services.post_customer_update(incident=phishing, user=manager, template=template)
    assert "to_customers" in refused.value.message_dict


def test_a_customer_listed_twice_is_refused(phishing, sam):
    services.add_customer(incident=phishing, user=sam, name="Acme", email="it@acme.example")
    with pytest.raises(ValidationError, match="listed already"):
        services.add_customer(incident=phishing, user=sam, name="Acme again", email="IT@acme.example")


def test_security_actions_on_an_incident_that_is_not_security_are_refused(reporter, network_category, manager):
    plain = make_incident(reporter=reporter, category=network_category)
    with pytest.raises(WorkflowError, match="not a security incident"):
        services.collect_note(incident=plain, user=manager, title="x", note="y")


@pytest.mark.django_db(transaction=True)
def test_two_analysts_ticking_the_same_moment_on_postgresql_lose_nothing(require_postgres, phishing, sam, sofia):
    """Real concurrency: both steps ticked at once are both kept; the same step ticked by both at
    once is kept once, and the other is told who ticked it."""
    import threading

    from django.db import connection

    services.ensure_steps(phishing)
    first, second = ContainmentStep.objects.filter(incident=phishing).order_by("position")[:2]
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def tick(step, user):
        try:
            barrier.wait()
            services.tick(incident=phishing, step_id=step.pk, user=user)
            outcomes.append("ticked")
        except WorkflowError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=tick, args=args)
               for args in ((first, sam), (second, sofia), (first, sofia), (second, sam))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "ticked", "ticked"]
    assert ContainmentStep.objects.filter(incident=phishing, done=True).count() == 2
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.CONTAINMENT).count() == 2


def test_every_custody_line_is_told_after_commit_for_the_audit_chain_above(
        phishing, sam, django_capture_on_commit_callbacks):
    from response.security.signals import evidence_accessed

    heard: list[str] = []

    def listener(sender, action, evidence_id, **kwargs):
        heard.append(action)

    evidence_accessed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            item = services.collect_note(incident=phishing, user=sam, title="Call", note="x")
        with django_capture_on_commit_callbacks(execute=True):
            services.verify_for_download(evidence=item, user=sam)
    finally:
        evidence_accessed.disconnect(listener)
    assert heard == ["collected", "downloaded"]
