"""The metrics' place in the admin and their permission.

The figures are read from the incidents themselves; `SlaMetrics` is a proxy of `Incident` with no
table and only a view permission, so that the admin lists an "SLA metrics" page under compliance
and a role is given it like any other permission (`ComplianceConfig`'s post_migrate grant).
"""

from __future__ import annotations

from incidents.models import Incident


class SlaMetrics(Incident):
    class Meta:
        proxy = True
        app_label = "compliance"
        verbose_name = verbose_name_plural = "SLA metrics"
        # Viewing the figures and exporting the period's incidents; nothing here is written.
        default_permissions = ("view",)
