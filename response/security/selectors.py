"""Reads of the security response, shared by the incident's panel, the admin lists and the
communications' "affected customers" audience. Each reads its rows in a fixed number of queries,
however many steps, items or custody lines there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from incidents.models import Incident

from ..models import (
    AffectedCustomer,
    ContainmentStep,
    CustodyEntry,
    Evidence,
    ForensicsEngagement,
    Notice,
    NoticeMessage,
    NoticeRecipient,
)


@dataclass(frozen=True)
class SecurityRecord:
    incident: Incident
    steps: list[ContainmentStep]
    evidence: list[Evidence]
    notices: list[Notice]
    forensics: list[ForensicsEngagement]
    customers: list[AffectedCustomer]

    @property
    def contained(self) -> tuple[int, int]:
        """(steps ticked, steps)."""
        return sum(1 for step in self.steps if step.done), len(self.steps)


def security_record(incident: Incident) -> SecurityRecord:
    """Everything of the incident's security response, for its page: six queries in all."""
    custody = CustodyEntry.objects.select_related("actor").order_by("at", "pk")
    return SecurityRecord(
        incident=incident,
        steps=list(ContainmentStep.objects.filter(incident=incident).select_related("done_by").order_by("position")),
        evidence=list(Evidence.objects.filter(incident=incident).select_related("collected_by", "superseded_by")
                      .prefetch_related(Prefetch("custody", queryset=custody)).order_by("recorded_at", "pk")),
        notices=list(Notice.objects.filter(incident=incident).select_related("sent_by", "template")
                     .prefetch_related(Prefetch("messages", queryset=NoticeMessage.objects.order_by("pk")))
                     .order_by("created_at", "pk")),
        forensics=list(ForensicsEngagement.objects.filter(incident=incident).select_related("engaged_by")
                       .order_by("engaged_at", "pk")),
        customers=list(AffectedCustomer.objects.filter(incident=incident).order_by("name", "pk")),
    )


def evidence_item(user, evidence_id: int) -> Evidence | None:
    """One item, if `user` reads its incident's whole record (the visibility rule, in SQL)."""
    return (Evidence.objects.filter(pk=evidence_id, incident__in=Incident.objects.seen_internally_by(user),
                                    incident__security=True)
            .select_related("incident", "collected_by", "superseded_by").first())


def evidence_seen_by(user) -> QuerySet[Evidence]:
    """The evidence of every security incident `user` reads, for the admin's list."""
    return Evidence.objects.filter(incident__in=Incident.objects.seen_internally_by(user))


def custody_seen_by(user) -> QuerySet[CustodyEntry]:
    return CustodyEntry.objects.filter(evidence__incident__in=Incident.objects.seen_internally_by(user))


def notices_seen_by(user) -> QuerySet[Notice]:
    return Notice.objects.filter(incident__in=Incident.objects.seen_internally_by(user))


def forensics_seen_by(user) -> QuerySet[ForensicsEngagement]:
    return ForensicsEngagement.objects.filter(incident__in=Incident.objects.seen_internally_by(user))


def notice_addresses(role: str) -> list[str]:
    """Where a notice to `role` goes: each active recipient's address, or its group's active members'
    addresses, once each (two queries)."""
    rows = list(NoticeRecipient.objects.filter(role=role, active=True).order_by("pk"))
    addresses = [row.email.strip().lower() for row in rows if row.email]
    groups = [row.group_id for row in rows if row.group_id]
    if groups:
        addresses += [address.strip().lower() for address in
                      get_user_model().objects.filter(groups__in=groups, is_active=True).exclude(email="")
                      .order_by("pk").values_list("email", flat=True)]
    return list(dict.fromkeys(addresses))


def customer_addresses(incident: Incident) -> list[tuple[str, str]]:
    """(name, address) of each affected customer: the communications' "affected customers"."""
    return list(AffectedCustomer.objects.filter(incident=incident).order_by("name", "pk").values_list("name", "email"))
