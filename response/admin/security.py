"""The security response in the admin: the configuration (each category's containment checklist,
who legal and compliance are), read-only lists of evidence, custody, notices and forensics (each
held to the incident's visibility rule), an evidence item's page and its download, and the pages
the incident's security panel posts to. Every write is a `response.security.services` call."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from core.errors import WorkflowError
from incidents.models import Incident

from ..models import (
    ContainmentItem,
    CustodyEntry,
    Evidence,
    EvidenceKind,
    ForensicsEngagement,
    Notice,
    NoticeMessage,
    NoticeRecipient,
)
from ..security import forms, selectors, services


@admin.register(ContainmentItem)
class ContainmentItemAdmin(admin.ModelAdmin):
    list_display = ("category", "position", "label")
    list_display_links = ("label",)
    list_select_related = ("category",)
    list_filter = ("category",)
    ordering = ("category__name", "position", "pk")
    search_fields = ("label", "category__name")


@admin.register(NoticeRecipient)
class NoticeRecipientAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "email", "group", "active")
    list_select_related = ("group",)
    list_filter = ("role", "active")
    search_fields = ("name", "email")


def _incident_link(incident: Incident) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:incidents_incident_change", args=[incident.pk]),
                       incident.reference)


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("title", "incident_link", "kind", "size", "sha256", "collected_by", "collected_at", "holder",
                    "superseded")
    list_select_related = ("incident", "collected_by")
    list_filter = ("kind",)
    search_fields = ("title", "sha256", "incident__reference")
    ordering = ("-recorded_at", "-pk")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return selectors.evidence_seen_by(request.user)

    @admin.display(description="Incident", ordering="incident__reference")
    def incident_link(self, evidence: Evidence) -> str:
        return _incident_link(evidence.incident)

    @admin.display(description="Superseded", boolean=True)
    def superseded(self, evidence: Evidence) -> bool:
        return evidence.superseded_by_id is not None

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "response_security"
        return [
            path("<int:evidence_id>/download/", view(self.download_view), name=f"{name}_download"),
            path("<int:evidence_id>/hand-over/", view(self.hand_over_view), name=f"{name}_hand_over"),
            path("<int:evidence_id>/supersede/", view(self.supersede_view), name=f"{name}_supersede"),
            path("incident/<int:incident_id>/step/<int:step_id>/<str:how>/", view(self.tick_view),
                 name=f"{name}_tick"),
            path("incident/<int:incident_id>/<str:action>/", view(self.incident_action_view), name=f"{name}_action"),
            *super().get_urls(),
        ]

    # --- an item's page, its download, hand-over and supersede ------------------------------------
    def _evidence(self, request: HttpRequest, evidence_id) -> Evidence:
        if not self.has_view_permission(request):
            raise PermissionDenied
        evidence = selectors.evidence_item(request.user, int(evidence_id)) if str(evidence_id).isdigit() else None
        if evidence is None:
            raise Http404("No such evidence.")
        return evidence

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None) -> HttpResponse:
        """The item, its hash and its chain of custody; opening it is a line of custody."""
        evidence = self._evidence(request, object_id)
        services.view(evidence=evidence, user=request.user)
        return self._evidence_page(request, evidence)

    def _evidence_page(self, request, evidence, *, hand_over_form=None, supersede_form=None, status=200):
        may_work = services.may_work(request.user, evidence.incident)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "evidence": evidence,
            "incident": evidence.incident, "title": f"Evidence: {evidence.title}", "may_work": may_work,
            "custody": list(evidence.custody.select_related("actor").order_by("at", "pk")),
            "hand_over_form": hand_over_form or forms.HandOverForm(),
            "supersede_form": supersede_form or forms.SupersedeForm(evidence=evidence),
        }
        return TemplateResponse(request, "response/security/evidence.html", context, status=status)

    def download_view(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        """The stored item, only once its hash is computed again and found to be the one collected:
        the response says so (`X-Evidence-SHA256-Verified`); a mismatch is refused (409) and logged."""
        evidence = self._evidence(request, evidence_id)
        result = services.verify_for_download(evidence=evidence, user=request.user)
        if not result.matched:
            context = {**self.admin_site.each_context(request), "opts": self.model._meta, "evidence": evidence,
                       "incident": evidence.incident, "result": result,
                       "title": f"“{evidence.title}” failed its hash check"}
            return TemplateResponse(request, "response/security/hash_mismatch.html", context, status=409)
        if evidence.kind == EvidenceKind.FILE:
            # The bytes that were hashed, not a second read of storage that could differ.
            response = FileResponse(result.content, as_attachment=True, filename=evidence.original_name,
                                    content_type=evidence.content_type or "application/octet-stream")
            response["X-Content-Type-Options"] = "nosniff"
        else:
            response = HttpResponse(evidence.note.encode("utf-8"), content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}.txt"'
            response["X-Content-Type-Options"] = "nosniff"
        response["X-Evidence-SHA256"] = result.sha256
        response["X-Evidence-SHA256-Verified"] = "match"
        return response

    def _run(self, form, run: Callable[[dict], object]) -> bool:
        """Run the service with the form's data; its refusal becomes the form's error."""
        try:
            run(form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, sentences in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, sentences)
            else:
                form.add_error(None, error.messages)
            return False
        except (WorkflowError, PermissionDenied) as refusal:
            form.add_error(None, getattr(refusal, "message", None) or str(refusal))
            return False
        return True

    def hand_over_view(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        evidence = self._evidence(request, evidence_id)
        form = forms.HandOverForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and self._run(form, lambda data: services.hand_over(
                evidence=evidence, user=request.user, to=data["to"], reason=data["reason"])):
            messages.success(request, f"“{evidence.title}” is handed over.")
            return HttpResponseRedirect(reverse("admin:response_evidence_change", args=[evidence.pk]))
        return self._evidence_page(request, evidence, hand_over_form=form, status=400 if form.is_bound else 200)

    def supersede_view(self, request: HttpRequest, evidence_id: int) -> HttpResponse:
        evidence = self._evidence(request, evidence_id)
        form = forms.SupersedeForm(request.POST or None, evidence=evidence)
        if request.method == "POST" and form.is_valid() and self._run(form, lambda data: services.supersede(
                evidence=evidence, replacement=data["replacement"], user=request.user, reason=data["reason"])):
            messages.success(request, f"“{evidence.title}” is superseded; it stays on the record.")
            return HttpResponseRedirect(reverse("admin:response_evidence_change", args=[evidence.pk]))
        return self._evidence_page(request, evidence, supersede_form=form, status=400 if form.is_bound else 200)

    # --- the incident's security panel posts here -------------------------------------------------
    ACTIONS: dict[str, tuple[type, str]] = {
        "step": (forms.StepForm, "Add a containment step"),
        "file": (forms.EvidenceFileForm, "Collect a file as evidence"),
        "note": (forms.EvidenceNoteForm, "Record a note as evidence"),
        "notice": (forms.NoticeForm, "Notify legal or compliance"),
        "forensics": (forms.ForensicsForm, "Record external forensics engaged"),
        "customer": (forms.CustomerForm, "List an affected customer"),
        "customer-update": (forms.CustomerUpdateForm, "Update the affected customers"),
    }

    def _incident(self, request: HttpRequest, incident_id: int) -> Incident:
        if not self.has_view_permission(request):
            raise PermissionDenied
        incident = get_object_or_404(Incident.objects.seen_internally_by(request.user), pk=incident_id)
        if not services.may_work(request.user, incident):
            raise PermissionDenied(f"Only those who work on security incident {incident.reference} may do this.")
        return incident

    def _back(self, incident: Incident) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]) + "#security")

    def _form_page(self, request, incident, form, title: str, status: int) -> TemplateResponse:
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "incident": incident,
                   "form": form, "title": f"{title} – {incident.reference}", "heading": title}
        return TemplateResponse(request, "response/security/form_page.html", context, status=status)

    def _service(self, action: str, incident: Incident, user) -> Callable[[dict], object]:
        return {
            "step": lambda d: services.add_step(incident=incident, user=user, label=d["label"]),
            "file": lambda d: services.collect_file(incident=incident, user=user, upload=d["upload"], title=d["title"],
                                                    description=d["description"], collected_at=d["collected_at"]),
            "note": lambda d: services.collect_note(incident=incident, user=user, title=d["title"], note=d["note"],
                                                    description=d["description"], collected_at=d["collected_at"]),
            "notice": lambda d: services.send_notice(incident=incident, user=user, role=d["role"],
                                                     template=d["template"], note=d["note"]),
            "forensics": lambda d: services.engage_forensics(incident=incident, user=user, firm=d["firm"],
                                                             contact=d["contact"], reference=d["reference"],
                                                             engaged_at=d["engaged_at"], notes=d["notes"]),
            "customer": lambda d: services.add_customer(incident=incident, user=user, name=d["name"], email=d["email"]),
            "customer-update": lambda d: services.post_customer_update(incident=incident, user=user,
                                                                       template=d["template"], text=d["text"]),
        }[action]

    def incident_action_view(self, request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
        incident = self._incident(request, incident_id)
        if action == "remove-customer":
            return self._remove_customer(request, incident)
        if action not in self.ACTIONS:
            raise Http404("No such action.")
        form_class, title = self.ACTIONS[action]
        form = form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid() and self._run(form, self._service(action, incident,
                                                                                          request.user)):
            messages.success(request, f"{title}: done.")
            return self._back(incident)
        return self._form_page(request, incident, form, title, status=400 if form.is_bound else 200)

    def _remove_customer(self, request: HttpRequest, incident: Incident) -> HttpResponse:
        if request.method != "POST":
            return self._back(incident)
        customer = incident.affected_customers.filter(pk=request.POST.get("customer", "0") or 0).first()
        if customer is None:
            messages.error(request, "That customer is not listed on this incident.")
        else:
            services.remove_customer(customer=customer, user=request.user)
            messages.success(request, f"{customer.name} is no longer listed.")
        return self._back(incident)

    def tick_view(self, request: HttpRequest, incident_id: int, step_id: int, how: str) -> HttpResponse:
        incident = self._incident(request, incident_id)
        if how not in ("tick", "untick"):
            raise Http404("Tick or untick.")
        form = forms.TickForm(request.POST or None)
        title = "Tick a containment step" if how == "tick" else "Untick a containment step"
        if request.method == "POST" and form.is_valid() and self._run(form, lambda d: services.tick(
                incident=incident, step_id=step_id, user=request.user, done=how == "tick", note=d["note"])):
            messages.success(request, "Containment step ticked." if how == "tick" else "Containment step unticked.")
            return self._back(incident)
        return self._form_page(request, incident, form, title, status=400 if form.is_bound else 200)


@admin.register(CustodyEntry)
class CustodyEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "evidence", "incident_link", "actor", "from_holder", "to_holder", "hash_ok")
    list_select_related = ("evidence__incident", "actor")
    list_filter = ("action",)
    ordering = ("-at", "-pk")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustodyEntry]:
        return selectors.custody_seen_by(request.user)

    @admin.display(description="Incident")
    def incident_link(self, entry: CustodyEntry) -> str:
        return _incident_link(entry.evidence.incident)


class NoticeMessageInline(admin.TabularInline):
    model = NoticeMessage
    fields = ("recipient", "created_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "incident_link", "role", "sent_by", "template")
    list_select_related = ("incident", "sent_by", "template")
    list_filter = ("role",)
    ordering = ("-created_at", "-pk")
    inlines = [NoticeMessageInline]
    fields = ("incident", "role", "template", "subject", "body", "sent_by", "created_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notice]:
        return selectors.notices_seen_by(request.user)

    @admin.display(description="Incident")
    def incident_link(self, notice: Notice) -> str:
        return _incident_link(notice.incident)


@admin.register(ForensicsEngagement)
class ForensicsEngagementAdmin(ReadOnlyAdmin):
    list_display = ("engaged_at", "firm", "contact", "reference", "incident_link", "engaged_by")
    list_select_related = ("incident", "engaged_by")
    ordering = ("-engaged_at", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ForensicsEngagement]:
        return selectors.forensics_seen_by(request.user)

    @admin.display(description="Incident")
    def incident_link(self, engagement: ForensicsEngagement) -> str:
        return _incident_link(engagement.incident)
