"""What the review and action-item admins share: history that can be read but never reverted, and
transition buttons that POST to a small view calling the service (never django-fsm's admin mixin,
whose buttons call the transition and save() themselves)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from incidents.services import WorkflowError

from .. import services


class RecordHistoryAdmin(SimpleHistoryAdmin):
    """A state machine's history is a record: it is shown, never reverted (reverting an FSM row
    fails, and would rewrite what happened)."""

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("History cannot be reverted.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class TransitionButtonsMixin:
    """Adds POST <pk>/transition/<name>/ and the buttons for it on the change form."""

    # (obj, user, name, reason) -> the saved object; raises WorkflowError with the refusal.
    run_transition: Callable

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        return [
            path("<path:object_id>/transition/<str:name>/", self.admin_site.admin_view(self.transition_view),
                 name=f"{prefix}_transition"),
            *super().get_urls(),
        ]

    def get_visible_object(self, request: HttpRequest, object_id: str):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with id {object_id}.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_visible_object(request, object_id)
        try:
            done = self.run_transition(obj, request.user, name, request.POST.get("reason", ""))
        except WorkflowError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, f"{done}: {done.get_state_display()}.")
        info = self.model._meta.app_label, self.model._meta.model_name
        return HttpResponseRedirect(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))

    def transition_context(self, request: HttpRequest, obj) -> dict:
        info = self.model._meta.app_label, self.model._meta.model_name
        return {
            "transitions": services.available_transitions(obj, request.user),
            "transition_url_name": f"admin:{info[0]}_{info[1]}_transition",
        }
