"""Admin for post-incident reviews: list, change form with timeline and action items inline,
transition buttons, figures, and the Markdown and print exports."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import RecordHistoryAdmin, TransitionAdminMixin
from core.errors import WorkflowError
from incidents import roles

from .. import exports, selectors, services
from ..models import ActionItem, PostIncidentReview, TimelineEntry
from ..timeline import figures
from ..workflow import OPEN_ACTION_STATES, ReviewState
from .filters import HasOverdueActionsFilter


class ReviewPartInline(admin.TabularInline):
    """A part of a review (timeline entries, action items): editable while the review is."""

    def _editable(self, request, obj) -> bool:
        return obj is None or services.may_edit_review(obj, request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(request, obj)


class TimelineEntryInline(ReviewPartInline):
    model = TimelineEntry
    fields = ("at", "actor", "text", "struck", "kind", "added_by_hand")
    readonly_fields = ("kind", "added_by_hand")
    raw_id_fields = ("actor",)
    extra = 0
    # Entries are struck, not deleted: the timeline keeps its corrections visible.
    can_delete = False
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 70})}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ActionItemInline(ReviewPartInline):
    model = ActionItem
    fields = ("description", "owner", "team", "due_date", "priority", "link_url", "state")
    readonly_fields = ("state",)
    raw_id_fields = ("owner",)
    extra = 0
    show_change_link = True
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})},
        models.URLField: {"assume_scheme": "https"},
    }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "team")

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(request, obj)


class ReviewAddForm(forms.ModelForm):
    class Meta:
        model = PostIncidentReview
        fields = ("incident", "owner")

    def clean_incident(self):
        incident = self.cleaned_data["incident"]
        existing = PostIncidentReview.objects.filter(incident=incident).first()
        if existing is not None:
            raise forms.ValidationError(f"{incident.reference} already has a post-incident review ({existing.reference}).")
        return incident


class ProposeKnownErrorForm(forms.Form):
    title = forms.CharField(max_length=200)
    symptoms = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)


@admin.register(PostIncidentReview)
class PostIncidentReviewAdmin(TransitionAdminMixin, RecordHistoryAdmin):
    list_display = ("reference_display", "incident_display", "priority_display", "state", "owner", "trigger",
                    "open_actions_display", "overdue_actions_display", "created_at")
    list_display_links = ("reference_display",)
    list_filter = ("state", HasOverdueActionsFilter, "trigger", "required")
    search_fields = ("incident__reference", "incident__summary")
    list_select_related = ("incident", "owner")
    raw_id_fields = ("incident", "owner")
    date_hierarchy = "created_at"
    inlines = (TimelineEntryInline, ActionItemInline)
    change_form_template = "admin/reviews/postincidentreview/change_form.html"
    fieldsets = (
        (None, {"fields": ("incident", "owner", "state", "trigger", "figures_panel")}),
        ("What happened", {"fields": ("summary", "customer_impact", "root_cause", "contributing_factors")}),
        ("Learning", {"fields": ("what_went_well", "what_went_poorly", "lessons_learned", "no_action_reason")}),
        ("Proposed known error", {"classes": ("collapse",), "fields": (
            "known_error_link", "proposed_known_error_title", "proposed_known_error_symptoms",
            "proposed_known_error_workaround", "known_error_proposed_at")}),
    )
    readonly_fields = ("incident", "state", "trigger", "figures_panel", "known_error_link", "proposed_known_error_title",
                       "proposed_known_error_symptoms", "proposed_known_error_workaround", "known_error_proposed_at")

    transitions = services.REVIEW_TRANSITIONS

    def describe(self, review) -> str:
        return review.reference

    @staticmethod
    def run_transition(obj, user, name, reason):
        return services.review_transition(review=obj, user=user, name=name, reason=reason)

    # --- queryset and columns -------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        today = timezone.localdate()
        queryset = super().get_queryset(request).select_related("incident", "owner").annotate(
            open_actions=Count("action_items", filter=Q(action_items__state__in=OPEN_ACTION_STATES)),
            overdue_actions=Count("action_items", filter=Q(action_items__state__in=OPEN_ACTION_STATES,
                                                             action_items__due_date__lt=today)),
        )
        return selectors.visible_reviews(request.user, queryset)

    @admin.display(description="review", ordering="pk")
    def reference_display(self, obj: PostIncidentReview) -> str:
        return obj.reference

    @admin.display(description="incident", ordering="incident__reference")
    def incident_display(self, obj: PostIncidentReview) -> str:
        return f"{obj.incident.reference} {obj.incident.summary}"[:80]

    @admin.display(description="priority", ordering="incident__priority")
    def priority_display(self, obj: PostIncidentReview) -> str:
        return f"P{obj.incident.priority}"

    @admin.display(description="open actions", ordering="open_actions")
    def open_actions_display(self, obj: PostIncidentReview) -> int:
        return obj.open_actions

    @admin.display(description="overdue actions", ordering="overdue_actions")
    def overdue_actions_display(self, obj: PostIncidentReview) -> int:
        return obj.overdue_actions

    @admin.display(description="figures")
    def figures_panel(self, obj: PostIncidentReview) -> str:
        if obj.pk is None:
            return "—"
        rows = exports.ReviewDocument(obj, figures(obj), [], []).figure_rows
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="known error")
    def known_error_link(self, obj: PostIncidentReview) -> str:
        if obj.known_error_id is None:
            return "—"
        try:
            url = reverse("admin:knowledge_base_knownerror_change", args=[obj.known_error_id])
        except NoReverseMatch:
            return str(obj.known_error)
        return format_html('<a href="{}">{}</a> ({})', url, obj.known_error, obj.known_error.get_state_display())

    # --- permissions ----------------------------------------------------------------------------
    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or roles.can_view(request.user, obj.incident)
        )

    def has_add_permission(self, request) -> bool:
        # Anyone with the incident manager role may start a review by hand.
        return super().has_add_permission(request) and roles.is_incident_manager(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or services.may_edit_review(obj, request.user)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only a draft that was started by mistake goes; anything further along is a record.
        return super().has_delete_permission(request, obj) and (
            obj is None or (obj.state == ReviewState.DRAFT and not obj.required)
        )

    # --- forms ----------------------------------------------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReviewAddForm
            kwargs["fields"] = ("incident", "owner")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": ("incident", "owner")}),)
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return () if obj is None else super().get_inlines(request, obj)

    def save_model(self, request, obj: PostIncidentReview, form, change: bool) -> None:
        try:
            if change:
                services.review_save_edits(review=obj, user=request.user, changed=form.changed_data)
            else:
                created = services.review_start(incident=obj.incident, user=request.user, owner=obj.owner)
                obj.pk = created.pk
                obj._state.adding = False
        except WorkflowError as refused:
            raise PermissionDenied(refused.message) from None

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, TimelineEntry) and instance.pk is None:
                instance.added_by_hand = True
            instance.save()
        formset.save_m2m()

    # --- extra views ----------------------------------------------------------------------------
    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/export/markdown/", view(self.export_markdown_view), name=f"{prefix}_markdown"),
            path("<path:object_id>/export/print/", view(self.print_view), name=f"{prefix}_print"),
            path("<path:object_id>/redraft-timeline/", view(self.redraft_view), name=f"{prefix}_redraft"),
            path("<path:object_id>/propose-known-error/", view(self.propose_known_error_view),
                 name=f"{prefix}_propose_known_error"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and self.has_view_permission(request, obj):
            extra.update(self.transition_context(request, obj))
            extra["can_edit_review"] = services.may_edit_review(obj, request.user)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def export_markdown_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        review = self.get_visible_object(request, object_id)
        response = HttpResponse(exports.markdown(review), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(review, "md")}"'
        return response

    def print_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        review = self.get_visible_object(request, object_id)
        return TemplateResponse(request, "reviews/review_print.html", {"doc": exports.document(review)})

    def redraft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        review = self.get_visible_object(request, object_id)
        try:
            added = services.timeline_redraft(review=review, user=request.user)
        except WorkflowError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, f"{added} new timeline entr{'y' if added == 1 else 'ies'} from the incident.")
        return HttpResponseRedirect(reverse("admin:reviews_postincidentreview_change", args=[review.pk]))

    def propose_known_error_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        review = self.get_visible_object(request, object_id)
        initial = {"title": review.proposed_known_error_title or review.incident.summary,
                   "symptoms": review.proposed_known_error_symptoms or review.incident.description,
                   "workaround": review.proposed_known_error_workaround or review.incident.workaround}
        form = ProposeKnownErrorForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                outcome = services.propose_known_error(review=review, user=request.user, **form.cleaned_data)
            except WorkflowError as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, outcome)
                return HttpResponseRedirect(reverse("admin:reviews_postincidentreview_change", args=[review.pk]))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": review,
            "title": f"Propose a known error from {review.reference}", "form": form,
        }
        return TemplateResponse(request, "admin/reviews/postincidentreview/propose_known_error.html", context)
