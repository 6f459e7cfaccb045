"""Communication templates in the admin: edited with history (never reverted), the variables listed
beside the editor, and a preview for a real incident or a sample."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from jinja2 import TemplateError

from core.admin import RecordHistoryAdmin
from incidents import selectors

from . import rendering
from .models import Template


@admin.register(Template)
class TemplateAdmin(RecordHistoryAdmin):
    list_display = ("name", "purpose", "channel", "active", "updated_at")
    list_filter = ("purpose", "channel", "active")
    search_fields = ("name", "subject", "body")
    fields = ("name", "purpose", "channel", "active", "subject", "body", "variables")
    readonly_fields = ("variables",)

    @admin.display(description="variables")
    def variables(self, obj) -> str:
        rows = format_html_join("", "<li><code>{{{{ {} }}}}</code> {}</li>", rendering.VARIABLES.items())
        return format_html("<ul class=\"template-variables\">{}</ul>", rows)

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="comms_template_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The template's text for the incident named in `?incident=` (one the user may see) or for
        a sample incident."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        template = get_object_or_404(Template, pk=pk)
        reference = (request.GET.get("incident") or "").strip()
        context, incident, error = rendering.sample_context(), None, ""
        if reference:
            try:
                incident = selectors.visible_incident(request.user, reference, related=("service",))
                context = rendering.context_for(incident)
            except Http404:
                error = f"No incident {reference} that you may see; showing the sample instead."
        try:
            rendered, failure = template.render(context), ""
        except TemplateError as problem:
            rendered, failure = None, str(problem)
        return TemplateResponse(request, "comms/admin/preview.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": f"Preview: {template}",
            "template": template, "rendered": rendered, "failure": failure, "incident": incident,
            "reference": reference, "error": error,
        })
