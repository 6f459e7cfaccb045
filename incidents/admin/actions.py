"""Bulk actions of the incident changelist. Each incident goes through the service on its own, so
one refusal does not undo the others, and every refusal is reported with its reason."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .. import major, selectors, services
from ..forms import RouteForm
from ..models import Incident
from ..workflow import OPEN_STATES

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


class LinkForm(forms.Form):
    """The intermediate page of "Link to major incident…": which one, found by a search among the
    open major incidents the user may work on (there are a handful at most)."""

    search = forms.CharField(required=False, max_length=200, label="Search major incidents",
                             help_text="Reference or words of the summary; “Search” narrows the list below.")
    major = forms.ModelChoiceField(Incident.objects.none(), required=False, label="Major incident",
                                   empty_label=None, widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        majors = Incident.objects.seen_internally_by(user).filter(is_major=True, state__in=OPEN_STATES)
        term = (self.data.get("search") or "").strip() if self.is_bound else ""
        if term:
            majors = selectors.search_incidents(majors, term)
        self.fields["major"].queryset = majors.order_by("-opened_at", "-pk")
        self.fields["major"].label_from_instance = lambda i: f"{i.reference} – {i.summary} (P{i.priority})"

    def clean(self) -> dict:
        cleaned = super().clean()
        if "apply" in self.data and cleaned.get("major") is None and not self.errors:
            raise forms.ValidationError("Choose the major incident to link them to.")
        return cleaned


@admin.action(description="Link to major incident…", permissions=["change"])
def link_to_major(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
    """A page to find and choose the major incident; its form posts back here with `apply`. Each
    incident is linked through the service on its own, which refuses what it must with the reason."""
    form = LinkForm(request.POST if "search" in request.POST or "apply" in request.POST else None, user=request.user)
    if "apply" in request.POST and form.is_valid():
        parent = form.cleaned_data["major"]
        _apply(
            # The major incident itself, selected with the others, is not linked under itself.
            request, queryset.exclude(pk=parent.pk),
            lambda pk: major.link_child(parent=parent, child=pk, user=request.user),
            "{count} {noun} linked to " + parent.reference + ".",
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Link incidents to a major incident",
        "opts": modeladmin.model._meta,
        "form": form,
        "incidents": queryset.select_related("team").order_by("pk")[:ROUTE_PAGE_LIMIT],
        "action_name": "link_to_major",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "incidents/admin/link_action.html", context)
