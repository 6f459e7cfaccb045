"""The security response's append-only record joins the audit chain: every line of an evidence
item's chain of custody, and every notice to legal or compliance, is an entry of its incident's
chain, so that a custody line rewritten behind the application's back is found like an edited
event."""

from __future__ import annotations

import pytest
from django.db import connection

from compliance.audit import verify
from compliance.models import AuditEntry
from response.models import CustodyEntry
from response.security import services as security
from response.tests.security_support import phishing, phishing_category, sam, sec_team  # noqa: F401 (fixtures)

from . import audit_world

reporter = audit_world.reporter

pytestmark = pytest.mark.django_db


def test_every_custody_line_of_an_evidence_item_is_in_its_incidents_chain(phishing, sam):  # noqa: F811
    evidence = security.collect_note(incident=phishing, user=sam, title="Call with the reporter",
                                     note="She typed her password at 09:12 and noticed at 09:20.")
    security.view(evidence=evidence, user=sam)
    security.hand_over(evidence=evidence, user=sam, to="Forensic Partners", reason="For analysis")

    lines = set(CustodyEntry.objects.filter(evidence=evidence).values_list("pk", flat=True))
    chained = set(AuditEntry.objects.filter(table=CustodyEntry._meta.db_table, incident_id=phishing.pk)
                  .values_list("row_pk", flat=True))
    assert len(lines) == 3 and chained == lines
    assert verify().ok


def test_a_custody_line_rewritten_with_raw_sql_is_found_and_named(phishing, sam):  # noqa: F811
    evidence = security.collect_note(incident=phishing, user=sam, title="Proxy log excerpt",
                                     note="09:12 POST https://login.examp1e.com/ from 10.2.3.4")
    viewed = security.view(evidence=evidence, user=sam)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CustodyEntry._meta.db_table} SET reason = %s WHERE id = %s",
                       ["nobody looked at it", viewed.pk])

    report = verify()
    assert not report.ok
    assert (report.broken.table, report.broken.row_pk) == (CustodyEntry._meta.db_table, viewed.pk)
    assert report.broken.incident_id == phishing.pk
    assert "changed since it was recorded" in report.broken.problem
