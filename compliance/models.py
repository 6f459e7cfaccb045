"""Who changed who may do what: the history of every user account and of every group.

A role is a group, so a user's group membership is their access (an incident manager sees every
confidential incident); a group's permissions are what the role may do. Both are recorded like
the incident's own history: each change a row, with who made it and when. Sign-ins and failed
sign-ins are django-axes' access and failure logs (`itsm.settings`, AXES_*).

The password hash is never copied into history, and `last_login` is left out (it changes on every
sign-in, which the access log records anyway).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from simple_history import register

from .conformance.models import ConformanceReport  # noqa: F401  (the conformance report's page and permission)
from .metrics.models import SlaMetrics  # noqa: F401  (the SLA metrics' admin page and permission)

register(get_user_model(), app=__package__, m2m_fields=["groups", "user_permissions"],
         excluded_fields=["password", "last_login"])
register(Group, app=__package__, m2m_fields=["permissions"])


class AuditEntry(models.Model):
    """One link of the tamper-evident audit chain (`compliance.audit`).

    Every incident event and every history row of the incidents and reviews apps gets one, written
    in the transaction that wrote the row; so does every export and evidence download
    (`record_access`), whose content is kept here since it has no row of its own. All entries form
    one global chain in `position` order, and those of an incident also form the incident's own.
    """

    position = models.PositiveBigIntegerField(unique=True, help_text="Place in the global chain, from 1.")
    recorded_at = models.DateTimeField(db_index=True)
    table = models.CharField(max_length=100, help_text="The database table of the row recorded.")
    row_pk = models.BigIntegerField(null=True, blank=True, help_text="Its primary key.")
    # No database constraint: an entry outlives what it records, and linking must not take a key
    # lock on the incident row at commit time (see docs/audit.md, "Locks").
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
        related_name="+",
    )
    incident_position = models.PositiveIntegerField(null=True, blank=True)
    content = models.TextField(blank=True, help_text="The canonical content, for entries with no row of their own.")
    content_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    incident_prev_hash = models.CharField(max_length=64, blank=True)
    incident_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        constraints = [
            models.UniqueConstraint(fields=["incident", "incident_position"], name="audit_incident_position"),
        ]
        indexes = [models.Index(fields=["table", "row_pk"], name="audit_row")]
        permissions = [("export_audit", "Can export audit bundles")]

    def __str__(self) -> str:
        return f"#{self.position} {self.table} {self.row_pk or ''}".strip()
