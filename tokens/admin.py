"""API tokens in the admin: issue (the key is shown once), list with last use, revoke.

Everyone on the staff manages their own tokens; incident managers (`manage_all_tokens`) also issue
tokens for other accounts, such as a monitoring system's reporter account, and revoke any token.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from . import services
from .models import ApiToken


class IssueForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "expires_at"]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("An expiry date must be in the future.")
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "status_label", "created_at", "last_used_at", "last_used_ip",
                    "expires_at"]
    list_select_related = ["user"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "name", "key_prefix", "status_label", "created_at", "created_by", "expires_at",
                       "last_used_at", "last_used_ip", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def _manages_all(self, request) -> bool:
        return request.user.is_superuser or request.user.has_perm("tokens.manage_all_tokens")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if self._manages_all(request) else queryset.filter(user=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = IssueForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            user_field = form.base_fields["user"]
            user_field.queryset = services.accounts_for(request.user).order_by("username")
            user_field.initial = request.user.pk
        return form

    def get_autocomplete_fields(self, request):
        # The user search is the user admin's, over every account: for superusers, who may issue
        # for anyone. Others choose from the accounts `accounts_for` allows them.
        return ["user"] if request.user.is_superuser else []

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["user", "name", "expires_at"] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked tokens stay listed: who used what, until when

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        # The form offered only the accounts `accounts_for` allows; `issue` checks it again.
        token, key = services.issue(user=form.cleaned_data["user"], name=form.cleaned_data["name"],
                                    created_by=request.user, expires_at=form.cleaned_data.get("expires_at"))
        obj.pk = token.pk
        self.message_user(request, format_html(
            "The token “{}” was issued. Copy it now; it is not shown again: <code class=\"api-token\">{}</code>",
            token.name, key), messages.WARNING)

    def log_addition(self, request, obj, message):
        return super().log_addition(request, ApiToken.objects.get(pk=obj.pk), message)

    def response_add(self, request, obj, post_url_continue=None):
        return self.response_post_save_add(request, obj)

    @admin.display(description="Key")
    def key_prefix(self, obj) -> str:
        return f"itsm_{obj.prefix}_…"

    @admin.display(description="Status")
    def status_label(self, obj) -> str:
        return obj.status

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        revoked = sum(services.revoke(token, by=request.user) for token in queryset)
        self.message_user(request, f"{revoked} token(s) revoked." if revoked else "Those tokens were revoked already.")
