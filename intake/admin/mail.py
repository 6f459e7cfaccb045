"""Mailboxes and the messages received, with the quarantine.

A pipe mailbox is created with its own account (`intake.accounts.service_account`); "Issue a pipe
token" gives that account a token, shown once, that the mail server posts with. An IMAP mailbox
names the environment variable holding its password, never the password itself.

The messages are the system's rows: read-only, listed where their incident may be read in full
(a message not yet on an incident is the desk's to see). The quarantine is the list filtered to
the messages that could not be processed; "Release" processes one again (`process.release`), and
its raw message can be downloaded by those who may release it, to see what was wrong with it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin import ReadOnlyAdmin
from core.errors import WorkflowError
from incidents import roles, selectors

from ..accounts import service_account
from ..mail import process
from ..models import InboundMessage, Mailbox, MailboxKind, MessageOutcome
from .tokens import issue_and_show, tokens_of


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "address", "active", "unknown_senders", "last_polled_at", "error")
    list_filter = ("kind", "active")
    search_fields = ("name", "address")
    readonly_fields = ("account", "endpoint", "tokens_link", "last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("name", "kind", "address", "active", "unknown_senders")}),
        ("IMAP (read by the beat task every minute)", {
            "fields": ("host", "port", "tls", "folder", "username", "password_env", "last_polled_at", "last_error"),
            "description": "The worker reads the password from the environment variable named here; set it in the "
                           "worker's environment (docker-compose.yml).",
        }),
        ("Pipe (the mail server posts each message)", {"fields": ("endpoint", "account", "tokens_link")}),
        ("New incidents", {"fields": ("default_category", "default_team")}),
    )
    actions = ["issue_token"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mailbox]:
        return super().get_queryset(request).select_related("service_user")

    def save_model(self, request, obj: Mailbox, form, change) -> None:
        if obj.kind == MailboxKind.PIPE and obj.service_user_id is None:
            obj.service_user = service_account("mail", obj.name)
        super().save_model(request, obj, form, change)

    @admin.display(description="last error")
    def error(self, obj: Mailbox) -> str:
        return obj.last_error[:80]

    @admin.display(description="account")
    def account(self, obj: Mailbox) -> str:
        if obj.service_user_id:
            return obj.service_user.get_username()
        return "Created when a pipe mailbox is saved."

    @admin.display(description="posts to")
    def endpoint(self, obj: Mailbox) -> str:
        return reverse("intake-email-list")

    @admin.display(description="tokens")
    def tokens_link(self, obj: Mailbox) -> str:
        if not obj.service_user_id:
            return "Issue one from the list (“Issue a pipe token”) once the pipe mailbox is saved."
        return tokens_of(obj.service_user_id, "The mailbox’s tokens")

    @admin.action(description="Issue a pipe token for the selected mailboxes", permissions=["change"])
    def issue_token(self, request, queryset) -> None:
        pipes = []
        for mailbox in queryset:
            if mailbox.kind != MailboxKind.PIPE or mailbox.service_user_id is None:
                self.message_user(request, f"“{mailbox}” is read over IMAP; only a pipe mailbox takes a token.",
                                  messages.ERROR)
                continue
            pipes.append((mailbox.name, mailbox.service_user, f"Mail pipe – {mailbox.name}"))
        issue_and_show(self, request, pipes)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "outcome", "sender", "subject", "mailbox", "incident_link")
    list_filter = ("outcome", "mailbox")
    list_select_related = ("incident", "mailbox")
    search_fields = ("sender", "subject", "message_key", "incident__reference")
    show_full_result_count = False
    fields = ("received_at", "mailbox", "outcome", "reason", "sender", "subject", "message_key", "incident_link",
              "size", "rejected", "reply_sent_at", "raw_link")
    readonly_fields = fields
    actions = ["release"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMessage]:
        queryset = super().get_queryset(request)
        on_incidents = InboundMessage.objects.filter(incident__isnull=False)
        readable = selectors.of_visible_incidents(on_incidents, request.user).values("pk")
        return queryset.filter(Q(incident__isnull=True) | Q(pk__in=readable))

    def get_urls(self):
        own = [
            path("quarantine/", self.admin_site.admin_view(self.quarantine_view), name="intake_inboundmessage_quarantine"),
            path("<path:object_id>/raw/", self.admin_site.admin_view(self.raw_view), name="intake_inboundmessage_raw"),
        ]
        return [*own, *super().get_urls()]

    def quarantine_view(self, request: HttpRequest):
        """The quarantine: the list of messages that could not be processed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        url = reverse("admin:intake_inboundmessage_changelist")
        return HttpResponseRedirect(f"{url}?outcome__exact={MessageOutcome.QUARANTINED}")

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("intake.release_inboundmessage")

    def raw_view(self, request: HttpRequest, object_id: str):
        """The message as it arrived, as a download (never rendered): for those who may release it,
        and only where they may read its incident."""
        if not self.has_release_permission(request):
            raise PermissionDenied
        row = self.get_object(request, object_id)  # through get_queryset: its visibility rule
        if row is None or not row.raw:
            raise Http404("No such message, or its raw copy is not kept.")
        if row.incident_id and not roles.can_view(request.user, row.incident):
            raise Http404("No such message.")
        try:
            handle = row.raw.open("rb")
        except FileNotFoundError:
            raise Http404("The raw message is no longer on disk.") from None
        response = FileResponse(handle, as_attachment=True, filename=f"message-{row.pk}.eml",
                                content_type="message/rfc822")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.action(description="Release the selected quarantined messages (process them again)",
                  permissions=["release"])
    def release(self, request, queryset) -> None:
        for row in queryset.filter(outcome=MessageOutcome.QUARANTINED):
            try:
                done = process.release(row, by=request.user)
            except WorkflowError as refused:
                self.message_user(request, refused.message, messages.ERROR)
                continue
            level = messages.WARNING if done.outcome == MessageOutcome.QUARANTINED else messages.SUCCESS
            self.message_user(request, f"{done}: {done.get_outcome_display()}. {done.reason}", level)

    @admin.display(description="incident", ordering="incident__reference")
    def incident_link(self, obj: InboundMessage) -> str:
        if obj.incident_id is None:
            return "–"
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident.reference)

    @admin.display(description="attachments refused")
    def rejected(self, obj: InboundMessage) -> str:
        if not obj.rejected_attachments:
            return "–"
        return format_html_join("; ", "{}: {}", ((item.get("name"), item.get("reason"))
                                                 for item in obj.rejected_attachments))

    @admin.display(description="raw message")
    def raw_link(self, obj: InboundMessage) -> str:
        if not obj.raw:
            return "–"
        url = reverse("admin:intake_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">Download ({} bytes)</a>', url, obj.size)
