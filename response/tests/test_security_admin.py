"""The security response in the admin: the panel on a security incident's page, its forms (errors
keep what was typed), the evidence page and download (the hash verified, a tampered file refused
with 409), and the read-only lists, each held to the visibility rule at a constant query count."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tests.api_support import assert_constant_queries, count_queries
from incidents.models import EventKind, IncidentEvent
from incidents.tests.factories import make_incident
from response.models import ContainmentStep, CustodyAction, CustodyEntry, Evidence
from response.security import services

pytestmark = pytest.mark.django_db


def incident_page(incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def action(incident, name: str) -> str:
    return reverse("admin:response_security_action", args=[incident.pk, name])


def test_the_security_panel_shows_checklist_evidence_notices_forensics_and_customers(client, phishing, sam):
    services.collect_note(incident=phishing, user=sam, title="Call with Rita", note="She typed it in")
    client.force_login(sam)
    html = client.get(incident_page(phishing)).content.decode()
    for expected in ("Security response", "Containment (0 of 6 done)", "Isolate affected systems", "Call with Rita",
                     "Notify legal or compliance", "Record forensics engaged", "List an affected customer"):
        assert expected in html, expected


def test_an_auditor_never_gets_the_panels_forms(client, phishing, auditor):
    """Auditors read what the visibility rule lets them read (a security incident is confidential);
    acting on it is never theirs."""
    client.force_login(auditor)
    response = client.get(incident_page(phishing))
    assert response.status_code in (200, 302, 403, 404)
    assert "Notify legal or compliance" not in response.content.decode()
    assert client.post(action(phishing, "note"), {"title": "x", "note": "y"}).status_code in (403, 404)


def test_ticking_from_the_panel_puts_who_on_the_timeline(client, phishing, sam):
    services.ensure_steps(phishing)
    step = ContainmentStep.objects.get(incident=phishing, position=1)
    client.force_login(sam)
    response = client.post(reverse("admin:response_security_tick", args=[phishing.pk, step.pk, "tick"]),
                           {"note": "Unplugged"})
    assert response.status_code == 302
    assert IncidentEvent.objects.filter(incident=phishing, kind=EventKind.CONTAINMENT, actor=sam).exists()
    again = client.post(reverse("admin:response_security_tick", args=[phishing.pk, step.pk, "tick"]), {"note": "x"})
    assert again.status_code == 400 and "ticked already" in again.content.decode()


def test_a_refused_form_keeps_what_was_typed(client, phishing, sam):
    client.force_login(sam)
    response = client.post(action(phishing, "forensics"), {"firm": "", "contact": "J. Doe at Mandiant",
                                                           "reference": "MX-1234"})
    html = response.content.decode()
    assert response.status_code == 400 and "J. Doe at Mandiant" in html and "MX-1234" in html


def test_someone_outside_the_security_team_cannot_act_or_see(client, phishing, resolver):
    client.force_login(resolver)
    response = client.post(action(phishing, "note"), {"title": "x", "note": "y"})
    assert response.status_code in (403, 404) and not Evidence.objects.exists()


def test_evidence_collected_from_the_panel_is_hashed(client, phishing, sam):
    client.force_login(sam)
    upload = SimpleUploadedFile("mail.txt", b"Received: from evil.example\n", content_type="text/plain")
    response = client.post(action(phishing, "file"), {"title": "The phishing mail", "upload": upload})
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert item.size == 28 and len(item.sha256) == 64


def test_evidence_page_is_a_line_of_custody(client, phishing, sam):
    item = services.collect_note(incident=phishing, user=sam, title="Call", note="She typed it in")
    client.force_login(sam)
    response = client.get(reverse("admin:response_evidence_change", args=[item.pk]))
    assert response.status_code == 200 and item.sha256 in response.content.decode()
    assert CustodyEntry.objects.filter(evidence=item, action=CustodyAction.VIEWED, actor=sam).exists()


def test_evidence_download_says_the_hash_matched(client, phishing, sam):
    item = services.collect_file(incident=phishing, user=sam, title="Log",
                                 upload=SimpleUploadedFile("proxy.log", b"GET /login\n" * 10, "text/plain"))
    client.force_login(sam)
    response = client.get(reverse("admin:response_security_download", args=[item.pk]))
    assert response.status_code == 200
    assert response["X-Evidence-SHA256-Verified"] == "match" and response["X-Evidence-SHA256"] == item.sha256
    assert b"".join(response.streaming_content) == b"GET /login\n" * 10


def test_evidence_download_with_tampered_file_is_refused_with_a_clear_page(client, phishing, sam):
    item = services.collect_file(incident=phishing, user=sam, title="Log",
                                 upload=SimpleUploadedFile("proxy.log", b"GET /login\n" * 10, "text/plain"))
    with open(item.file.path, "ab") as stored:
        stored.write(b"GET /cover-tracks\n")
    client.force_login(sam)
    response = client.get(reverse("admin:response_security_download", args=[item.pk]))
    assert response.status_code == 409 and "the hash does not match" in response.content.decode()
    assert CustodyEntry.objects.filter(evidence=item, action=CustodyAction.REFUSED, hash_ok=False).exists()


def test_evidence_has_no_delete_in_the_admin(client, phishing, sam, manager):
    item = services.collect_note(incident=phishing, user=sam, title="Call", note="x")
    client.force_login(manager)
    response = client.post(reverse("admin:response_evidence_delete", args=[item.pk]), {"post": "yes"})
    assert response.status_code in (403, 404) and Evidence.objects.filter(pk=item.pk).exists()


def test_a_notice_sent_from_the_panel(client, phishing, sam, legal):
    from comms.models import Template

    template = Template.objects.get(name="Notice to legal and compliance (e-mail)")
    client.force_login(sam)
    response = client.post(action(phishing, "notice"), {"role": "legal", "template": template.pk, "note": "FYI"})
    assert response.status_code == 302 and phishing.notices.get().sent_by == sam


def _evidence(incident, user, count: int) -> None:
    for n in range(count):
        services.collect_note(incident=incident, user=user, title=f"Note {n}", note=f"Observation {n}")


@pytest.mark.parametrize("name", ["response_evidence_changelist", "response_custodyentry_changelist",
                                  "response_notice_changelist", "response_forensicsengagement_changelist"])
def test_the_security_lists_cost_the_same_for_one_row_as_for_fifty(client, phishing, sam, legal, name):
    from comms.models import Template

    template = Template.objects.get(name="Notice to legal and compliance (e-mail)")

    def rows(count: int) -> None:
        _evidence(phishing, sam, count)
        for n in range(count):
            services.send_notice(incident=phishing, user=sam, role="legal", template=template, note=str(n))
            services.engage_forensics(incident=phishing, user=sam, firm=f"Firm {n}")

    client.force_login(sam)
    url = reverse(f"admin:{name}")
    rows(1)
    one, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200
    rows(49)
    fifty, response = count_queries(lambda: client.get(url))
    assert response.status_code == 200
    assert_constant_queries(f"admin.response.{name.split('_')[1]}", one, fifty)


def test_the_evidence_list_shows_only_what_the_user_may_read(client, phishing, sam, resolver, reporter,
                                                             network_category):
    _evidence(phishing, sam, 1)
    client.force_login(resolver)  # not the security team
    response = client.get(reverse("admin:response_evidence_changelist"))
    assert response.status_code == 200 and "Note 0" not in response.content.decode()
    client.force_login(sam)
    assert "Note 0" in client.get(reverse("admin:response_evidence_changelist")).content.decode()


def test_the_panel_costs_the_same_for_one_item_as_for_fifty(client, phishing, sam):
    client.force_login(sam)
    _evidence(phishing, sam, 1)
    client.get(incident_page(phishing))  # materialises the checklist
    with CaptureQueriesContext(connection) as one:
        assert client.get(incident_page(phishing)).status_code == 200
    _evidence(phishing, sam, 49)
    with CaptureQueriesContext(connection) as fifty:
        assert client.get(incident_page(phishing)).status_code == 200
    assert len(fifty) == len(one)


def test_an_incident_that_is_not_security_shows_no_security_panel(client, reporter, network_category, manager):
    plain = make_incident(reporter=reporter, category=network_category)
    client.force_login(manager)
    assert "Security response" not in client.get(incident_page(plain)).content.decode()


def test_the_configuration_lists_cost_the_same_for_one_row_as_for_fifty(client, manager, phishing_category):
    from django.contrib.auth.models import Group

    from response.models import ContainmentItem, NoticeRecipient

    def rows(start: int, count: int) -> None:
        for n in range(start, start + count):
            ContainmentItem.objects.create(category=phishing_category, label=f"Step {n}", position=n)
            NoticeRecipient.objects.create(role="legal", name=f"Counsel {n}",
                                           group=Group.objects.create(name=f"Counsel group {n}"))

    client.force_login(manager)
    for name in ("containmentitem", "noticerecipient"):
        ContainmentItem.objects.all().delete()
        NoticeRecipient.objects.all().delete()
        Group.objects.filter(name__startswith="Counsel group").delete()
        url = reverse(f"admin:response_{name}_changelist")
        rows(0, 1)
        one, response = count_queries(lambda url=url: client.get(url))
        assert response.status_code == 200
        rows(1, 49)
        fifty, response = count_queries(lambda url=url: client.get(url))
        assert response.status_code == 200
        assert_constant_queries(f"admin.response.{name}", one, fifty)
