"""The end-user portal: report an incident, follow it, reply, confirm the fix or reopen it.

The portal shows a user only the incidents they reported, whatever roles they hold: agents work in
the admin, and here they are reporters like everyone else. Every write goes through
`incidents.services`, so the rules are the ones the admin and the API apply.
"""

from __future__ import annotations

import threading
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from .. import panels, selectors, services, uploads
from ..models import Category, Channel, Incident, Service
from ..workflow import DONE_STATES, State
from .deflection import common_answers, portal_suggestions, report_text
from .forms import CommentForm, ReporterActionForm, ReportForm

PAGE_SIZE = 25
HOME_INCIDENTS = 5

# Transitions a reporter may ask for from the portal; anything else in the URL is a 404.
REPORTER_ACTIONS = ("close", "reopen", "cancel")

ACTION_DONE = {
    "close": "Thank you for confirming. {ref} is closed.",
    "reopen": "{ref} is open again; the people working on it have been told.",
    "cancel": "You withdrew {ref}.",
}
# The reporter confirmed, but the incident stays resolved until a review or similar gate is done.
CONFIRMED_PENDING = (
    "Thank you for confirming that the fix works. {ref} stays resolved until the service desk has "
    "finished its follow-up (the post-incident review), then closes; there is nothing more you need to do."
)
ACTION_NEXT_STEP = {
    "close": "Confirm that the problem is fixed.",
    "reopen": "Tell us that the problem is still there.",
    "cancel": "Withdraw the incident if you no longer need help.",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    active = selectors.open_for_reporter(selectors.own_incidents(request.user)).order_by("-updated_at", "-pk")
    # One row more than shown tells whether there are more, without a COUNT query.
    rows = list(active.only("reference", "summary", "state", "priority", "updated_at")[: HOME_INCIDENTS + 1])
    recent = rows[:HOME_INCIDENTS]
    context = {
        "recent_incidents": recent,
        "more_active": len(rows) > HOME_INCIDENTS,
        # Every incident waiting for the reporter, not only those among the five shown ("state":
        # django-fsm reads it when a row is loaded; deferred, it would cost a query per row).
        "awaiting_confirmation": list(selectors.awaiting_reporter(request.user).only("reference", "summary", "state")),
        # The public answers that solved the most problems lately (two queries, whatever the number).
        "common_answers": common_answers(),
    }
    return render(request, "portal/home.html", context)


def _check_for_solutions(request: HttpRequest) -> HttpResponse:
    """The no-script "Check for known solutions": the form again with what was typed (as initial
    values, so no errors are shown yet) and the suggestions for it."""
    typed = {name: request.POST.get(name, "") for name in ReportForm.base_fields if name != "attachment"}
    text = report_text(typed)
    typed["submission"] = typed.get("submission") or uuid.uuid4()
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
                    submission_key=data["submission"],
                )
            except ValidationError as exc:
                # The service has the last word on what it accepts; show its sentence by the field.
                form.add_error(None if hasattr(exc, "error_dict") else "attachment", exc)
            else:
                if getattr(incident, "resubmitted", False):
                    messages.info(request, f"This report was already recorded as {incident.reference}: "
                                           "sending the form again did not open a second incident.")
                else:
                    messages.success(
                        request,
                        f"Thank you. Your incident has been recorded as {incident.reference}; "
                        "we have sent you a confirmation by e-mail.",
                    )
                return redirect("portal:incident_detail", reference=incident.reference)
        status = 400
        context = {"form": form}
    else:
        # A form nobody has filled in: its fields' HTML is kept (`pristine_fields`), so no form
        # object is built for it; the one-time submission key goes in a hidden input of its own.
        status = 200
        context = {"pristine_fields": pristine_fields(), "submission_key": uuid.uuid4()}
    return render(request, "portal/report.html", context, status=status)


_pristine = threading.local()


def pristine_fields() -> SafeString:
    """The fields of a report form nobody has filled in yet, rendered once per set of categories
    and services and kept for the process: the same HTML every time (the CSRF token and the
    one-time submission key are outside it), and rendering 30 choices through the widget templates
    cost most of the form's GET. The choices are read on every GET (two small queries), so a new
    category shows at once, in every process."""
    choices = (tuple(Category.objects.order_by("name", "pk").values_list("pk", "name")),
               tuple(Service.objects.order_by("name", "pk").values_list("pk", "name")))
    cached = getattr(_pristine, "entry", None)
    if cached is None or cached[0] != choices:
        cached = (choices, render_to_string("portal/includes/report_fields.html", {"form": ReportForm()}))
        _pristine.entry = cached
    return SafeString(cached[1])


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "all")
    incidents = selectors.own_incidents(request.user)
    if status == "open":
        incidents = selectors.open_for_reporter(incidents)
    elif status == "closed":
        incidents = incidents.filter(state__in=DONE_STATES)
    else:
        status = "all"
    incidents = incidents.only("reference", "summary", "state", "priority", "updated_at").order_by(
        "-updated_at", "-pk"
    )
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/incident_list.html", {"page": page, "status": status})


def _render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    comment_form: CommentForm | None = None,
    action_form: ReporterActionForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    # "Yes, it is fixed" already said while a review holds the incident open: not asked again.
    confirmed_at = None
    if incident.state == State.RESOLVED:
        confirmed_at = (selectors.reporter_confirmations(request.user).filter(incident=incident)
                        .values_list("created_at", flat=True).first())
    actions = []
    for info in services.available_transitions(incident, request.user, for_reporter=True):
        if info.name not in REPORTER_ACTIONS or (confirmed_at and info.name == "close"):
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
        "timeline": selectors.public_timeline(incident),
        "attachments": list(selectors.public_attachments(incident)),
        "actions": actions,
        "unsent_text": unsent_text,
        "refusal": refusal,
        "confirmed_at": confirmed_at,
        "can_comment": can_comment,
        "comment_form": comment_form if comment_form is not None else CommentForm(),
        "panels": panels.rendered("portal", request, incident),
    }
    return render(request, "portal/incident_detail.html", context, status=status)


@login_required
def incident_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_detail(request, selectors.own_incident(request.user, reference))


@login_required
@require_POST
def incident_comment(request: HttpRequest, reference: str) -> HttpResponse:
    incident = selectors.own_incident(request.user, reference)
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
    incident.refresh_from_db(fields=["state"])
    if incident.state == State.RESOLVED:
        messages.success(request, "Your message has been added, and the incident will not close by itself. "
                                  "If the problem is still there, choose “No, still broken” to reopen it.")
    else:
        messages.success(request, "Your message has been added.")
    return redirect("portal:incident_detail", reference=incident.reference)


@login_required
@require_POST
def incident_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    incident = selectors.own_incident(request.user, reference)
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
    incident = selectors.own_incident(request.user, reference)
    attachment = get_object_or_404(selectors.public_attachments(incident).only("file", "original_name", "content_type"), pk=pk)
    return uploads.download(attachment)
