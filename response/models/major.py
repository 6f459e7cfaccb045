"""Major incidents are incidents (`Incident.is_major`, their roles and children live on the row, so
that the incidents' escalation rule and the communications' audience can read them): this proxy
only gives them their own list and page in the admin, and their own view permission."""

from __future__ import annotations

from incidents.models import Incident


class MajorIncident(Incident):
    class Meta:
        proxy = True
        verbose_name = "major incident"
        default_permissions = ("view",)
