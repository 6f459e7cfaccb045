"""Admin for on-call: rotations with their members and overrides (who is on call now, computed
for the whole page at once), a team's handoff briefing for any window with the handoff note's
form, and the pages sent and the briefings owed, read-only."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, RecordHistoryAdmin

from .. import roles, selectors
from ..models import Handoff, HandoffNote, Page, Rotation, RotationMember, RotationOverride
from ..oncall import handoff
from ..oncall import rotation as oncall

WINDOW_FORMAT = "%Y-%m-%dT%H:%M"


class BriefingWindowForm(forms.Form):
    """The window a briefing covers, in the rotation's own time zone (how its handoffs read)."""

    start = forms.DateTimeField(input_formats=[WINDOW_FORMAT],
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WINDOW_FORMAT))
    end = forms.DateTimeField(input_formats=[WINDOW_FORMAT],
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=WINDOW_FORMAT))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("The window must end after it starts.")
        return data


class HandoffNoteForm(forms.Form):
    body = forms.CharField(label="Handoff note", max_length=handoff.NOTE_LIMIT, widget=forms.Textarea(
        attrs={"rows": 4, "cols": 80}),
        help_text="Goes on the timeline of each open incident of the team as a work note, and into the "
                  "next briefing.")


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 0
    raw_id_fields = ("user",)


class RotationOverrideInline(admin.TabularInline):
    model = RotationOverride
    extra = 0
    raw_id_fields = ("user",)


class _OnCallChangeList(ChangeList):
    def get_results(self, request) -> None:
        super().get_results(request)
        on_call = oncall.on_call_now_by_team([r.team_id for r in self.result_list])
        for rotation in self.result_list:
            rotation._on_call_now = on_call.get(rotation.team_id)


@admin.register(Rotation)
class RotationAdmin(RecordHistoryAdmin):
    list_display = ("team", "on_call_now", "shift_hours", "handoff_time", "time_zone", "ack_minutes")
    list_select_related = ("team",)
    inlines = [RotationMemberInline, RotationOverrideInline]
    readonly_fields = ("on_call_now",)

    def get_changelist(self, request, **kwargs):
        return _OnCallChangeList

    def get_list_display(self, request):
        return (*super().get_list_display(request), "briefing")

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "briefing")

    def get_urls(self) -> list:
        return [
            path("<path:object_id>/briefing/", self.admin_site.admin_view(self.briefing_view),
                 name="incidents_rotation_briefing"),
            *super().get_urls(),
        ]

    @admin.display(description="Handoff briefing")
    def briefing(self, rotation: Rotation) -> str:
        if rotation.pk is None:
            return "–"
        return format_html('<a href="{}">Briefing of the current shift</a>',
                           reverse("admin:incidents_rotation_briefing", args=[rotation.pk]))

    def briefing_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The team's briefing for a window (the current shift unless one is asked for), as the
        viewer may see it, and the form of the handoff note. Open to whoever works the team's
        incidents (`handoff.may_brief`), who may not otherwise see the rotations."""
        rotation = get_object_or_404(Rotation.objects.select_related("team"), pk=object_id)
        if not handoff.may_brief(request.user, rotation.team):
            raise PermissionDenied
        zone = ZoneInfo(rotation.time_zone)
        now = timezone.now()
        starts_at, ends_at = handoff.current_window(rotation, now)
        note_form = HandoffNoteForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and note_form.is_valid():
            try:
                note = handoff.write_note(rotation=rotation, author=request.user, body=note_form.cleaned_data["body"])
            except ValidationError as error:
                note_form.add_error("body", error.message_dict.get("body", error.messages))
            else:
                messages.success(request, f"Your handoff note is on {note.incident_count} open incidents of "
                                          f"{rotation.team}.")
                return HttpResponseRedirect(request.get_full_path())
        with timezone.override(zone):
            window = BriefingWindowForm(request.GET if "start" in request.GET else None, initial={
                "start": starts_at.astimezone(zone).replace(tzinfo=None),
                "end": ends_at.astimezone(zone).replace(tzinfo=None)})
            if window.is_bound and window.is_valid():
                starts_at, ends_at = window.cleaned_data["start"], window.cleaned_data["end"]
        content = handoff.briefing(rotation.team, request.user, starts_at=starts_at, ends_at=ends_at, now=now)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts, "rotation": rotation, "briefing": content, "window": window, "note_form": note_form,
            "title": f"Handoff briefing: {rotation.team}",
            "starts_at": f"{starts_at.astimezone(zone):%a %d %b %Y %H:%M}",
            "ends_at": f"{ends_at.astimezone(zone):%a %d %b %Y %H:%M}",
            "on_call": next(iter(oncall.in_line(rotation, now)), None),
        }
        return TemplateResponse(request, "incidents/admin/handoff_briefing.html", context)

    @admin.display(description="On call now")
    def on_call_now(self, rotation: Rotation) -> str:
        if rotation.pk is None:
            return "–"
        # The changelist computed the whole page at once; the change form asks for its one rotation.
        person = rotation._on_call_now if hasattr(rotation, "_on_call_now") else oncall.on_call(rotation.team_id)
        return str(person.get_full_name() or person.get_username()) if person else "nobody"


@admin.register(Page)
class PageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "incident", "user", "step", "acknowledged_at", "passed_on_at", "email_sent_at",
                    "webhook_sent_at")
    list_select_related = ("incident", "user")
    search_fields = ("incident__reference", "user__username")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Page]:
        return selectors.of_visible_incidents(super().get_queryset(request), request.user)


class OwnTeamsMixin:
    """A team's handoffs are its own business: their notes speak of its incidents, a confidential
    one included. Incident managers see every team's; others their own teams'."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if user.is_superuser or roles.is_incident_manager(user):
            return queryset
        return queryset.filter(rotation__team_id__in=roles.team_ids(user))


@admin.register(Handoff)
class HandoffAdmin(OwnTeamsMixin, ReadOnlyAdmin):
    """The briefings owed at each handoff: whether each was sent, and to whom."""

    list_display = ("handoff_at", "rotation", "incoming", "outgoing", "sent_at", "error", "window_link")
    list_select_related = ("rotation__team", "incoming", "outgoing")
    list_filter = ("rotation",)

    @admin.display(description="Briefing")
    def window_link(self, row: Handoff) -> str:
        return format_html('<a href="{}">Open</a>', handoff.briefing_url(row.rotation, row.window_starts_at,
                                                                        row.handoff_at))


@admin.register(HandoffNote)
class HandoffNoteAdmin(OwnTeamsMixin, ReadOnlyAdmin):
    """The notes left at the handoffs (each is also a work note on the team's incidents)."""

    list_display = ("handoff_at", "rotation", "author", "incident_count", "created_at")
    list_select_related = ("rotation__team", "author")
    list_filter = ("rotation",)
    search_fields = ("body",)
