"""`{% staff_board as board %}`: the staff home of the person signed in, for the admin's index."""

from __future__ import annotations

from django import template

from .. import board as boards

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_board(context) -> boards.Board:
    return boards.build(context["request"].user)
