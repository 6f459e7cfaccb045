"""Webhooks in the admin: the endpoints (incident managers manage every one, other staff their
own), and the delivery log, read-only, with "send again".

The signing secret is shown on the endpoint's page to its owner only; anyone who manages the
endpoint may rotate it. The delivery log is a big table: every column comes from the rows and the
two tables joined to them, and the count above the list is not computed.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from core.admin import QuickListMixin, ReadOnlyAdmin
from incidents.models import EventKind

from . import services
from .audience import owner_choices
from .models import Attempt, Delivery, Endpoint


def manages_all(request: HttpRequest) -> bool:
    return request.user.is_superuser or request.user.has_perm("webhooks.manage_all_endpoints")


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         help_text="Where events are POSTed (http or https).")
    events = forms.MultipleChoiceField(
        choices=EventKind.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="The event kinds sent to this endpoint; none ticked: every kind.",
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "owner", "payload_format", "events", "active"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "destination", "owner", "payload_format", "subscribed", "active", "consecutive_failures",
                    "disabled_reason"]
    list_filter = ["active", "payload_format"]
    list_select_related = ["owner"]
    search_fields = ["name", "url", "owner__username"]
    actions = ["rotate_secret"]
    state_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Endpoint]:
        queryset = super().get_queryset(request)
        return queryset if manages_all(request) else queryset.filter(owner=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        owner = form.base_fields.get("owner")
        if owner is not None:
            users = owner_choices()
            owner.queryset = users if manages_all(request) else users.filter(pk=request.user.pk)
            owner.initial = request.user.pk
        return form

    def get_autocomplete_fields(self, request):
        return ["owner"] if manages_all(request) and request.user.has_perm("auth.view_user") else []

    def _secret_field(self, request, obj) -> str:
        return "signing_secret" if obj is not None and obj.owner_id == request.user.pk else "signing_secret_hidden"

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "owner", "payload_format", "events", "active"]
        return fields if obj is None else [*fields, self._secret_field(request, obj), *self.state_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [self._secret_field(request, obj), *self.state_fields]

    def save_model(self, request, obj, form, change) -> None:
        services.save_endpoint(obj, by=request.user)
        if not change:
            if obj.owner_id == request.user.pk:
                self.message_user(request, format_html(
                    "The endpoint “{}” signs its messages with this secret; give it to the receiver: "
                    "<code class=\"webhook-secret\">{}</code> (it stays on the endpoint's page for you).",
                    obj.name, obj.secret), messages.WARNING)
            else:
                self.message_user(request, f"{obj.owner} sees the signing secret of “{obj.name}” on its page.")

    @admin.display(description="URL", ordering="url")
    def destination(self, obj: Endpoint) -> str:
        return obj.url_host

    @admin.display(description="Events")
    def subscribed(self, obj: Endpoint) -> str:
        if not obj.events:
            return "all"
        labels = dict(EventKind.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in obj.events)

    @admin.display(description="Signing secret")
    def signing_secret(self, obj: Endpoint) -> str:
        if obj.previous_secret and obj.previous_secret_until:
            return format_html('<code class="webhook-secret">{}</code><br>The previous secret also signs until {}.',
                               obj.secret, obj.previous_secret_until)
        return format_html('<code class="webhook-secret">{}</code>', obj.secret)

    @admin.display(description="Signing secret")
    def signing_secret_hidden(self, obj: Endpoint) -> str:
        return f"Shown to its owner ({obj.owner}) only."

    @admin.action(description="Rotate the signing secret of the selected endpoints", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        rotated = [services.rotate_secret(endpoint) for endpoint in queryset]
        self.message_user(request, f"{len(rotated)} endpoint(s) have a new signing secret, shown to their owners "
                                   "on their pages; the previous one keeps signing alongside it for a while.")


class EndpointListFilter(admin.SimpleListFilter):
    """The endpoints this person may see (Django's related filter would list every endpoint)."""

    title = "endpoint"
    parameter_name = "endpoint"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        endpoints = Endpoint.objects.order_by("name")
        if not manages_all(request):
            endpoints = endpoints.filter(owner=request.user)
        return [(str(pk), name) for pk, name in endpoints.values_list("pk", "name")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        return queryset.filter(endpoint_id=self.value()) if self.value() else queryset


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["number", "at", "response_code", "latency_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(QuickListMixin, ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "incident", "kind", "state", "attempts", "response_code",
                    "latency_ms", "next_attempt_at"]
    list_filter = ["state", EndpointListFilter]
    list_select_related = ["endpoint", "event__incident"]
    search_fields = ["=message_id", "=event__incident__reference"]
    show_full_result_count = False
    actions = ["redeliver"]
    inlines = [AttemptInline]
    fields = ["endpoint", "incident", "kind", "message_id", "state", "created_at", "attempts", "last_attempt_at",
              "next_attempt_at", "give_up_at", "delivered_at", "response_code", "latency_ms", "error", "body"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        # Deliveries go only to endpoints whose owner may see the incident: a person who sees the
        # endpoint's log sees no more than its owner may.
        queryset = super().get_queryset(request)
        return queryset if manages_all(request) else queryset.filter(endpoint__owner=request.user)

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.redeliver_delivery")

    @admin.display(description="incident", ordering="event__incident__reference")
    def incident(self, obj: Delivery) -> str:
        return obj.event.incident.reference

    @admin.display(description="event")
    def kind(self, obj: Delivery) -> str:
        return obj.event.get_kind_display()

    @admin.display(description="body")
    def body(self, obj: Delivery) -> str:
        if not obj.payload:
            return "Built at the first attempt."
        return format_html("<pre>{}</pre>", json.dumps(json.loads(obj.payload), indent=2, ensure_ascii=False))

    @admin.action(description="Send the selected messages again (same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = services.redeliver(queryset)
        parts = [f"{done.queued} message(s) queued to be sent again."]
        if done.waiting:
            parts.append(f"{done.waiting} wait for their endpoint to be switched on again.")
        if done.in_flight:
            parts.append(f"{done.in_flight} are being sent right now and were left alone.")
        self.message_user(request, " ".join(parts), messages.SUCCESS if done.queued else messages.WARNING)
