"""The major incidents in the admin: their list, the page that runs one, and declaring or
standing one down. Every write is an incidents service call; this only shows and asks."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.errors import WorkflowError
from incidents import major, panels, roles
from incidents.models import Incident

from .. import selectors
from ..forms import DeclareForm, RolesForm, StandDownForm
from ..models import MajorIncident


@admin.register(MajorIncident)
class MajorIncidentAdmin(admin.ModelAdmin):
    list_display = ("reference", "summary", "priority", "state", "commander", "comms_lead", "children", "major_since")
    list_display_links = ("reference", "summary")
    list_select_related = ("commander", "comms_lead")
    list_filter = ("state", "priority")
    search_fields = ("reference", "summary")
    ordering = ("-opened_at", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[MajorIncident]:
        # The proxy's manager is the incident's: the read rule applies to it directly.
        return (MajorIncident.objects.seen_internally_by(request.user).filter(is_major=True)
                .annotate(children_count=Count("children")))

    @admin.display(description="Children", ordering="children_count")
    def children(self, incident: MajorIncident) -> int:
        return incident.children_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # declared from an incident's page, with a reason

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("declare/<int:incident_id>/", view(self.declare_view), name="response_majorincident_declare"),
            path("<int:incident_id>/stand-down/", view(self.stand_down_view), name="response_majorincident_stand_down"),
            path("<int:incident_id>/roles/", view(self.roles_view), name="response_majorincident_roles"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None) -> HttpResponse:
        """The major-incident page: roles, children, communications, timeline, SLA clock, review."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = selectors.major_incident(request.user, object_id)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "page": page,
            "incident": page.incident, "title": f"Major incident {page.incident.reference}",
            "may_stand_down": roles.is_incident_manager(request.user) and not page.children,
            "stand_down_form": StandDownForm(),
            "may_name_roles": roles.is_incident_manager(request.user),
            "roles_form": RolesForm(initial={"commander": page.incident.commander_id,
                                             "comms_lead": page.incident.comms_lead_id}),
            # What the apps above this one show here (the SOP conformance checklist).
            "panels": panels.rendered("major", request, page.incident),
        }
        return TemplateResponse(request, "response/admin/major_incident.html", context)

    def _incident(self, request: HttpRequest, incident_id: int) -> Incident:
        return get_object_or_404(Incident.objects.seen_internally_by(request.user), pk=incident_id)

    def declare_view(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        incident = self._incident(request, incident_id)
        form = DeclareForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                major.declare(incident=incident, user=request.user, reason=data["reason"],
                              commander=data["commander"], comms_lead=data["comms_lead"])
            except WorkflowError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, f"{incident.reference} is a major incident.")
                return HttpResponseRedirect(reverse("admin:response_majorincident_change", args=[incident.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "incident": incident, "title": f"Declare {incident.reference} a major incident"}
        return TemplateResponse(request, "response/admin/declare.html", context)

    def stand_down_view(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        incident = self._incident(request, incident_id)
        form = StandDownForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                major.stand_down(incident=incident, user=request.user, reason=form.cleaned_data["reason"])
            except WorkflowError as refusal:
                messages.error(request, refusal.message)
                return HttpResponseRedirect(reverse("admin:response_majorincident_change", args=[incident.pk]))
            messages.success(request, f"{incident.reference} is no longer a major incident.")
            return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        messages.error(request, "Say why it is not a major incident after all.")
        return HttpResponseRedirect(reverse("admin:response_majorincident_change", args=[incident.pk]))


    def roles_view(self, request: HttpRequest, incident_id: int) -> HttpResponse:
        """Name or change the commander and the communications lead (one the rule declared has none)."""
        incident = self._incident(request, incident_id)
        form = RolesForm(request.POST or None)
        back = HttpResponseRedirect(reverse("admin:response_majorincident_change", args=[incident.pk]))
        if request.method != "POST" or not form.is_valid():
            return back
        data = form.cleaned_data
        try:
            major.name_roles(incident=incident, user=request.user, commander=data["commander"],
                             comms_lead=data["comms_lead"], reason=data["reason"])
        except WorkflowError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"The roles of {incident.reference} are saved.")
        return back
