"""The knowledge base on the incident's change page: the runbook of its service (or category), the
known errors that look like this incident, with a button to apply one (through
`incidents.known_errors`) or to call it a new issue."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from knowledge_base import selectors as kb_selectors

from .. import known_errors, roles, selectors, services
from ..models import Incident

PANEL_SIZE = 5


class HasKnownErrorFilter(admin.SimpleListFilter):
    """Linked or not; one known error's incidents are reached with `?known_error__id__exact=<id>`
    (a list of every known error would be thousands of rows)."""

    title = "known error"
    parameter_name = "has_known_error"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [("yes", "Linked to a known error"), ("no", "No known error")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(known_error__isnull=False)
        if self.value() == "no":
            return queryset.filter(known_error__isnull=True)
        return queryset


class KnownErrorViews:
    """Mixin for the incident ModelAdmin: the suggestions panel and its two POST views."""

    def get_urls(self) -> list:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/known-error/<int:ke_id>/apply/",
                 view(require_http_methods(["GET", "POST"])(self.apply_known_error_view)),
                 name=f"{prefix}_apply_known_error"),
            path("<path:object_id>/new-issue/", view(self.new_issue_view), name=f"{prefix}_new_issue"),
            *super().get_urls(),
        ]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The known error's own admin links here for "its incidents".
        return lookup == "known_error__id__exact" or super().lookup_allowed(lookup, value, request)

    def known_error_context(self, request: HttpRequest, incident: Incident) -> dict:
        may_work = roles.can_work_on(request.user, incident)
        return {
            "known_error_suggestions": selectors.known_error_suggestions(incident, limit=PANEL_SIZE) if may_work else [],
            "runbook": selectors.runbook_of(incident) if may_work else None,
            "may_triage": may_work,
        }

    def apply_known_error_view(self, request: HttpRequest, object_id: str, ke_id: int) -> HttpResponse:
        """GET: what applying the known error will do, with the public reply to read and edit first.
        POST: "Preview" shows the edited reply rendered; "Apply" links it and sends that reply."""
        incident = self._visible_incident(request, object_id)
        if request.method == "POST" and "_preview" not in request.POST:
            return self._apply_known_error(request, incident, ke_id)
        if not roles.can_work_on(request.user, incident):
            messages.error(request, f"You may not work on {incident.reference}, so you cannot apply a known error to it.")
            return HttpResponseRedirect(self._url("change", incident.pk))
        known_error = kb_selectors.published_known_errors([ke_id]).get(ke_id)
        if known_error is None:
            messages.error(request, "That known error is not published, so it cannot be applied to an incident.")
            return HttpResponseRedirect(self._url("change", incident.pk))
        sends_reply = known_error.public and bool((known_error.workaround or "").strip())
        reply = request.POST.get("reply", "") if request.method == "POST" else known_errors.default_reply(known_error)
        return self._render(request, "incidents/admin/known_error_apply.html", {
            "title": f"Apply KE-{known_error.pk} to {incident.reference}",
            "incident": incident, "known_error": known_error, "sends_reply": sends_reply, "reply": reply,
            "change_url": self._url("change", incident.pk),
        })

    def _apply_known_error(self, request: HttpRequest, incident: Incident, ke_id: int) -> HttpResponse:
        # A form without the reply field (an older page, a script) sends the proposed reply.
        reply = request.POST.get("reply")
        try:
            done = known_errors.apply_known_error(incident=incident.pk, user=request.user, known_error=ke_id,
                                                  reply=reply)
        except services.WorkflowError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"{done.reference} is linked to known error KE-{ke_id}; "
                                      "its workaround was added to the incident.")
        return HttpResponseRedirect(self._url("change", incident.pk))

    def new_issue_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._new_issue)(request, object_id)

    def _new_issue(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self._visible_incident(request, object_id)
        try:
            done = known_errors.mark_new_issue(incident=incident.pk, user=request.user)
        except services.WorkflowError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"{done.reference} is marked as a new issue.")
        return HttpResponseRedirect(self._url("change", incident.pk))
