"""The end-user portal: report an incident, follow it, reply, confirm the fix or reopen it.

The portal shows a user only the incidents they reported, whatever roles they hold: agents work in
the admin, and here they are reporters like everyone else. Every write goes through
`incidents.services`, so the rules are the ones the admin and the API apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .. import services
from ..models import Attachment, Channel, Comment, EventKind, Incident, IncidentEvent
from ..workflow import DONE_STATES, State
from .deflection import portal_suggestions, report_text
from .forms import CommentForm, ReporterActionForm, ReportForm

PAGE_SIZE = 25
HOME_INCIDENTS = 5

# Transitions a reporter may ask for from the portal; anything else in the URL is a 404.
REPORTER_ACTIONS = ("close", "reopen", "cancel")

# What each public transition means to the person who reported the incident.
TIMELINE_HEADLINES = {
    "resolve": "Resolved",
    "close": "Closed – confirmed fixed",
    "reopen": "Reopened – still broken",
    "cancel": "Withdrawn",
    "hold": "On hold",
    "resume": "Work resumed",
}
ACTION_DONE = {
    "close": "Thank you for confirming. {ref} is closed.",
    "reopen": "{ref} is open again; the people working on it have been told.",
    "cancel": "You withdrew {ref}.",
}
# The reporter confirmed, but the incident stays resolved until a review or similar gate is done.
CONFIRMED_PENDING = (
    "Thank you for confirming that the fix works. {ref} stays resolved while the service desk "
    "finishes its follow-up, then closes by itself; there is nothing more you need to do."
)
ACTION_NEXT_STEP = {
    "close": "Confirm that the problem is fixed.",
    "reopen": "Tell us that the problem is still there.",
    "cancel": "Withdraw the incident if you no longer need help.",
}


def own_incidents(user) -> QuerySet[Incident]:
    """The portal's read rule: the incidents this user reported, and nothing else."""
    return Incident.objects.filter(reporter=user)


def _own_incident(user, reference: str) -> Incident:
    return get_object_or_404(own_incidents(user).select_related("team", "category", "service"), reference=reference)


def _not_done(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    # For the reporter a resolved incident is still "open": it waits for them to confirm the fix.
    return queryset.exclude(state__in=DONE_STATES)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    active = _not_done(own_incidents(request.user)).order_by("-updated_at", "-pk")
    # One row more than shown tells whether there are more, without a COUNT query.
    rows = list(active.only("reference", "summary", "state", "priority", "updated_at")[: HOME_INCIDENTS + 1])
    recent = rows[:HOME_INCIDENTS]
    context = {
        "recent_incidents": recent,
        "more_active": len(rows) > HOME_INCIDENTS,
        "awaiting_confirmation": [i for i in recent if i.state == State.RESOLVED],
        # Known-error suggestions ("these may solve it") are filled in by the knowledge base.
        "kb_suggestions": [],
    }
    return render(request, "portal/home.html", context)


def _check_for_solutions(request: HttpRequest) -> HttpResponse:
    """The no-script "Check for known solutions": the form again with what was typed (as initial
    values, so no errors are shown yet) and the suggestions for it."""
    typed = {name: request.POST.get(name, "") for name in ReportForm.base_fields if name != "attachment"}
    text = report_text(typed)
    context = {"form": ReportForm(initial=typed), "kb_suggestions": portal_suggestions(text),
               "kb_checked": True, "kb_text": text}
    return render(request, "portal/report.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "check" in request.POST:
        return _check_for_solutions(request)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            impact, urgency = form.impact_and_urgency()
            data = form.cleaned_data
            try:
                incident = services.incident_create(
                    reporter=request.user,
                    summary=data["summary"],
                    description=data["description"],
                    channel=Channel.PORTAL,
                    category=data["category"],
                    service=data["service"],
                    impact=impact,
                    urgency=urgency,
                    files=[data["attachment"]] if data["attachment"] else [],
                )
            except ValidationError as exc:
                # The service has the last word on what it accepts; show its sentence by the field.
                form.add_error(None if hasattr(exc, "error_dict") else "attachment", exc)
            else:
                messages.success(
                    request,
                    f"Thank you. Your incident has been recorded as {incident.reference}; "
                    "we have sent you a confirmation by e-mail.",
                )
                return redirect("portal:incident_detail", reference=incident.reference)
        status = 400
    else:
        form = ReportForm()
        status = 200
    return render(request, "portal/report.html", {"form": form}, status=status)


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "all")
    incidents = own_incidents(request.user)
    if status == "open":
        incidents = _not_done(incidents)
    elif status == "closed":
        incidents = incidents.filter(state__in=DONE_STATES)
    else:
        status = "all"
    incidents = incidents.only("reference", "summary", "state", "priority", "updated_at").order_by(
        "-updated_at", "-pk"
    )
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/incident_list.html", {"page": page, "status": status})


@dataclass
class TimelineEntry:
    """One row of the reporter's view of the timeline: a public reply or a public event."""

    at: datetime
    kind: str
    headline: str
    actor_name: str
    by_reporter: bool
    text: str = ""
    attachments: list[Attachment] = field(default_factory=list)


def _display_name(user) -> str:
    if user is None:
        return "Service desk"
    return user.get_full_name() or user.get_username()


def public_attachments(incident: Incident) -> QuerySet[Attachment]:
    """Files the reporter may see: public ones, and never one that belongs to a work note."""
    return (
        Attachment.objects.filter(incident=incident, public=True)
        .exclude(comment__public=False)
        .only("pk", "incident_id", "comment_id", "original_name", "size", "content_type", "uploaded_at")
    )


def public_timeline(incident: Incident) -> list[TimelineEntry]:
    """Public replies and public events, oldest first. Work notes and internal events never appear."""
    attachments: dict[int | None, list[Attachment]] = {}
    for attachment in public_attachments(incident):
        attachments.setdefault(attachment.comment_id, []).append(attachment)

    entries: list[TimelineEntry] = []
    comments = Comment.objects.filter(incident=incident, public=True).select_related("author")
    for comment in comments:
        by_reporter = comment.author_id == incident.reporter_id
        entries.append(TimelineEntry(
            at=comment.created_at, kind="comment",
            headline="You wrote" if by_reporter else "Reply from the service desk",
            actor_name=_display_name(comment.author), by_reporter=by_reporter, text=comment.body,
            attachments=attachments.get(comment.pk, []),
        ))
    events = (
        IncidentEvent.objects.filter(incident=incident, public=True)
        .exclude(kind=EventKind.COMMENT)  # replies come from the comments above, with their attachments
        .select_related("actor")
    )
    for event in events:
        by_reporter = event.actor_id == incident.reporter_id
        if event.kind == EventKind.CREATED:
            headline, text = "Reported", ""
        else:
            headline = TIMELINE_HEADLINES.get(event.transition, event.get_kind_display())
            text = event.message
        entries.append(TimelineEntry(
            at=event.created_at, kind=event.kind, headline=headline, actor_name=_display_name(event.actor),
            by_reporter=by_reporter, text=text,
        ))
    entries.sort(key=lambda entry: entry.at)
    return entries


def _render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    comment_form: CommentForm | None = None,
    action_form: ReporterActionForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    actions = []
    for info in services.available_transitions(incident, request.user, for_reporter=True):
        if info.name not in REPORTER_ACTIONS:
            continue
        if action_form is not None and action_form.action == info.name:
            form = action_form
        else:
            form = ReporterActionForm(action=info.name)
        actions.append({
            "info": info,
            "form": form,
            "hint": ACTION_NEXT_STEP[info.name],
        })
    # Text typed into a form for an action that is no longer offered is shown back, so the user
    # does not lose it along with the refusal.
    unsent_text = ""
    if action_form is not None and action_form.action not in {a["info"].name for a in actions}:
        unsent_text = action_form.data.get(action_form.add_prefix("reason"), "").strip()
    can_comment = incident.state not in DONE_STATES
    if comment_form is not None and comment_form.is_bound and not can_comment:
        unsent_text = comment_form.data.get(comment_form.add_prefix("body"), "").strip()
    context = {
        "incident": incident,
        "timeline": public_timeline(incident),
        "attachments": list(public_attachments(incident)),
        "actions": actions,
        "unsent_text": unsent_text,
        "refusal": refusal,
        "can_comment": can_comment,
        "comment_form": comment_form if comment_form is not None else CommentForm(),
    }
    return render(request, "portal/incident_detail.html", context, status=status)


@login_required
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_detail(request, _own_incident(request.user, reference))


@login_required
@require_POST
def incident_comment(request: HttpRequest, reference: str) -> HttpResponse:
    incident = _own_incident(request.user, reference)
    form = CommentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, incident, comment_form=form, status=400)
    upload = form.cleaned_data["attachment"]
    try:
        services.comment_add(
            incident=incident, author=request.user, body=form.cleaned_data["body"], public=True,
            files=[upload] if upload else [],
        )
    except ValidationError as exc:
        form.add_error(None if hasattr(exc, "error_dict") else "attachment", exc)
        return _render_detail(request, incident, comment_form=form, status=400)
    except services.WorkflowError as exc:
        return _render_detail(request, incident, comment_form=form, refusal=exc.message, status=409)
    messages.success(request, "Your message has been added.")
    return redirect("portal:incident_detail", reference=incident.reference)


@login_required
@require_POST
def incident_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    incident = _own_incident(request.user, reference)
    if action not in REPORTER_ACTIONS:
        raise Http404("No such action.")
    form = ReporterActionForm(request.POST, action=action)
    if not form.is_valid():
        return _render_detail(request, incident, action_form=form, status=400)
    reason = form.cleaned_data["reason"]
    try:
        if action == "close":
            incident, closed = services.confirm_fix(incident=incident.pk, user=request.user, reason=reason)
        else:
            incident, closed = services.transition(incident=incident.pk, user=request.user, name=action,
                                                   reason=reason), True
    except services.WorkflowError as exc:
        incident.refresh_from_db()
        return _render_detail(request, incident, action_form=form, refusal=exc.message, status=409)
    if not closed:
        messages.success(request, CONFIRMED_PENDING.format(ref=incident.reference))
        return redirect("portal:incident_detail", reference=incident.reference)
    messages.success(request, ACTION_DONE[action].format(ref=incident.reference))
    return redirect("portal:incident_detail", reference=incident.reference)


@login_required
def attachment_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    incident = _own_incident(request.user, reference)
    attachment = get_object_or_404(public_attachments(incident).only("file", "original_name", "content_type"), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer available.") from None
    # Always a download, never rendered inline: an uploaded file must not run in our origin.
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
