"""Admin views that work an incident through the services: take a transition, add a comment, and
the team queue with its one-click claim.

They are methods of `IncidentAdmin` (through `IncidentWorkViews`), so they share its queryset (what
the user may see) and the admin site's login and CSRF protection.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.admin import TransitionAdminMixin

from .. import roles, selectors, services, uploads
from ..forms import IncidentCommentForm, TransitionForm
from ..models import Attachment, Comment, Incident
from .sla import sla_time_left

QUEUE_HEADERS = ("Reference", "Summary", "Priority", "SLA", "State", "Category", "Service", "Runbook", "Age")


def transition_labels() -> dict[str, str]:
    """Every transition's name and its label, whatever the current state."""
    return {name: services.TRANSITIONS.label(name) for name in services.TRANSITIONS.names()}



# What the admin says after a transition, in words ("INC-000042 is on hold."), not in codes.
DONE_MESSAGES = {
    "triage": "{ref} is triaged.",
    "claim": "{ref} is assigned to you.",
    "start": "Work on {ref} has started.",
    "route": "{ref} is routed to {team}.",
    "hold": "{ref} is on hold: its SLA clock is paused.",
    "resume": "{ref} is back in progress: its SLA clock runs again.",
    "resolve": "{ref} is resolved; the reporter was asked to confirm the fix.",
    "close": "{ref} is closed.",
    "reopen": "{ref} is open again.",
    "cancel": "{ref} is withdrawn.",
}


def transition_done(incident, name: str) -> str:
    template = DONE_MESSAGES.get(name, "{ref} is now {state}.")
    return template.format(ref=incident.reference, team=incident.team or "no team",
                           state=incident.get_state_display().lower())

class IncidentWorkViews(TransitionAdminMixin):
    """Mixin for the incident ModelAdmin: the views behind the transition buttons (a form, since
    an incident's transitions take inputs), the comment form, and the team queue."""

    transitions = services.TRANSITIONS

    def get_urls(self) -> list:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            *self.transition_urls(),  # first: see TransitionAdminMixin.transition_urls
            path("queue/", view(self.queue_view), name=f"{prefix}_queue"),
            path("<path:object_id>/comment/", view(self.comment_view), name=f"{prefix}_comment"),
            path("<path:object_id>/attachment/<int:attachment_id>/", view(self.attachment_view),
                 name=f"{prefix}_attachment"),
            path("<path:object_id>/claim/", view(self.claim_view), name=f"{prefix}_claim"),
            # The model admin's own URLs, past the mixin that would list the transition URL again.
            *super(TransitionAdminMixin, self).get_urls(),
        ]

    # --- helpers ----------------------------------------------------------------------------------
    def _url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args,
                       current_app=self.admin_site.name)

    def _visible_incident(self, request: HttpRequest, object_id: str) -> Incident:
        incident = self.get_object(request, unquote(object_id))
        if incident is None:
            # Confidential incidents of other teams are "not found", not "forbidden": their existence is private too.
            raise Http404("No such incident.")
        return incident

    def _after_change(self, request: HttpRequest, incident: Incident) -> HttpResponseRedirect:
        """Back to the incident, unless the change took it out of the user's sight (routed away)."""
        if roles.can_view(request.user, incident):
            return HttpResponseRedirect(self._url("change", incident.pk))
        return HttpResponseRedirect(self._url("changelist"))

    def work_context(self, request: HttpRequest, incident: Incident) -> dict:
        """What the change page shows besides the form: transition buttons, comments, timeline."""
        may_work = roles.can_work_on(request.user, incident)
        files = selectors.staff_attachments(incident)
        comments = list(Comment.objects.filter(incident=incident).select_related("author"))
        for comment in comments:
            comment.files = files.get(comment.pk, [])
        return {
            "transitions": services.available_transitions(incident, request.user),
            "comments": comments,
            "files": files.get(None, []),
            "comment_form": IncidentCommentForm() if may_work else None,
            "timeline": selectors.staff_timeline(incident),
        }

    def _render(self, request: HttpRequest, template: str, context: dict, status: int = 200) -> TemplateResponse:
        context = {**self.admin_site.each_context(request), "opts": self.opts, **context}
        return TemplateResponse(request, template, context, status=status)

    # --- transitions ------------------------------------------------------------------------------
    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        incident = self._visible_incident(request, object_id)
        labels = transition_labels()
        if name not in labels:
            raise Http404("No such transition.")
        label = labels[name]
        status = 200
        if request.method == "POST":
            form = TransitionForm(request.POST, name=name, incident=incident, user=request.user)
            status = 400
            if form.is_valid():
                try:
                    done = services.transition(
                        incident=incident.pk, user=request.user, name=name,
                        reason=form.cleaned_data["reason"], **form.inputs(),
                    )
                except services.WorkflowError as refusal:
                    message = refusal.message
                    if name == "claim":
                        message = self._claim_refusal(incident.pk, request.user, refusal)
                    form.add_error(None, message)
                    status = 409
                else:
                    messages.success(request, transition_done(done, name))
                    return self._after_change(request, done)
        else:
            offered = {t.name for t in services.available_transitions(incident, request.user)}
            if name not in offered:
                messages.error(
                    request,
                    f"“{label}” is not available to you for {incident.reference} while it is "
                    f"{incident.get_state_display().lower()}.",
                )
                return HttpResponseRedirect(self._url("change", incident.pk))
            form = TransitionForm(name=name, incident=incident, user=request.user)
        context = {
            "title": f"{label}: {incident.reference}",
            "incident": incident,
            "original": incident,
            "transition_name": name,
            "transition_label": label,
            "form": form,
            "change_url": self._url("change", incident.pk),
        }
        return self._render(request, "incidents/admin/transition_form.html", context, status)

    # --- files ------------------------------------------------------------------------------------
    def attachment_view(self, request: HttpRequest, object_id: str, attachment_id: int) -> HttpResponse:
        """A file of an incident the user may see (its existence is private too: 404 otherwise)."""
        incident = self._visible_incident(request, object_id)
        return uploads.download(get_object_or_404(Attachment, incident=incident, pk=attachment_id))

    # --- comments ---------------------------------------------------------------------------------
    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self._visible_incident(request, object_id)
        change_url = self._url("change", incident.pk)
        if request.method != "POST":
            return HttpResponseRedirect(change_url + "#comments")
        form = IncidentCommentForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["attachment"]
            try:
                services.comment_add(
                    incident=incident, author=request.user, body=form.cleaned_data["body"],
                    public=form.public, files=[upload] if upload else [],
                )
            except ValidationError as exc:
                form.add_error(None if hasattr(exc, "error_dict") else "attachment", exc)
            except services.WorkflowError as refusal:
                form.add_error(None, refusal.message)
                status = 409
            else:
                kind = "Public reply" if form.public else "Work note"
                messages.success(request, f"{kind} added to {incident.reference}.")
                return HttpResponseRedirect(change_url + "#comments")
        context = {
            "title": f"Comment on {incident.reference}",
            "incident": incident,
            "original": incident,
            "form": form,
            "change_url": change_url,
        }
        return self._render(request, "incidents/admin/comment_form.html", context, status)

    # --- the team queue ---------------------------------------------------------------------------
    def queue_view(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not (roles.is_staff_role(user) and self.has_view_permission(request)):
            raise PermissionDenied
        own = roles.team_ids(user)
        teams = selectors.queue_teams(user)
        team = None
        wanted = request.GET.get("team")
        if wanted:
            team = next((t for t in teams if t.slug == wanted), None)
            if team is None:
                messages.error(request, f"There is no queue “{wanted}” that you may look at.")
        if team is None:
            # One of the user's own teams first; an agent or a manager without one sees the first queue.
            any_team = roles.is_desk_agent(user) or roles.is_incident_manager(user)
            team = next((t for t in teams if t.pk in own), teams[0] if teams and any_team else None)

        page, rows = (None, [])
        if team is not None:
            page, found = selectors.queue(user, team, page=request.GET.get("page"))
            # The SLA column as the incident list shows it (stored fields only: no query a row).
            rows = [(incident, claimable, runbook, sla_time_left(incident)) for incident, claimable, runbook in found]
        context = {
            "title": f"{team} queue" if team else "Team queue",
            "teams": teams,
            "team": team,
            "page": page,
            "rows": rows,
            "headers": QUEUE_HEADERS,
            "queue_url": self._url("queue"),
        }
        return self._render(request, "incidents/admin/queue.html", context)

    def claim_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._claim)(request, object_id)

    def _claim(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self._visible_incident(request, object_id)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = self._url("queue")
        try:
            claimed = services.transition(incident=incident.pk, user=request.user, name="claim")
        except services.WorkflowError as refusal:
            messages.error(request, self._claim_refusal(incident.pk, request.user, refusal))
            return HttpResponseRedirect(back)
        messages.success(request, f"You claimed {claimed.reference}; it is assigned to you and in progress.")
        return HttpResponseRedirect(self._url("change", claimed.pk))

    @staticmethod
    def _claim_refusal(pk: int, user, refusal: services.WorkflowError) -> str:
        """Whoever lost a race for a claim is told who won it, whichever check refused them."""
        winner = Incident.objects.select_related("assignee").get(pk=pk)
        if winner.assignee is not None and winner.assignee.pk != user.pk:
            return f"{winner.reference} is already assigned to {winner.assignee}."
        return refusal.message
