"""The regulatory clocks on the incident's admin page (registered on `incidents.panels`): each
clock like an SLA clock (due at, time left or overdue, % elapsed, state), and the forms that apply
one, record its notice, or decide it not notifiable."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from incidents import roles

from . import selectors, services
from .forms import ApplyClockForm, NoticeForm, NotNotifiableForm


def admin_panel(request, incident) -> str:
    user = request.user
    if not incident.pk or not roles.sees_internal(user, incident):
        return ""
    clocks = selectors.clocks_of(incident)
    may_work = services.may_work(user, incident)
    regulations = selectors.regulations_to_apply(incident, clocks) if may_work else None
    if not clocks and not incident.security and not may_work:
        return ""
    now = timezone.now()
    return render_to_string("response/regulatory/panel.html", {
        "incident": incident, "rows": [row(clock, now, may_work) for clock in clocks], "may_work": may_work,
        "apply_form": ApplyClockForm(regulations=regulations, initial={"aware_at": timezone.localtime(now)})
        if regulations is not None and regulations.exists() else None,
    }, request=request)


def row(clock, now, may_work: bool) -> dict:
    left = clock.time_left(now)
    shown = {"clock": clock, "percent": clock.elapsed_percent(now),
             "overdue": clock.running and left.total_seconds() < 0, "left": span(abs(left))}
    if clock.running and may_work:
        # Ids of their own: one pair of forms per running clock on the page.
        shown["notice_form"] = NoticeForm(auto_id=f"id_clock{clock.pk}_%s",
                                          initial={"notified_at": timezone.localtime(now)})
        shown["not_notifiable_form"] = NotNotifiableForm(auto_id=f"id_clock{clock.pk}_%s")
    return shown


def span(delta) -> str:
    """"2 d 3 h", "5 h 20 min", "12 min": a clock's remaining or overdue time."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
