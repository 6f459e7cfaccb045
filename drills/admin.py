"""Drills in the admin: scenarios with their scripted steps, starting a drill from one, and the
drill's page (its incident, steps done and pending, and at the end its score). Every write is a
`drills.services` call; this only shows and asks."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.roles import is_incident_manager

from . import selectors, services
from .models import Drill, Scenario, ScenarioStep


class ScenarioStepInline(admin.TabularInline):
    model = ScenarioStep
    extra = 1
    fields = ("offset_minutes", "kind", "title", "severity", "labels", "text")


def _refusal(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("title", "summary", "category", "service", "impact", "urgency", "step_count", "drill_count",
                    "active")
    list_select_related = ("category", "service")
    list_filter = ("active",)
    search_fields = ("title", "summary")
    inlines = [ScenarioStepInline]
    actions = ["start_drills"]
    change_form_template = "drills/admin/scenario_change_form.html"
    fieldsets = (
        (None, {"fields": ("title", "briefing", "active")}),
        ("The drill incident", {"fields": ("summary", "description", "category", "service", ("impact", "urgency"),
                                           "channel")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scenario]:
        return super().get_queryset(request).annotate(steps_count=Count("steps", distinct=True),
                                                      drills_count=Count("drills", distinct=True))

    @admin.display(description="Steps", ordering="steps_count")
    def step_count(self, scenario: Scenario) -> int:
        return scenario.steps_count

    @admin.display(description="Drills run", ordering="drills_count")
    def drill_count(self, scenario: Scenario) -> int:
        return scenario.drills_count

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:scenario_id>/start/", view(self.start_view), name="drills_scenario_start"),
                *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "may_start": is_incident_manager(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def start_view(self, request: HttpRequest, scenario_id: int) -> HttpResponse:
        """POST only: a drill pages people, so a link followed by a mail scanner must not start one."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        scenario = get_object_or_404(Scenario, pk=scenario_id)
        try:
            drill = services.start_drill(scenario=scenario, by=request.user)
        except (PermissionDenied, ValidationError) as refused:
            messages.error(request, _refusal(refused))
            return HttpResponseRedirect(reverse("admin:drills_scenario_change", args=[scenario.pk]))
        messages.success(request, f"Drill started: {drill.incident.reference} is open as an exercise.")
        return HttpResponseRedirect(reverse("admin:drills_drill_change", args=[drill.pk]))

    @admin.action(description="Start a drill from each selected scenario")
    def start_drills(self, request: HttpRequest, queryset: QuerySet[Scenario]) -> None:
        for scenario in queryset:
            try:
                drill = services.start_drill(scenario=scenario, by=request.user)
            except (PermissionDenied, ValidationError) as refused:
                messages.error(request, f"{scenario}: {_refusal(refused)}")
            else:
                messages.success(request, f"{scenario}: {drill.incident.reference} is open as an exercise.")


class RunningFilter(admin.SimpleListFilter):
    title = "running"
    parameter_name = "running"

    def lookups(self, request, model_admin):
        return [("yes", "Running"), ("no", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ("scenario", "incident_reference", "incident_state", "started_by", "started_at", "steps_left",
                    "ended_at", "score_cell")
    list_select_related = ("scenario", "incident", "started_by")
    list_filter = (RunningFilter, "scenario")
    search_fields = ("scenario__title", "incident__reference")
    ordering = ("-started_at", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Drill]:
        return selectors.drills_seen_by(request.user).annotate(
            pending_count=Count("steps", filter=Q(steps__status="pending")))

    @admin.display(description="Incident", ordering="incident__reference")
    def incident_reference(self, drill: Drill) -> str:
        return drill.incident.reference

    @admin.display(description="State")
    def incident_state(self, drill: Drill) -> str:
        return drill.incident.get_state_display()

    @admin.display(description="Steps pending", ordering="pending_count")
    def steps_left(self, drill: Drill) -> int:
        return drill.pending_count

    @admin.display(description="Score", ordering="met")
    def score_cell(self, drill: Drill) -> str:
        if drill.applicable is None:
            return "-"
        return format_html("{} of {}", drill.met, drill.applicable)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started from a scenario

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:drill_id>/end/", view(self.end_view), name="drills_drill_end"), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None) -> HttpResponse:
        """The drill's page: the incident, the steps done and pending, the score once it ended."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        drill = get_object_or_404(selectors.drills_seen_by(request.user), pk=object_id)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "drill": drill,
            "incident": drill.incident, "steps": selectors.steps_of(drill), "title": f"Drill {drill.incident.reference}",
            "may_end": drill.running and is_incident_manager(request.user),
            "checklist": (drill.score or {}).get("items", []) if isinstance(drill.score, dict) else [],
        }
        return TemplateResponse(request, "drills/admin/drill.html", context)

    def end_view(self, request: HttpRequest, drill_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        drill = get_object_or_404(selectors.drills_seen_by(request.user), pk=drill_id)
        try:
            drill = services.end_drill(drill=drill, by=request.user, notes=request.POST.get("notes", ""))
        except (PermissionDenied, ValidationError) as refused:
            messages.error(request, _refusal(refused))
        else:
            messages.success(request, f"The drill ended: {drill.met} of {drill.applicable} SOP steps met.")
        return HttpResponseRedirect(reverse("admin:drills_drill_change", args=[drill_id]))
