"""`{% load kb_markdown %}` then `{{ known_error.workaround|kb_markdown }}`: a Markdown body as
sanitised HTML, for the portal and admin templates."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..rendering import render_markdown

register = template.Library()


@register.filter(name="kb_markdown")
def kb_markdown(value: str | None) -> SafeString:
    return render_markdown(value)
