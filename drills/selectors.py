"""The drills' reads, through the incidents' visibility rule: a drill is listed and shown to those
who may see its incident for their work."""

from __future__ import annotations

from django.db.models import QuerySet

from incidents.models import Incident

from .models import Drill, DrillStep


def drills_seen_by(user) -> QuerySet[Drill]:
    return (Drill.objects.filter(incident__in=Incident.objects.seen_internally_by(user).values("pk"))
            .select_related("scenario", "incident", "started_by", "ended_by"))


def steps_of(drill: Drill) -> list[DrillStep]:
    return list(drill.steps.select_related("step").order_by("due_at", "pk"))


def drill_of(incident: Incident) -> Drill | None:
    return Drill.objects.filter(incident=incident).select_related("scenario", "started_by").first()
