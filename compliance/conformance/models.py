"""The conformance report's place in the admin and its permission.

The report is computed from the incidents' own record; `ConformanceReport` is a proxy of `Incident`
with no table and only a view permission, so that the admin lists a "SOP conformance" page under
compliance and roles are given it like any other permission (`ComplianceConfig`'s post_migrate grant).
"""

from __future__ import annotations

from incidents.models import Incident


class ConformanceReport(Incident):
    class Meta:
        proxy = True
        app_label = "compliance"
        verbose_name = verbose_name_plural = "SOP conformance"
        default_permissions = ("view",)
