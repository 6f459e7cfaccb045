"""Communication templates, rendered in Jinja2's sandbox over a fixed context.

Templates are written in the admin by incident managers, so they are untrusted code: Django's
template engine is not a sandbox (a template may call any method it reaches), Jinja2's
`SandboxedEnvironment` is. On top of the sandbox:

- the context is plain strings, built here from the incident's public fields (`context_for`), never a
  model instance: there is nothing behind a variable to walk to (no `.reporter`, no `.objects`);
- an unknown variable is an error when the template is saved (`check`), and at rendering
  (`StrictUndefined`), never silently empty;
- no globals (no `lipsum`, `cycler`, `namespace`, `dict`), `range` capped at `MAX_LOOP`, and `*`
  and `**` refused when they would build a huge string or number; the output is cut at
  `MAX_OUTPUT` characters.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

MAX_LOOP = 100
MAX_OUTPUT = 20_000
MAX_PRODUCT = 10_000  # the longest string `*` may make
MAX_BITS = 256  # the largest number `**` may make
# What a template has no use for, and what would reach past its text: other templates, macros
# (whose `caller` and arguments are more names to walk), its own blocks (`self`).
REFUSED_TAGS = {nodes.Extends: "extends", nodes.Include: "include", nodes.Import: "import",
                nodes.FromImport: "from … import", nodes.Macro: "macro", nodes.CallBlock: "call",
                nodes.Block: "block"}

# What a template may use, and what each holds (shown beside the editor and in errors).
VARIABLES: dict[str, str] = {
    "reference": "The incident's reference, e.g. INC-000123.",
    "summary": "Its one-line summary.",
    "priority": "Its priority, e.g. “P1 – Critical”.",
    "state": "Its state, e.g. “In progress”.",
    "service": "The affected service (empty when none is set).",
    "started": "When it was reported, e.g. “1 Dec 2026, 09:14 UTC”.",
    "next_update_due": "When the next stakeholder update is due (empty when none is).",
    "workaround": "The workaround recorded for it (empty when none is).",
    "link": "Where readers follow it (the portal page).",
}


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator_name: str, left, right):
        if operator_name == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left).bit_length() * abs(right) > MAX_BITS:
                raise SecurityError("That power is too large for a template.")
            return operator.pow(left, right)
        size = (len(left) * right if isinstance(left, str) and isinstance(right, int) else
                len(right) * left if isinstance(right, str) and isinstance(left, int) else 0)
        if size > MAX_PRODUCT:
            raise SecurityError(f"A repeated text longer than {MAX_PRODUCT:,} characters is not allowed.")
        return operator.mul(left, right)


def _capped_range(*args):
    values = range(*args)
    if len(values) > MAX_LOOP:
        raise SecurityError(f"A loop over more than {MAX_LOOP} items is not allowed in a template.")
    return values


def environment() -> SandboxedEnvironment:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals.clear()
    env.globals["range"] = _capped_range
    return env


ENV = environment()


def check(source: str, *, field: str) -> None:
    """Refuse a template that does not compile or uses a variable that does not exist, saying which
    and where (ValidationError on `field`)."""
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as error:
        raise ValidationError({field: f"Line {error.lineno}: {error.message}."}) from error
    unknown = sorted(meta.find_undeclared_variables(tree) - set(VARIABLES) - set(ENV.globals))
    if unknown:
        raise ValidationError({field: f"Unknown variable{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                                      f"A template may use: {', '.join(VARIABLES)}."})
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            raise ValidationError({field: f"Line {node.lineno}: “{node.attr}” cannot be used in a template."})
    for kind, tag in REFUSED_TAGS.items():
        for node in tree.find_all(kind):
            raise ValidationError({field: f"Line {node.lineno}: {{% {tag} %}} cannot be used in a template."})
    for node in tree.find_all(nodes.Name):
        if node.name == "self":
            raise ValidationError({field: f"Line {node.lineno}: “self” cannot be used in a template."})


def render_text(source: str, context: Mapping[str, str]) -> str:
    """The text of `source` for `context`; TemplateError (with the sentence) when it cannot be made."""
    try:
        text = ENV.from_string(source).render(**{name: context.get(name, "") for name in VARIABLES})
    except SecurityError as error:
        raise TemplateError(f"The template tried something not allowed: {error}") from error
    except (ArithmeticError, TypeError, ValueError) as error:
        raise TemplateError(f"The template failed: {error}") from error
    return text[:MAX_OUTPUT]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _when(moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%-d %b %Y, %H:%M} {local.tzname()}"


def context_for(incident) -> dict[str, str]:
    """The incident's public fields, as text: all a template ever sees."""
    return {
        "reference": incident.reference,
        "summary": incident.summary,
        "priority": incident.get_priority_display(),
        "state": incident.get_state_display(),
        "service": incident.service.name if incident.service_id else "",
        "started": _when(incident.opened_at),
        "next_update_due": _when(incident.update_due_at),
        "workaround": incident.workaround or "",
        "link": f"{settings.ITSM_BASE_URL}{incident.get_absolute_url()}",
    }


def sample_context() -> dict[str, str]:
    """What the preview shows when no incident is chosen."""
    return {
        "reference": "INC-000123", "summary": "E-mail cannot be sent from Outlook", "priority": "P1 – Critical",
        "state": "In progress", "service": "E-mail", "started": "1 Dec 2026, 09:14 UTC",
        "next_update_due": "1 Dec 2026, 10:14 UTC", "workaround": "Use Outlook on the web.",
        "link": f"{settings.ITSM_BASE_URL}/portal/incidents/INC-000123/",
    }
