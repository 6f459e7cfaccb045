"""Bulk actions of the incident changelist. Each incident goes through the service on its own, so
one refusal does not undo the others, and every refusal is reported with its reason."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .. import services
from ..forms import RouteForm

ROUTE_PAGE_LIMIT = 200


def _apply(request: HttpRequest, queryset: QuerySet, work: Callable[[int], object], done: str) -> None:
    succeeded = 0
    for pk, reference in queryset.order_by("pk").values_list("pk", "reference"):
        try:
            work(pk)
        except services.WorkflowError as refusal:
            # Several refusals on one page must each say which incident they are about.
            text = refusal.message if reference in refusal.message else f"{reference}: {refusal.message}"
            messages.error(request, text)
        else:
            succeeded += 1
    if succeeded:
        noun = "incident" if succeeded == 1 else "incidents"
        messages.success(request, done.format(count=succeeded, noun=noun))


@admin.action(description="Assign to me", permissions=["change"])
def assign_to_me(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    user = request.user
    _apply(
        request, queryset,
        lambda pk: services.incident_assign(incident=pk, user=user, assignee=user),
        "{count} {noun} assigned to you.",
    )


@admin.action(description="Route to team…", permissions=["change"])
def route_to_team(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
    """First a page to choose the team; its form posts back here with `apply`."""
    form = RouteForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        team, reason = form.cleaned_data["team"], form.cleaned_data["reason"]
        _apply(
            request, queryset,
            lambda pk: services.incident_route(incident=pk, user=request.user, team=team, reason=reason),
            "{count} {noun} routed to " + str(team) + ".",
        )
        return None
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Route incidents to a team",
        "opts": opts,
        "form": form,
        # The page lists what will be routed; a "select all" across pages is carried by `select_across`.
        "incidents": queryset.select_related("team").order_by("pk")[:ROUTE_PAGE_LIMIT],
        "action_name": "route_to_team",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "incidents/admin/route_action.html", context)
