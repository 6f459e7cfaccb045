"""Issuing the tokens an intake account posts with, from the admin: one per selected source or
mailbox, each key shown once in one message."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from tokens import services as tokens


def issue_and_show(model_admin, request, accounts: Iterable[tuple[str, object, str]]) -> None:
    """`accounts`: (what it is called, its account, the token's name) for each row selected. A
    refusal is said for its row and the others are still issued."""
    issued = []
    for label, account, token_name in accounts:
        try:
            _, key = tokens.issue(user=account, name=token_name, created_by=request.user)
        except PermissionError as refusal:
            model_admin.message_user(request, str(refusal), messages.ERROR)
            continue
        issued.append((label, key))
    if issued:
        model_admin.message_user(request, format_html(
            "Copy each token now; it is not shown again: {}",
            format_html_join(" ", "{}: <code class=\"api-token\">{}</code>", issued)), messages.WARNING)


def tokens_of(account_id: int, label: str) -> str:
    """A link to the tokens of an intake account, in the token admin's list."""
    url = reverse("admin:tokens_apitoken_changelist") + f"?user__id__exact={account_id}"
    return format_html('<a href="{}">{}</a>', url, label)
