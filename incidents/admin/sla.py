"""Admin for the SLA clock: configuration (calendars, policies, rules, escalation paths), the
escalations it fired, and the pieces the incident admin shows (time left, filters, the clock
panel). On-call rotations and pages are `admin.oncall`.

The incident admin mixes in `IncidentSlaAdminMixin` and lists `sla_time_left`, `SlaStatusFilter`
and the read-only `sla_clock`; every column here reads stored fields only, so it adds no query
per row.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core import businesstime
from core.admin import ReadOnlyAdmin, RecordHistoryAdmin

from .. import selectors
from ..models import (
    BusinessCalendar,
    BusinessHours,
    Escalation,
    EscalationPath,
    EscalationRule,
    Holiday,
    Incident,
    SlaPolicy,
)
from ..sla import clock

# Shown as classes (sla-overdue, ...) coloured by itsm/static/itsm/admin.css.
SLA_STATUSES = ("overdue", "at_risk", "on_track", "paused")


def _duration(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "D j M Y H:i T") if moment else "–"


def sla_status(incident: Incident, now=None) -> tuple[str, str]:
    """("overdue" | "at_risk" | "on_track" | "paused" | "", text) from stored fields only."""
    now = now or timezone.now()
    which, left = clock.time_left(incident, now)
    if left is None:
        return ("", "")
    if incident.clock_paused_at:
        return ("paused", f"Paused – {which} {_duration(left)} left")
    if left <= timedelta(0):
        return ("overdue", f"{which.capitalize()} overdue by {_duration(left)}")
    at_risk = incident.at_risk_from is not None and incident.at_risk_from <= now
    return ("at_risk" if at_risk else "on_track", f"{which.capitalize()} in {_duration(left)}")


@admin.display(description="SLA", ordering="next_due_at")
def sla_time_left(incident: Incident) -> str:
    """Time left (or overdue) on the target that matters now, coloured. For `list_display`."""
    status, text = sla_status(incident)
    if not status:
        return "–"
    return format_html('<span class="sla sla-{}" title="{}">{}</span>',
                       status, f"Respond by {_when(incident.respond_by)}; "
                       f"resolve by {_when(incident.resolve_by)}", text)


class SlaStatusFilter(admin.SimpleListFilter):
    """Breached (either target, or the response or the resolution alone) / at risk (last quarter
    of the target) / paused, as SQL on stored columns (`selectors.with_sla_status`, which the API's
    `sla` filter uses too)."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin) -> list[tuple[str, str]]:
        return [*selectors.SLA_FILTERS.items(), *selectors.SLA_TARGET_FILTERS.items()]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        return selectors.with_sla_status(queryset, self.value() or "")


def sla_clock(incident: Incident) -> str:
    """The change form's SLA panel: targets, deadlines, pauses, cadence, auto-close, escalations."""
    if incident.pk is None:
        return "–"
    status, text = sla_status(incident)
    rows = [
        ("Status", format_html('<span class="sla sla-{}">{}</span>', status or "none",
                               text or incident.get_state_display())),
        ("Response", _target_row(incident.respond_by, incident.responded_at, incident.response_breached,
                                 incident.response_target, incident)),
        ("Resolution", _target_row(incident.resolve_by, incident.resolved_at, incident.resolution_breached,
                                   incident.resolution_target, incident)),
    ]
    spans = clock.pause_spans(incident)
    if spans:
        rows.append(("Pauses", format_html_join(
            mark_safe("<br>"), "{} → {}",
            ((_when(start), _when(end) if end else "now (paused)") for start, end in spans),
        )))
    if incident.update_due_at:
        rows.append(("Next stakeholder update", f"due {_when(incident.update_due_at)} "
                                                f"(last {_when(incident.last_update_at)})"))
    if incident.auto_close_at:
        rows.append(("Closes automatically", _when(incident.auto_close_at)))
    fired = list(incident.escalations.filter(superseded=False).select_related("rule").order_by("fired_at")[:20])
    if fired:
        rows.append(("Escalations", format_html_join(
            mark_safe("<br>"), "{} – {}", ((_when(e.fired_at), e.outcome) for e in fired),
        )))
    return format_html(
        '<table class="sla-clock">{}</table>',
        format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
    )


def _target_row(deadline, met_at, breached: bool, target, incident: Incident) -> str:
    if deadline is None:
        return "No SLA policy for this priority"
    calendar = incident.sla_calendar
    described = businesstime.describe_minutes(target, _pure(calendar) if calendar else None) if target else ""
    state = f"met {_when(met_at)}" if met_at else "pending"
    if breached:
        state += " – breached"
    return f"{described}: due {_when(deadline)}, {state}"


class IncidentSlaAdminMixin:
    """For IncidentAdmin: `list_display += ("sla_time_left",)`, `list_filter += (SlaStatusFilter,)`,
    and "sla_clock" among the change form's read-only fields."""

    @admin.display(description="SLA", ordering="next_due_at")
    def sla_time_left(self, incident: Incident) -> str:
        return sla_time_left(incident)

    @admin.display(description="SLA clock")
    def sla_clock(self, incident: Incident) -> str:
        return sla_clock(incident)


# --- configuration -------------------------------------------------------------------------------
class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(RecordHistoryAdmin):
    list_display = ("name", "time_zone", "always_open", "day_minutes", "is_default")
    inlines = [BusinessHoursInline, HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(RecordHistoryAdmin):
    list_display = ("priority", "calendar", "response", "resolution", "update_minutes")
    list_select_related = ("calendar",)

    @admin.display(description="Response target")
    def response(self, policy: SlaPolicy) -> str:
        return businesstime.describe_minutes(policy.response_minutes, _pure(policy.calendar))

    @admin.display(description="Resolution target")
    def resolution(self, policy: SlaPolicy) -> str:
        return businesstime.describe_minutes(policy.resolution_minutes, _pure(policy.calendar))


def _pure(calendar: BusinessCalendar) -> businesstime.Calendar:
    # Enough to describe a target (24x7 or not, the day length); no hours needed, so no query.
    return businesstime.ALWAYS if calendar.always_open else businesstime.Calendar(day_minutes=calendar.day_minutes)


@admin.register(EscalationRule)
class EscalationRuleAdmin(RecordHistoryAdmin):
    list_display = ("name", "active", "up_to_priority", "trigger", "percent", "minutes", "action", "target_team")
    list_editable = ("active",)
    list_filter = ("active", "trigger", "action")
    list_select_related = ("target_team",)


@admin.register(EscalationPath)
class EscalationPathAdmin(RecordHistoryAdmin):
    list_display = ("team", "escalates_to")
    list_select_related = ("team", "escalates_to")


# --- what the clock did (read-only) --------------------------------------------------------------
@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("fired_at", "incident", "rule", "superseded", "outcome")
    list_filter = ("superseded", "rule")
    list_select_related = ("incident", "rule")
    search_fields = ("incident__reference",)
    date_hierarchy = "fired_at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Escalation]:
        # What fired for a confidential incident names it: only those who may see it see this row.
        return selectors.of_visible_incidents(super().get_queryset(request), request.user)
