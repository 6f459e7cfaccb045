"""The incident admin: the desk's list, the change page, and the way both write through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.timesince import timesince

from core.admin import QuickListMixin, RecordHistoryAdmin, cell_text
from core.paginator import CappedCountPaginator

from .. import panels, roles, security, selectors, services
from ..models import Incident
from .actions import assign_to_me, link_to_major, route_to_team
from .filters import AssignmentFilter
from .forms import IncidentAddForm, IncidentChangeForm
from .history import IncidentHistoryHelper
from .known_errors import HasKnownErrorFilter, KnownErrorViews
from .security import SecurityViews
from .sla import IncidentSlaAdminMixin, SlaStatusFilter
from .views import IncidentWorkViews

# Where a refusal from the first attempt at saving waits for the second rendering of the form.
REFUSAL_ATTR = "_incident_edit_refusal"


class EditRefused(Exception):
    """A service refused a save that the form had accepted. Raised out of the admin's atomic block so
    that nothing of the attempt is kept; the change view then shows the form again with the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@admin.register(Incident)
class IncidentAdmin(QuickListMixin, IncidentSlaAdminMixin, KnownErrorViews, SecurityViews, IncidentWorkViews,
                    RecordHistoryAdmin):
    list_display = ("reference", "summary_text", "priority_badge", "sla_time_left", "state", "team", "assignee", "age")
    list_display_links = ("reference", "summary_text")
    list_filter = (
        "state", "priority", SlaStatusFilter, "team", "category", AssignmentFilter, "is_major", "security",
        "triage_decision", HasKnownErrorFilter, "exercise",
    )
    search_fields = ("reference", "summary", "description", "reporter__username", "reporter__email")
    search_help_text = ("Reference, summary, description, or the reporter's user name or e-mail. "
                        f"All words must match (the first {selectors.SEARCH_MAX_WORDS} are used).")
    list_select_related = ("team", "assignee")
    # The table is large: no "N total" next to a filtered count, and counts stop at 5,000.
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    actions = [assign_to_me, route_to_team, link_to_major]
    save_as = False
    # The model's absolute URL is the reporter's portal page, which shows only the reporter's own incidents.
    view_on_site = False
    object_history_list_template = "incidents/admin/object_history_list.html"

    change_fieldsets = (
        (None, {"fields": (("reference", "reporter_contact"), ("channel", "opened_at"))}),
        ("Classification", {"fields": (
            "summary", "description", "category", "service", ("impact", "urgency", "priority"),
            ("confidential", "is_major"), "parent", ("known_error", "triage_decision"),
        )}),
        ("Assignment", {"fields": ("team", "assignee", "state", ("hold_kind", "hold_reason"), "loaded_version")}),
        ("Resolution", {"fields": ("resolution_code", "resolution_notes", "workaround", "verification")}),
        ("SLA clock", {"fields": ("sla_clock",)}),
    )
    change_readonly_fields = (
        "reference", "reporter_contact", "channel", "opened_at", "priority", "state", "hold_kind", "hold_reason",
        "known_error", "triage_decision", "sla_clock",
        # Recorded by the resolve step (how restoration was verified), part of its history row.
        "verification",
        # Declared and linked by their own services (the major-incident panel, "Link to major incident…").
        "is_major", "parent",
    )
    add_fieldsets = (
        (None, {"fields": ("reporter_login", "channel", "summary", "description")}),
        ("Classification", {"fields": ("category", "service", ("impact", "urgency"), "team")}),
    )

    def get_urls(self) -> list:
        return [*self.security_urls(), *super().get_urls()]

    # --- the list ---------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Incident]:
        queryset = Incident.objects.seen_internally_by(request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_ordering(self, request: HttpRequest):
        # Unassigned incidents wait for someone to pick them: most urgent first, then the longest
        # waiting (newest first put a P1 sixth of nine). A column the user sorts by still wins.
        if request.GET.get(AssignmentFilter.parameter_name) == AssignmentFilter.NOBODY:
            return ("priority", "opened_at", "pk")
        return super().get_ordering(request)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Incident], search_term: str):
        # The one incident search (`selectors.search_incidents`), which the API's `search` uses too.
        return selectors.search_incidents(queryset, search_term), False

    @admin.display(description="Summary", ordering="summary")
    def summary_text(self, incident: Incident) -> str:
        text = cell_text(incident.summary)
        if incident.exercise:
            # A drill is marked wherever it is listed: nobody takes an exercise for the real thing.
            text = format_html('<span class="drill-badge" title="A drill: an exercise">DRILL</span> {}', text)
        if incident.security:
            # Marked in the list: who reads it is a short list of people (the security team, ...).
            return format_html('<span class="security-badge" title="Security incident">Security</span> {}', text)
        return text

    @admin.display(description="Priority", ordering="priority")
    def priority_badge(self, incident: Incident) -> str:
        return format_html(
            '<span class="prio-badge prio-{}" title="{}">P{}</span>',
            incident.priority, incident.get_priority_display(), incident.priority,
        )

    @admin.display(description="Age", ordering="-opened_at")
    def age(self, incident: Incident) -> str:
        return timesince(incident.opened_at, depth=1)

    @admin.display(description="Reporter")
    def reporter_contact(self, incident: Incident) -> str:
        reporter = incident.reporter
        name = reporter.get_full_name() or reporter.get_username()
        return f"{name} <{reporter.email}>" if reporter.email else name

    # --- who may do what --------------------------------------------------------------------------
    def get_object(self, request: HttpRequest, object_id: str, from_field=None) -> Incident | None:
        incident = super().get_object(request, object_id, from_field)
        if incident is not None:
            incident._stored_team_id = incident.team_id
        return incident

    def has_change_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        # A resolver sees other teams' (non-confidential) incidents, read-only.
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        # Judge the incident as stored: a form that moves it to another team has not been saved yet,
        # and re-showing that form must not turn the page read-only.
        stored_team_id = getattr(obj, "_stored_team_id", obj.team_id)
        return roles.can_work_on(request.user, Incident(team_id=stored_team_id, confidential=obj.confidential,
                                                        security=obj.security))

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts, object_id: str) -> HttpResponse:
        # Whoever logged a security incident is told it moved to the security team, not that it
        # does not exist; anyone else learns nothing (Django's "doesn't exist").
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            pk = None
        moved = security.moved_to_security(request.user, pk=pk) if pk is not None else None
        if moved is not None:
            messages.warning(request, security.moved_sentence(moved))
            return HttpResponseRedirect(self._url("changelist"))
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        # Incidents are cancelled or closed, never deleted: their history is the audit trail.
        return False

    # --- the forms --------------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Incident | None = None):
        if obj is None:
            return self.add_fieldsets
        if self.has_change_permission(request, obj):
            return self.change_fieldsets
        # Read-only page: there is nothing to save, so no version to carry.
        return tuple(
            (name, {**options, "fields": tuple(f for f in options["fields"] if f != "loaded_version")})
            for name, options in self.change_fieldsets
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Incident | None = None):
        return self.change_readonly_fields if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Incident | None = None, change: bool = False, **kwargs):
        kwargs["form"] = IncidentChangeForm if obj is not None else IncidentAddForm
        form = super().get_form(request, obj, change, **kwargs)
        form.refusal = getattr(request, REFUSAL_ATTR, "")
        return form

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EditRefused as refusal:
            # The transaction of the first attempt has rolled back. Render the form again from the
            # same POST, with the refusal as its error, so what the user typed is not lost.
            setattr(request, REFUSAL_ATTR, refusal.message)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request: HttpRequest, form, change: bool):
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        try:
            return services.incident_create(
                reporter=data["reporter_login"], created_by=request.user,
                summary=data["summary"], description=data["description"], channel=data["channel"],
                category=data["category"], service=data["service"], impact=data["impact"],
                urgency=data["urgency"], team=data["team"],
            )
        except ValidationError as exc:
            raise EditRefused(" ".join(exc.messages)) from exc

    def save_model(self, request: HttpRequest, obj: Incident, form, change: bool) -> None:
        if not change:
            return  # created by `save_form`, through the service
        changed = [name for name in form.changed_data if name != "loaded_version"]
        if not changed:
            return
        try:
            services.incident_save_edits(incident=obj, user=request.user, changed=changed)
        except services.WorkflowError as refusal:
            raise EditRefused(refusal.message) from refusal

    def response_add(self, request: HttpRequest, obj: Incident, post_url_continue=None) -> HttpResponse:
        if obj.security and not roles.can_view(request.user, obj):
            # Logged by phone, in a security category: the desk may no longer open it. Say where it
            # went, on the list, rather than "added" beside "doesn't exist".
            messages.success(request, f"{obj.reference} was logged for {obj.reporter}. "
                                      + security.moved_sentence(obj))
            return HttpResponseRedirect(self._url("changelist"))
        if not roles.can_view(request.user, obj):
            # A confidential incident (Security, say) logged by someone outside its team: say where
            # it went, instead of "added successfully" beside "doesn't exist" on a page they may not open.
            team = f"the {obj.team} team" if obj.team_id else "the team that handles it"
            messages.success(request, (
                f"{obj.reference} was logged for {obj.reporter} and went to {team} and the incident managers. "
                "It is confidential, so you cannot open it; they have it now, and the reporter got the "
                "acknowledgement."
            ))
            return HttpResponseRedirect(self._url("add"))
        return super().response_add(request, obj, post_url_continue)

    def response_post_save_add(self, request: HttpRequest, obj: Incident) -> HttpResponse:
        # A freshly logged incident is worked next (triage), so stay on it rather than go back to the list.
        return HttpResponseRedirect(self._url("change", obj.pk))

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            # A form shown again after an error holds unsaved edits in `obj`; the buttons and the
            # timeline describe the incident as stored.
            stored = self.get_object(request, str(obj.pk)) if request.method == "POST" else obj
            context.update(self.work_context(request, stored or obj))
            context.update(self.known_error_context(request, stored or obj))
            context["panels"] = panels.rendered("admin", request, stored or obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- history ---------------------------------------------------------------------------------
    def describe(self, incident: Incident) -> str:
        return incident.reference

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        return IncidentHistoryHelper(self.model, historical_record)
