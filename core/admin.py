"""Admin pieces every app shares.

- `RecordHistoryAdmin`: history that is shown, never reverted. simple-history's revert form would
  save an old copy from anyone who can open it, and for a state machine it would set the state
  without a transition; `SIMPLE_HISTORY_REVERT_DISABLED` only hides the button.
- `TransitionAdminMixin`: POST <pk>/transition/<name>/ and the buttons for it on the change form.
  The view calls the app's service (never django-fsm's admin mixin, whose buttons call the
  transition and save() themselves, past the service and with a second history row).
- `ReadOnlyAdmin`: rows the system writes (escalations fired, pages sent), for reading only.
- `QuickListMixin`: a long list's selection checkboxes without the form-widget templates, and its
  row links without a URL reversal per row.
- `cell_text`: long text in a list column, cut after two lines with the whole of it in a tooltip.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin

from .errors import WorkflowError
from .transitions import Transitions


def cell_text(text: str) -> str:
    """Long text for a list column: two lines at most (CSS `.cell-text`, itsm/admin.css), the
    whole of it in the tooltip, so that a list stays readable on a 1280 px screen."""
    return format_html('<span class="cell-text" title="{}">{}</span>', text, text)


class RecordHistoryAdmin(SimpleHistoryAdmin):
    """A record's history: every change with who and why, and no way back to an old version.

    The base of every historised model's admin (a test walks the admin site to hold that true).
    Restoring an old version would bypass the checks of the change form and the services, and
    simple-history's form saves it for anyone who may merely view the object.
    """

    # What the refusal says of where a change is made instead.
    revert_instead = "edits are made on the {verbose_name} itself, where they are checked and recorded"

    def describe(self, obj) -> str:
        return str(obj)

    def _admin_url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args,
                       current_app=self.admin_site.name)

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None) -> HttpResponse:
        # simple-history falls back to the last historical copy when the queryset has no such row;
        # for an object the user may not see, that would show it anyway.
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        """Refused, for every method: the history page shows what each version held."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        instead = self.revert_instead.format(verbose_name=self.opts.verbose_name)
        self.message_user(
            request,
            f"{self.describe(obj)} cannot be reverted to an earlier version: {instead}. "
            "The history below shows every change.",
            messages.ERROR,
        )
        return HttpResponseRedirect(self._admin_url("history", obj.pk))


class TransitionAdminMixin:
    """Transition buttons on the change form, each a POST to a view that calls the app's service.

    A subclass names its runner (`transitions`, for the buttons and the wording) and the service
    that takes a transition (`run_transition(obj, user, name, reason)`). Who may take which
    transition is the state machine's rule: the view asks only that the user may see the object.
    """

    transitions: Transitions
    revert_instead = "its state changes only through transitions, and edits are made on the {verbose_name} itself"

    def run_transition(self, obj, user, name: str, reason: str):  # pragma: no cover - every admin sets it
        raise NotImplementedError

    def transition_urls(self) -> list:
        """Listed before any other `<path:object_id>/...` URL: a path converter takes slashes, so
        `<pk>/transition/claim/` would otherwise be read as object `<pk>/transition` + `claim/`."""
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [path("<path:object_id>/transition/<slug:name>/", self.admin_site.admin_view(self.transition_view),
                     name=f"{prefix}_transition")]

    def get_urls(self):
        return [*self.transition_urls(), *super().get_urls()]

    def get_visible_object(self, request: HttpRequest, object_id: str):
        """The object, if this user may see it: 404 otherwise (its existence may be private too)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id}.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_visible_object(request, object_id)
        if name not in self.transitions.names():
            raise Http404("No such transition.")
        try:
            done = self.run_transition(obj, request.user, name, request.POST.get("reason", ""))
        except WorkflowError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, f"{self.transitions.describe(done)} is now {self.transitions.state_label(done)}.")
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                                            args=[obj.pk], current_app=self.admin_site.name))

    def transition_context(self, request: HttpRequest, obj) -> dict:
        """For the change form's template: the buttons this user gets, where they post, and why a
        button they would otherwise get is not there (four-eyes publishing)."""
        offered, withheld = self.transitions.offered_and_withheld(obj, request.user)
        return {
            "transitions": offered, "transitions_withheld": withheld,
            "transition_url_name": f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
        }


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the system writes: listed and opened, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QuickChangeList(ChangeList):
    """Row links from one reversed URL: Django reverses the change URL for every linked column of
    every row (100 reversals for the incident list's page)."""

    def url_for_result(self, result) -> str:
        if not hasattr(self, "_change_url_parts"):
            url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=(0,),
                          current_app=self.model_admin.admin_site.name)
            self._change_url_parts = url.rsplit("/0/", 1)
        prefix, suffix = self._change_url_parts
        return f"{prefix}/{quote(getattr(result, self.pk_attname))}/{suffix}"


class QuickListMixin:
    """A long list, rendered with less per row and the same HTML: the selection checkbox written
    directly (a test compares it with Django's; rendering a form widget's templates per row was a
    sixth of the incident list's time, make bench), and the row links from one reversed URL."""

    def get_changelist(self, request, **kwargs):
        return QuickChangeList

    def action_checkbox(self, obj) -> str:
        label = format_html(gettext("Select this object for an action - {}"), obj)
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label)
