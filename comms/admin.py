"""Communication templates in the admin: edited with history (never reverted), the variables listed
beside the editor, and a preview for a real incident or a sample."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from jinja2 import TemplateError

from core.admin import ReadOnlyAdmin, RecordHistoryAdmin
from incidents import selectors
from incidents.models import Incident

from . import rendering, services, stakeholders
from .models import (
    Channel,
    Purpose,
    ServiceOwner,
    Stakeholder,
    StatusComponent,
    StatusGroup,
    Template,
    Update,
    UpdateMessage,
)
from .status import services as status_services


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


# --- stakeholders and updates ---------------------------------------------------------------------
class PostUpdateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=Template.objects.none(), required=False,
                                      help_text="Fill the text from a template, then edit it.")
    subject = forms.CharField(max_length=300, required=False, help_text="E-mail subject; the reference is added.")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12, "cols": 80}), required=False)
    to_internal = forms.BooleanField(required=False, label="Internal audience")
    to_external = forms.BooleanField(required=False, label="External audience")
    to_status_page = forms.BooleanField(required=False, label="Status page")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = Template.objects.filter(active=True)


def _incident_for(request: HttpRequest):
    reference = (request.POST.get("incident") or request.GET.get("incident") or "").strip()
    if not reference:
        raise Http404("Which incident? Open the update form from the incident's page.")
    return selectors.visible_incident(request.user, reference, related=("service", "reporter", "team"))


def _initial_of(data) -> dict:
    """A posted form's values as a new form's initial ones (shown again, not validated)."""
    flags = {name: data.get(name) in ("on", "true", "True", True) for name in
             ("to_internal", "to_external", "to_status_page")}
    return {"template": data.get("template") or None, "subject": data.get("subject", ""),
            "body": data.get("body", ""), **flags}


def _from_template(template: Template, incident) -> tuple[dict, str]:
    """The subject and text the template makes for the incident, or nothing and why not."""
    try:
        rendered = template.render(incident)
    except TemplateError as problem:
        return {}, str(problem)
    return {"subject": rendered.subject, "body": rendered.body}, ""


@admin.register(Update)
class UpdateAdmin(ReadOnlyAdmin):
    """The communication log: every update posted, to which audiences, by whom. "Post an update"
    is this model's add page, opened from an incident."""

    list_display = ("created_at", "incident", "subject", "audience_list", "posted_by", "recipients")
    list_select_related = ("incident", "posted_by")
    list_filter = ("to_internal", "to_external", "to_status_page")
    search_fields = ("incident__reference", "subject", "body")
    show_full_result_count = False
    fields = ("incident", "created_at", "posted_by", "template", "subject", "body", "audience_list", "recipients")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Update]:
        queryset = super().get_queryset(request).annotate(recipient_count=Count("messages"))
        return selectors.of_visible_incidents(queryset, request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("comms.add_update")

    @admin.display(description="audiences")
    def audience_list(self, obj: Update) -> str:
        return ", ".join(obj.audiences)

    @admin.display(description="recipients", ordering="recipient_count")
    def recipients(self, obj: Update) -> int:
        return obj.recipient_count

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        """Post an update: the text filled from a template and edited, the audiences chosen."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        incident = _incident_for(request)
        if not services.may_post(request.user, incident):
            raise PermissionDenied
        failure = ""
        if request.method == "POST" and "_fill" not in request.POST:
            form = PostUpdateForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    update = services.post_update(
                        incident=incident, author=request.user, body=data["body"], subject=data["subject"],
                        to_internal=data["to_internal"], to_external=data["to_external"],
                        to_status_page=data["to_status_page"], template=data["template"])
                except ValidationError as refusal:
                    for field, sentences in refusal.message_dict.items():
                        form.add_error(field if field in form.fields else None, sentences)
                else:
                    self.message_user(request, f"The update was posted to {', '.join(update.audiences)}; "
                                               f"{update.messages.count()} e-mail(s) are on their way.")
                    return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        elif request.method == "POST":  # "Fill from the template": the text again, nothing sent
            data = request.POST.copy()
            chosen = Template.objects.filter(pk=data.get("template") or 0, active=True).first()
            if chosen is not None:
                filled, failure = _from_template(chosen, incident)
                data.update(filled)
            form = PostUpdateForm(initial=_initial_of(data))
        else:
            initial = {"to_external": True, "to_internal": True}
            chosen = Template.objects.filter(active=True, channel=Channel.EMAIL)
            chosen = (chosen.filter(pk=request.GET["template"]) if request.GET.get("template", "").isdigit()
                      else chosen.filter(purpose=request.GET.get("purpose") or Purpose.UPDATE)).first()
            if chosen is not None:
                initial["template"] = chosen.pk
                filled, failure = _from_template(chosen, incident)
                initial.update(filled)
            form = PostUpdateForm(initial=initial)
        internal, external = stakeholders.by_audience(incident)
        return TemplateResponse(request, "comms/admin/post_update.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": f"Post an update: {incident.reference}",
            "incident": incident, "form": form, "failure": failure,
            "internal": internal, "external": external,
        })


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ("incident", "__str__", "audience", "added_by", "created_at")
    list_select_related = ("incident", "user", "team", "added_by")
    search_fields = ("incident__reference", "email", "user__username", "team__name")
    list_filter = ("audience",)
    fields = ("incident", "audience", "user", "team", "email")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stakeholder]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # remove and add again: who added whom stays true

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "incident" in form.base_fields:
            form.base_fields["incident"].queryset = Incident.objects.seen_internally_by(request.user)
            form.base_fields["incident"].widget = forms.TextInput()
            form.base_fields["incident"].to_field_name = "reference"
            form.base_fields["incident"].help_text = "Its reference, e.g. INC-000123."
        return form

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "audience": request.GET.get("audience", "external")}

    def save_model(self, request, obj: Stakeholder, form, change) -> None:
        saved = services.add_stakeholder(incident=obj.incident, by=request.user, audience=obj.audience,
                                         user=obj.user, team=obj.team, email=obj.email)
        obj.pk = saved.pk

    def delete_model(self, request, obj: Stakeholder) -> None:
        services.remove_stakeholder(stakeholder=obj, by=request.user)


@admin.register(ServiceOwner)
class ServiceOwnerAdmin(admin.ModelAdmin):
    list_display = ("service", "team", "user")
    list_select_related = ("service", "team", "user")
    list_filter = ("service",)
    fields = ("service", "team", "user")


@admin.register(UpdateMessage)
class UpdateMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "incident", "recipient", "audience", "sent_at")
    list_select_related = ("update__incident",)
    list_filter = ("audience",)
    search_fields = ("recipient", "update__incident__reference")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[UpdateMessage]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user, path="update__incident")

    @admin.display(description="incident", ordering="update__incident__reference")
    def incident(self, obj: UpdateMessage) -> str:
        return str(obj.update.incident)


# --- the status page -------------------------------------------------------------------------------
@admin.register(StatusGroup)
class StatusGroupAdmin(RecordHistoryAdmin):
    list_display = ("name", "position", "component_count")
    list_editable = ("position",)
    search_fields = ("name",)
    fields = ("name", "position")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusGroup]:
        return super().get_queryset(request).annotate(component_count=Count("components"))

    @admin.display(description="services", ordering="component_count")
    def component_count(self, obj: StatusGroup) -> int:
        return obj.component_count


@admin.register(StatusComponent)
class StatusComponentAdmin(RecordHistoryAdmin):
    """Which services the status page lists, under which group; and a state set by hand, with its
    reason, which wins over what the incidents say until it is cleared (through the service, so
    that who set it and when are recorded)."""

    list_display = ("service", "group", "position", "shown", "override", "override_reason", "override_by",
                    "override_at")
    list_select_related = ("service", "group", "override_by")
    list_filter = ("shown", "group", "override")
    search_fields = ("service__name", "override_reason")
    fields = ("service", "group", "position", "shown", "override", "override_reason", "override_by", "override_at")
    readonly_fields = ("override_by", "override_at")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "service") if obj is not None else self.readonly_fields

    def save_model(self, request, obj: StatusComponent, form, change) -> None:
        wanted = (obj.override, obj.override_reason)
        if change:
            before = StatusComponent.objects.get(pk=obj.pk)
            obj.override, obj.override_reason = before.override, before.override_reason
        else:
            obj.override, obj.override_reason = "", ""
        super().save_model(request, obj, form, change)
        if wanted != (obj.override, obj.override_reason):
            try:
                status_services.set_override(component=obj, status=wanted[0], reason=wanted[1], by=request.user)
            except ValidationError as refusal:
                self.message_user(request, " ".join(refusal.messages), level="error")
