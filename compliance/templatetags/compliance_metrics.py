"""How the SLA metrics read on the page: a mean as "3 h 05 min", a share as "87.5% (7 of 8)"."""

from __future__ import annotations

from django import template

from core.durations import Mean, Share, duration_text

register = template.Library()


@register.filter
def duration(mean: Mean) -> str:
    return duration_text(mean.value)


@register.filter
def share(value: Share) -> str:
    if value.percent is None:
        return "–"
    return f"{value.percent:.1f}% ({value.met} of {value.count})"
