"""The deflection report: who found their answer in the knowledge base, with what, and which
items deflect the most incidents (for the filtered period)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.template.response import TemplateResponse

from ..models import Deflection

TOP_ITEMS = 20


class SolvedByFilter(admin.SimpleListFilter):
    title = "solved by"
    parameter_name = "solved_by"

    def lookups(self, request, model_admin):
        return [("known_error", "Known error"), ("article", "Article")]

    def queryset(self, request, queryset):
        if self.value() == "known_error":
            return queryset.filter(known_error__isnull=False)
        if self.value() == "article":
            return queryset.filter(article__isnull=False)
        return queryset


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    date_hierarchy = "created_at"
    list_display = ("created_at", "user", "solved_by_title", "kind", "typed")
    list_filter = (SolvedByFilter, "created_at")
    list_select_related = ("user", "known_error", "article")
    search_fields = ("text", "known_error__title", "article__title")
    change_list_template = "admin/knowledge_base/deflection/change_list.html"

    # A deflection is a record of what happened: it is read, never written, in the admin.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="solved by")
    def solved_by_title(self, obj: Deflection) -> str:
        return str(obj.solved_by)

    @admin.display(description="kind")
    def kind(self, obj: Deflection) -> str:
        return "Known error" if obj.known_error_id else "Article"

    @admin.display(description="what they typed")
    def typed(self, obj: Deflection) -> str:
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and "cl" in response.context_data:
            # The same filters, search and date drill-down as the list, counted per item.
            filtered = response.context_data["cl"].queryset
            response.context_data["counts_by_item"] = list(
                filtered.order_by()
                .values("known_error_id", "known_error__title", "article_id", "article__title")
                .annotate(total=Count("pk"))
                .order_by("-total", "known_error__title", "article__title")[:TOP_ITEMS]
            )
            response.context_data["deflections_total"] = response.context_data["cl"].result_count
        return response
