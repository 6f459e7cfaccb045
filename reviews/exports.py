"""A review as a Markdown document and as the context of its print page.

Everything people typed is HTML-escaped in the Markdown, because Markdown renderers pass raw HTML
through: a root cause that quotes `<script>` must stay text wherever the file is rendered.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import ActionItem, PostIncidentReview, TimelineEntry
from .timeline import Figures, figures, format_duration

SECTIONS = (
    ("summary", "Summary"),
    ("customer_impact", "Customer impact"),
    ("root_cause", "Root cause"),
    ("contributing_factors", "Contributing factors"),
    ("what_went_well", "What went well"),
    ("what_went_poorly", "What went poorly"),
    ("lessons_learned", "Lessons learned"),
)
SLA_TEXT = {"met": "Met", "breached": "Breached", "unknown": "Unknown (no SLA data on the incident)"}


@dataclass
class ReviewDocument:
    review: PostIncidentReview
    figures: Figures
    timeline: list[TimelineEntry]
    action_items: list[ActionItem]

    @property
    def sections(self) -> list[tuple[str, str]]:
        return [(title, getattr(self.review, field)) for field, title in SECTIONS]

    @property
    def figure_rows(self) -> list[tuple[str, str]]:
        f = self.figures
        return [
            ("Time to acknowledge", format_duration(f.time_to_acknowledge)),
            ("Time to workaround", format_duration(f.time_to_workaround)),
            ("Time to resolve", format_duration(f.time_to_resolve)),
            ("SLA", SLA_TEXT[f.sla]),
            ("Incidents affected", str(f.affected_incidents)),
            ("Users affected", str(f.affected_users)),
        ]


def document(review: PostIncidentReview) -> ReviewDocument:
    """Everything an export shows, in a fixed number of queries."""
    return ReviewDocument(
        review=review,
        figures=figures(review),
        timeline=list(review.timeline.select_related("actor")),
        action_items=list(review.action_items.select_related("owner", "team")),
    )


def _text(value: str) -> str:
    return html.escape((value or "").strip(), quote=False)


def _cell(value: str) -> str:
    # A table cell is one line, and a pipe would end it.
    return " ".join(_text(value).split()).replace("|", "\\|")


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def markdown(review: PostIncidentReview) -> str:
    doc = document(review)
    incident = review.incident
    lines = [
        f"# {review.reference}: {incident.reference} — {_text(incident.summary)}",
        "",
        "| | |",
        "|---|---|",
        f"| Incident | {incident.reference} ({_cell(incident.get_priority_display())}) |",
        f"| Review state | {review.get_state_display()} |",
        f"| Owner | {_cell(_person(review.owner))} |",
        f"| Opened | {_when(incident.opened_at)} |",
        f"| Resolved | {_when(incident.resolved_at)} |",
        *(f"| {label} | {value} |" for label, value in doc.figure_rows),
        "",
    ]
    for title, value in doc.sections[:2]:
        lines += [f"## {title}", "", _text(value) or "_Not written yet._", ""]
    lines += ["## Timeline", ""]
    for entry in doc.timeline:
        text = " ".join(_text(entry.text).split())
        if entry.struck:
            text = f"~~{text}~~ (struck)"
        by = f" ({_cell(_person(entry.actor))})" if entry.actor else ""
        lines.append(f"- {_when(entry.at)}{by} — {text}")
    if not doc.timeline:
        lines.append("_No entries._")
    lines.append("")
    for title, value in doc.sections[2:]:
        lines += [f"## {title}", "", _text(value) or "_Not written yet._", ""]
    lines += ["## Action items", ""]
    if doc.action_items:
        lines += ["| # | Action | Owner | Team | Due | Priority | State | Link |", "|---|---|---|---|---|---|---|---|"]
        for number, item in enumerate(doc.action_items, start=1):
            state = item.get_state_display()
            if item.wont_do_reason:
                state = f"{state}: {_cell(item.wont_do_reason)}"
            lines.append(
                f"| {number} | {_cell(item.description)} | {_cell(_person(item.owner))} | {_cell(str(item.team or '—'))} "
                f"| {item.due_date:%Y-%m-%d} | {item.get_priority_display()} | {state} | {_cell(item.link_url) or '—'} |"
            )
    else:
        lines.append("_None._")
    lines.append("")
    if review.no_action_reason.strip():
        lines += ["**No action needed because:** " + _text(review.no_action_reason), ""]
    if review.proposed_known_error_title:
        lines += [
            "## Proposed known error", "",
            f"**{_text(review.proposed_known_error_title)}**"
            + (f" (knowledge base: {review.known_error.get_state_display().lower()})" if review.known_error_id else ""),
            "",
            "Symptoms: " + (_text(review.proposed_known_error_symptoms) or "—"), "",
            "Workaround: " + (_text(review.proposed_known_error_workaround) or "—"), "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def filename(review: PostIncidentReview, extension: str) -> str:
    return f"{review.reference}-{review.incident.reference}.{extension}"
