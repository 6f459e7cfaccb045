"""Bundles for auditors: what the exporter may see, every file's hash in the manifest, the chain's
heads, and the export itself recorded in the chain; the audit trail admin, read-only."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from compliance.audit import export, verify
from compliance.models import AuditEntry
from core.tests.api_support import assert_constant_queries, count_queries
from incidents import events, roles
from incidents.models import IncidentEvent
from incidents.tests.factories import CategoryFactory, TeamFactory, UserFactory, make_incident

from . import audit_world

reporter, manager, network_category = audit_world.reporter, audit_world.manager, audit_world.network_category
pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", role=roles.AUDITOR)


@pytest.fixture
def confidential_category(db):
    return CategoryFactory(name="HR", default_team=TeamFactory(name="HR desk", slug="hr-desk"), confidential=True)


def files_of(bundle: export.Bundle) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def test_an_incident_bundle_holds_its_rows_and_a_manifest_of_their_hashes(reporter, network_category, auditor):
    incident = make_incident(reporter=reporter, category=network_category)
    bundle = export.incident_bundle(user=auditor, reference=incident.reference.lower())
    files = files_of(bundle)
    assert set(files) == {"incidents.json", "events.json", "history.json", "audit.json", "events.csv",
                          "history.csv", "manifest.json"}
    manifest = json.loads(files["manifest.json"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    assert [i["fields"]["reference"] for i in json.loads(files["incidents.json"])] == [incident.reference]
    audit = json.loads(files["audit.json"])
    assert audit and all(entry["source_matches"] for entry in audit)
    assert manifest["incident_heads"][incident.reference]["hash"] == audit[-1]["incident_hash"]
    assert manifest["chain_head"]["position"] >= audit[-1]["position"]
    # Anyone can recompute an event's content hash from the bundle (docs/audit.md).
    event = json.loads(files["events.json"])[0]
    canonical = json.dumps({k: event[k] for k in ("table", "pk", "fields")}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    entry = next(e for e in audit if e["position"] == event["position"])
    assert hashlib.sha256(canonical.encode()).hexdigest() == entry["content_hash"]
    assert incident.reference in files["events.csv"].decode()


def test_the_export_is_itself_recorded_in_the_chain_with_who_and_what(reporter, network_category, auditor):
    incident = make_incident(reporter=reporter, category=network_category)
    bundle = export.incident_bundle(user=auditor, reference=incident.reference)
    last = AuditEntry.objects.order_by("position").last()
    assert last.table == "audit.access" and last.incident_id == incident.pk
    recorded = json.loads(last.content)["fields"]
    assert (recorded["actor"], recorded["action"]) == ("audrey", "export")
    assert incident.reference in recorded["what"] and bundle.manifest["sha256"] in recorded["detail"]
    assert verify().ok


def test_an_auditor_cannot_export_a_confidential_incident(reporter, confidential_category, auditor, manager):
    secret = make_incident(reporter=reporter, category=confidential_category)
    with pytest.raises(export.ExportRefused, match=f"No incident {secret.reference} that you may see"):
        export.incident_bundle(user=auditor, reference=secret.reference)
    assert export.incident_bundle(user=manager, reference=secret.reference).incidents == 1


def test_a_period_bundle_leaves_out_what_the_exporter_may_not_see(reporter, network_category,
                                                                  confidential_category, auditor):
    open_one = make_incident(reporter=reporter, category=network_category)
    secret = make_incident(reporter=reporter, category=confidential_category)
    now = timezone.now()
    bundle = export.range_bundle(user=auditor, since=now - timedelta(days=1), until=now + timedelta(minutes=1))
    files = files_of(bundle)
    references = {i["fields"]["reference"] for i in json.loads(files["incidents.json"])}
    assert references == {open_one.reference}
    assert secret.pk not in {e["incident_id"] for e in json.loads(files["audit.json"])}
    assert secret.reference not in files["events.csv"].decode() + files["history.csv"].decode()


def test_someone_without_the_export_permission_is_refused(reporter, network_category):
    incident = make_incident(reporter=reporter, category=network_category)
    resolver = UserFactory(username="rob", role=roles.RESOLVER)
    with pytest.raises(export.ExportRefused, match="may not export"):
        export.incident_bundle(user=resolver, reference=incident.reference)


def test_a_period_must_end_after_it_starts(auditor):
    now = timezone.now()
    with pytest.raises(export.ExportRefused, match="end after it starts"):
        export.range_bundle(user=auditor, since=now, until=now - timedelta(days=1))


def test_a_csv_cell_that_looks_like_a_formula_is_defused(reporter, network_category, auditor):
    incident = make_incident(reporter=reporter, category=network_category)
    events.record(incident, kind="comment", message='=HYPERLINK("https://example.com")', notify=False)
    files = files_of(export.incident_bundle(user=auditor, reference=incident.reference))
    assert "'=HYPERLINK" in files["events.csv"].decode()


def test_export_audit_command_writes_the_bundle_as_the_named_user(reporter, network_category, auditor, tmp_path):
    incident = make_incident(reporter=reporter, category=network_category)
    target = tmp_path / "bundle.zip"
    call_command("export_audit", user="audrey", incident=incident.reference, output=str(target))
    assert zipfile.is_zipfile(target)
    day = timezone.localdate().isoformat()
    call_command("export_audit", user="audrey", first=day, last=day, output=str(tmp_path / "day.zip"))
    assert AuditEntry.objects.filter(table="audit.access").count() == 2
    with pytest.raises(CommandError, match="either --incident"):
        call_command("export_audit", user="audrey")


# --- the admin ------------------------------------------------------------------------------------
def test_the_admin_export_of_an_incident_downloads_the_bundle_and_records_it(client, reporter, network_category,
                                                                            manager):
    incident = make_incident(reporter=reporter, category=network_category)
    client.force_login(manager)
    url = reverse("admin:compliance_auditentry_export")
    assert client.get(url).status_code == 200
    response = client.post(url, {"scope": "incident", "reference": incident.reference})
    assert response["Content-Type"] == "application/zip"
    assert f"audit-{incident.reference}.zip" in response["Content-Disposition"]
    assert json.loads(AuditEntry.objects.order_by("position").last().content)["fields"]["actor"] == "maria"
    day = timezone.localdate().isoformat()
    response = client.post(url, {"scope": "range", "first": day, "last": day})
    assert response["Content-Type"] == "application/zip"


def test_the_admin_export_names_an_incident_it_cannot_find(client, manager):
    client.force_login(manager)
    response = client.post(reverse("admin:compliance_auditentry_export"),
                           {"scope": "incident", "reference": "INC-999999"}, follow=True)
    assert "No incident INC-999999 that you may see" in response.content.decode()


def test_a_resolver_may_neither_view_nor_export_the_audit_trail(client):
    client.force_login(UserFactory(username="rob", role=roles.RESOLVER))
    assert client.get(reverse("admin:compliance_auditentry_changelist")).status_code == 403
    assert client.get(reverse("admin:compliance_auditentry_export")).status_code == 403


def test_the_audit_trail_is_read_only_and_hides_what_the_viewer_may_not_see(client, reporter, network_category,
                                                                            confidential_category, auditor):
    seen = make_incident(reporter=reporter, category=network_category)
    secret = make_incident(reporter=reporter, category=confidential_category)
    client.force_login(auditor)
    page = client.get(reverse("admin:compliance_auditentry_changelist"))
    shown = {entry.incident_id for entry in page.context["cl"].result_list}
    assert seen.pk in shown and secret.pk not in shown
    entry = AuditEntry.objects.filter(incident=seen).first()
    change = client.post(reverse("admin:compliance_auditentry_change", args=[entry.pk]), {"hash": "0" * 64})
    assert change.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).hash == entry.hash
    assert client.get(reverse("admin:compliance_auditentry_change", args=[secret_entry(secret)])).status_code == 302


def secret_entry(incident) -> int:
    return AuditEntry.objects.filter(incident=incident).values_list("pk", flat=True).first()


def test_the_audit_trail_list_costs_the_same_queries_for_1_and_50_entries(client, reporter, network_category,
                                                                         manager):
    client.force_login(manager)
    url = reverse("admin:compliance_auditentry_changelist")
    make_incident(reporter=reporter, category=network_category)
    AuditEntry.objects.exclude(pk=AuditEntry.objects.order_by("position").first().pk).delete()
    one, page = count_queries(lambda: client.get(url))
    assert len(page.context["cl"].result_list) == 1
    while AuditEntry.objects.count() < 50:
        make_incident(reporter=reporter, category=network_category)
    many, page = count_queries(lambda: client.get(url))
    assert len(page.context["cl"].result_list) >= 50
    events_only, page = count_queries(lambda: client.get(url, {"table": IncidentEvent._meta.db_table}))
    assert {e.table for e in page.context["cl"].result_list} == {IncidentEvent._meta.db_table}
    assert events_only == many
    assert_constant_queries("admin.compliance.audittrail", one, many)
