"""Admin for known errors, articles and their categories.

Edits go through `services.item_save_edits` and state changes through `services.transition`
(POST <pk>/transition/<name>/, from `core.admin`), so the admin takes no shortcut past the
workflow's guards.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin import RecordHistoryAdmin, TransitionAdminMixin

from .. import services
from ..models import Article, Category, KnownError

WORKFLOW_FIELDS = ("state", "published_at", "retired_at", "created_by", "created_at", "updated_at")


class WorkflowAdmin(TransitionAdminMixin, RecordHistoryAdmin):
    """Shared by known errors and articles: edits through the service, transition buttons, and
    history that is never reverted (it would set the state without a transition)."""

    change_form_template = "admin/knowledge_base/workflow_change_form.html"

    @property
    def transitions(self):
        return services.TRANSITIONS[self.model]

    def run_transition(self, obj, user, name: str, reason: str):
        return services.transition(item=obj, user=user, name=name, reason=reason)

    def describe(self, obj) -> str:
        return self.transitions.describe(obj)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(deflection_total=Count("deflections"))

    @admin.display(description="deflections", ordering="deflection_total")
    def deflection_count(self, obj) -> int:
        return obj.deflection_total

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        services.item_save_edits(item=obj, user=request.user, changed=form.changed_data if change else ())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            stored = self.get_object(request, str(obj.pk)) if request.method == "POST" else obj
            context.update(self.transition_context(request, stored or obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

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
class CategoryAdmin(RecordHistoryAdmin):
    list_display = ("name",)
    search_fields = ("name",)
