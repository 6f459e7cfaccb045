"""Admin for known errors, articles and their categories.

Edits go through `services.item_save_edits` and state changes through `services.transition`
(POST <pk>/transition/<name>/), so the admin takes no shortcut past the workflow's guards;
django-fsm's own admin buttons would call the transition and save() directly.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from .. import services
from ..models import Article, Category, KnownError

WORKFLOW_FIELDS = ("state", "published_at", "retired_at", "created_by", "created_at", "updated_at")


class WorkflowAdmin(SimpleHistoryAdmin):
    """Shared by known errors and articles: edits through the service, transition buttons, and
    no revert from history (it would set the state without a transition)."""

    change_form_template = "admin/knowledge_base/workflow_change_form.html"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(deflection_total=Count("deflections"))

    @admin.display(description="deflections", ordering="deflection_total")
    def deflection_count(self, obj) -> int:
        return obj.deflection_total

    def get_urls(self) -> list:
        name = f"{self.opts.app_label}_{self.opts.model_name}_transition"
        view = self.admin_site.admin_view(require_POST(self.transition_view))
        return [path("<path:object_id>/transition/<slug:name>/", view, name=name), *super().get_urls()]

    def _change_url(self, pk) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[pk],
                       current_app=self.admin_site.name)

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        item = self.get_object(request, unquote(object_id))
        if item is None:
            raise Http404("No such item.")
        if not self.has_change_permission(request, item):
            raise PermissionDenied
        if name not in services.transition_names(self.model):
            raise Http404("No such transition.")
        try:
            done = services.transition(item=item, user=request.user, name=name, reason=request.POST.get("reason", ""))
        except services.WorkflowError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
        else:
            self.message_user(request, f"“{done}” is now {done.get_state_display().lower()}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(item.pk))

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        services.item_save_edits(item=obj, user=request.user, changed=form.changed_data if change else ())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            stored = self.get_object(request, str(obj.pk)) if request.method == "POST" else obj
            context["transitions"] = services.available_transitions(stored or obj, request.user)
            context["transition_url_name"] = f"admin:{self.opts.app_label}_{self.opts.model_name}_transition"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        """Reverting is refused: it would put the item back in an old state without a transition."""
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such item.")
        self.message_user(
            request,
            "An earlier version cannot be restored: the state changes only through the workflow. "
            "Copy what you need from the history into the item instead.",
            messages.ERROR,
        )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[object_id],
                    current_app=self.admin_site.name)
        )

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        return True

    @admin.display(description="rendered")
    def preview(self, obj) -> str:
        return format_html('<div class="kb-preview">{}</div>', self.rendered(obj)) if obj.pk else "—"


@admin.register(KnownError)
class KnownErrorAdmin(WorkflowAdmin):
    list_display = ("title", "state", "fix_status", "needs_permanent_fix", "public", "category",
                    "affected_service", "deflection_count", "updated_at")
    list_filter = ("state", "fix_status", "needs_permanent_fix", "public", "category")
    list_select_related = ("category",)
    search_fields = ("title", "symptoms", "affected_service")
    readonly_fields = (*WORKFLOW_FIELDS, "needs_permanent_fix", "recurrence_count", "recurrence_flagged_at",
                       "preview")
    autocomplete_fields = ("category",)
    fieldsets = (
        (None, {"fields": ("title", "category", "affected_service", "public")}),
        ("Known error", {"fields": ("symptoms", "root_cause", "workaround", "preview")}),
        ("Permanent fix", {"fields": ("fix_status", "needs_permanent_fix", "recurrence_count",
                                      "recurrence_flagged_at")}),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
    )

    @staticmethod
    def rendered(obj: KnownError) -> str:
        return obj.workaround_html


@admin.register(Article)
class ArticleAdmin(WorkflowAdmin):
    list_display = ("title", "kind", "audience", "state", "category", "deflection_count", "updated_at")
    list_filter = ("state", "kind", "audience", "category")
    list_select_related = ("category",)
    search_fields = ("title", "body")
    readonly_fields = (*WORKFLOW_FIELDS, "preview")
    autocomplete_fields = ("category",)
    fieldsets = (
        (None, {"fields": ("title", "kind", "audience", "category")}),
        ("Content", {"fields": ("body", "preview")}),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
    )

    @staticmethod
    def rendered(obj: Article) -> str:
        return obj.body_html


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name",)
    search_fields = ("name",)
