"""Regulatory clocks in the admin: the catalogue of regulations, the list of running clocks across
incidents (soonest deadline first), and the pages behind the incident panel's forms. Every write
is a `response.regulatory.services` call; this only shows and asks."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents.models import Incident

from ..models import ClockState, Regulation, RegulatoryClock
from ..regulatory import selectors, services
from ..regulatory.forms import ApplyClockForm, NoticeForm, NotNotifiableForm
from ..regulatory.panel import span
from ..regulatory.services import ClockRefused


@admin.register(Regulation)
class RegulationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "window", "authority", "active")
    list_filter = ("active",)
    search_fields = ("name", "code", "authority")
    ordering = ("name",)


class StatusFilter(admin.SimpleListFilter):
    """Running clocks unless asked otherwise: the list is there to show what is due next."""

    title = "state"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("running", "Running"), ("stopped", "Stopped"), ("all", "All"))

    def choices(self, changelist):
        current = self.value() or "running"
        for value, label in self.lookup_choices:
            yield {"selected": current == value, "display": label,
                   "query_string": changelist.get_query_string({self.parameter_name: value})}

    def queryset(self, request, queryset):
        value = self.value() or "running"
        if value == "running":
            return queryset.filter(state=ClockState.RUNNING)
        if value == "stopped":
            return queryset.exclude(state=ClockState.RUNNING)
        return queryset


@admin.register(RegulatoryClock)
class RegulatoryClockAdmin(admin.ModelAdmin):
    list_display = ("incident_link", "summary", "regulation", "aware_at", "due_at", "time_left", "elapsed", "state")
    list_select_related = ("incident", "regulation")
    list_filter = (StatusFilter, "regulation")
    search_fields = ("incident__reference", "incident__summary")
    ordering = ("due_at", "pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RegulatoryClock]:
        return selectors.clocks_seen_by(request.user)

    @admin.display(description="Incident", ordering="incident__reference")
    def incident_link(self, clock: RegulatoryClock) -> str:
        url = reverse("admin:incidents_incident_change", args=[clock.incident_id])
        return format_html('<a href="{}#regulatory-clocks">{}</a>', url, clock.incident.reference)

    @admin.display(description="Summary")
    def summary(self, clock: RegulatoryClock) -> str:
        return clock.incident.summary

    @admin.display(description="Time left")
    def time_left(self, clock: RegulatoryClock) -> str:
        if not clock.running:
            return "–"
        left = clock.time_left()
        return f"overdue by {span(-left)}" if left.total_seconds() < 0 else f"{span(left)} left"

    @admin.display(description="Elapsed")
    def elapsed(self, clock: RegulatoryClock) -> str:
        return f"{clock.elapsed_percent()}%"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applied from the incident's page, with the awareness time

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # stopped through the notice or the decision, never edited

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("apply/<int:incident_id>/", view(self.apply_view), name="response_regulatoryclock_apply"),
            path("<int:clock_id>/notice/", view(self.notice_view), name="response_regulatoryclock_notice"),
            path("<int:clock_id>/not-notifiable/", view(self.not_notifiable_view),
                 name="response_regulatoryclock_not_notifiable"),
            *super().get_urls(),
        ]

    # --- the pages behind the panel's forms: shown again with the errors and what was typed ----
    def _back(self, incident_id: int) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident_id])
                                    + "#regulatory-clocks")

    def _page(self, request: HttpRequest, incident: Incident, clock, form, title: str, submit: str) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "incident": incident, "clock": clock, "title": title, "submit": submit}
        return TemplateResponse(request, "response/regulatory/form_page.html", context)

    def _clock(self, request: HttpRequest, clock_id: int) -> RegulatoryClock:
        if not self.has_view_permission(request):
            raise admin.sites.PermissionDenied
        return get_object_or_404(selectors.clocks_seen_by(request.user).select_related("incident", "regulation"),
                                 pk=clock_id)

    def apply_view(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise admin.sites.PermissionDenied
        incident = get_object_or_404(Incident.objects.seen_internally_by(request.user), pk=incident_id)
        if request.method == "POST":
            # Every active regulation: one applied already is refused by the service, in words.
            form = ApplyClockForm(request.POST)
        else:
            form = ApplyClockForm(regulations=selectors.regulations_to_apply(incident, selectors.clocks_of(incident)),
                                  initial={"aware_at": timezone.localtime()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                clock = services.apply_clock(incident=incident, user=request.user, regulation=data["regulation"],
                                             aware_at=data["aware_at"])
            except ClockRefused as refusal:
                form.add_error(refusal.field, refusal.message)
            else:
                messages.success(request, f"The {clock.regulation} clock runs on {incident.reference}: "
                                          f"due {services.when(clock.due_at)}.")
                return self._back(incident.pk)
        return self._page(request, incident, None, form, "Apply a regulatory clock", "Apply the clock")

    def notice_view(self, request: HttpRequest, clock_id: int) -> HttpResponse:
        clock = self._clock(request, clock_id)
        form = NoticeForm(request.POST or None, initial={"notified_at": timezone.localtime()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.record_notice(clock=clock, user=request.user, notified_to=data["notified_to"],
                                       notified_at=data["notified_at"], reference=data["reference"])
            except ClockRefused as refusal:
                form.add_error(refusal.field, refusal.message)
            else:
                messages.success(request, f"The {clock.regulation} notice is recorded; the clock is stopped.")
                return self._back(clock.incident_id)
        return self._page(request, clock.incident, clock, form, f"Record the {clock.regulation} notice",
                          "Record the notice and stop the clock")

    def not_notifiable_view(self, request: HttpRequest, clock_id: int) -> HttpResponse:
        clock = self._clock(request, clock_id)
        form = NotNotifiableForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.decide_not_notifiable(clock=clock, user=request.user, reason=form.cleaned_data["reason"])
            except ClockRefused as refusal:
                form.add_error(refusal.field, refusal.message)
            else:
                messages.success(request, f"The {clock.regulation} clock is stopped: not notifiable.")
                return self._back(clock.incident_id)
        return self._page(request, clock.incident, clock, form, f"{clock.regulation}: not notifiable",
                          "Decide not notifiable and stop the clock")
