"""Deadline arithmetic on business calendars. Pure: no ORM, no settings, no clock.

A calendar says when the clock runs: opening hours per weekday as local wall-clock times in one
time zone, minus holidays; or always (24x7). The rule, which the property tests check against a
minute-by-minute walk, is simple to state:

    an instant counts as business time when the local wall clock, at that instant, reads a time
    inside that weekday's opening hours, on a local date that is not a holiday.

So on the night the clocks go back, an hour that is inside opening hours counts twice (it is lived
twice); on the night they go forward, the skipped hour does not exist and counts for nothing.

Targets are minutes of business time. A "business day" is `Calendar.day_minutes` of business time
(8 hours by default), so "3 business days" on a 09:00-17:00 calendar from Monday 10:00 ends on
Thursday 10:00.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
MINUTES_PER_DAY = 24 * 60
# How far the arithmetic looks for business time before deciding the calendar has none.
HORIZON = timedelta(days=3 * 366)

Interval = tuple[int, int]  # minutes after local midnight: [opens, closes); closes may be 1440


class NoBusinessTime(ValueError):
    """The calendar has no business time within the horizon (no opening hours, or all holidays)."""


@dataclass(frozen=True)
class Calendar:
    """When an SLA clock runs. `hours[weekday]` (Monday = 0) lists that day's opening intervals."""

    tz: str = "UTC"
    hours: tuple[tuple[Interval, ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()
    always: bool = False
    day_minutes: int = 8 * 60
    # Business intervals per local date, computed once per calendar object.
    _days: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def weekly(
        cls,
        hours: Mapping[int, Iterable[Interval]],
        *,
        tz: str = "UTC",
        holidays: Iterable[date] = (),
        day_minutes: int = 8 * 60,
    ) -> Calendar:
        table = []
        for weekday in range(7):
            intervals = sorted((int(a), int(b)) for a, b in hours.get(weekday, ()))
            for a, b in intervals:
                if not 0 <= a < b <= MINUTES_PER_DAY:
                    raise ValueError(f"Opening hours must satisfy 0 <= opens < closes <= 24:00, got {a}-{b}.")
            table.append(tuple(intervals))
        return cls(tz=tz, hours=tuple(table), holidays=frozenset(holidays), day_minutes=day_minutes)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def has_hours(self) -> bool:
        return self.always or any(self.hours)

    def is_business_time(self, instant: datetime) -> bool:
        """The definition itself, for one instant (slow; the arithmetic below never calls it)."""
        if self.always:
            return True
        local = instant.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(a <= minute < b for a, b in self.hours[local.weekday()])

    # --- business intervals as UTC spans ------------------------------------------------------
    def _offset_at(self, instant: datetime) -> timedelta:
        return instant.astimezone(self.zone).utcoffset()  # type: ignore[return-value]

    def _wall_span(self, wall_start: datetime, wall_end: datetime) -> list[tuple[datetime, datetime]]:
        """UTC spans of the instants whose local wall time lies in [wall_start, wall_end).

        Where the UTC offset is constant, wall time is UTC shifted by that offset, so each offset
        that applies near the ends gives one candidate span; keep the part of it where that offset
        is really in force (a transition inside the span is found by bisection to the minute).
        """
        offsets = {
            wall.replace(tzinfo=self.zone, fold=fold).utcoffset()
            for wall in (wall_start, wall_end)
            for fold in (0, 1)
        }
        spans = []
        for offset in offsets:
            start = (wall_start - offset).replace(tzinfo=UTC)
            end = (wall_end - offset).replace(tzinfo=UTC)
            first_ok = self._offset_at(start) == offset
            last_ok = self._offset_at(end - MINUTE) == offset
            if first_ok and last_ok:
                spans.append((start, end))
            elif first_ok:
                spans.append((start, self._transition(start, end - MINUTE, offset)))
            elif last_ok:
                spans.append((self._transition(start, end - MINUTE, offset, entering=True), end))
        return spans

    def _transition(self, lo: datetime, hi: datetime, offset: timedelta, *, entering: bool = False) -> datetime:
        """First whole minute in (lo, hi] where `offset` stops (or, entering, starts) applying."""
        while hi - lo > MINUTE:
            mid = lo + (hi - lo) // 2
            mid -= timedelta(seconds=mid.second, microseconds=mid.microsecond)
            if mid <= lo:
                mid = lo + MINUTE
            in_force = self._offset_at(mid) == offset
            if in_force != entering:
                lo = mid
            else:
                hi = mid
        return hi

    def _day(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Business spans (UTC) of one local date, sorted."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        spans: list[tuple[datetime, datetime]] = []
        if day not in self.holidays:
            midnight = datetime.combine(day, time())
            for a, b in self.hours[day.weekday()]:
                spans.extend(self._wall_span(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b)))
        result = tuple(sorted(s for s in spans if s[0] < s[1]))
        self._days[day] = result
        return result

    def _window(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        """Business spans clipped to [lo, hi), sorted. The window is at most a day or so wide."""
        first = lo.astimezone(self.zone).date() - DAY
        last = hi.astimezone(self.zone).date() + DAY
        spans = []
        day = first
        while day <= last:
            for start, end in self._day(day):
                start, end = max(start, lo), min(end, hi)
                if start < end:
                    spans.append((start, end))
            day += DAY
        spans.sort()
        return spans

    def spans_after(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business spans from `start` onwards, in order, one day-wide window at a time."""
        lo = start
        while lo - start < HORIZON:
            hi = lo + DAY
            yield from self._window(lo, hi)
            lo = hi

    def spans_before(self, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business spans before `end`, latest first."""
        hi = end
        while end - hi < HORIZON:
            lo = hi - DAY
            yield from reversed(self._window(lo, hi))
            hi = lo


ALWAYS = Calendar(always=True)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("SLA arithmetic needs aware datetimes.")
    return instant.astimezone(UTC)


def add_business_time(start: datetime, minutes: float, calendar: Calendar) -> datetime:
    """The instant at which `minutes` of business time have passed since `start`.

    Negative minutes count backwards: the latest instant with that much business time before
    `start`. Zero returns `start` itself, even outside business hours.
    """
    start = _utc(start)
    if calendar.always:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=abs(minutes))
    if not remaining:
        return start
    spans = calendar.spans_after(start) if minutes > 0 else calendar.spans_before(start)
    for lo, hi in spans:
        length = hi - lo
        if remaining <= length:
            return lo + remaining if minutes > 0 else hi - remaining
        remaining -= length
    raise NoBusinessTime("The calendar has no business time within three years.")


def business_minutes_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Minutes of business time in [start, end); negative when end is before start."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_minutes_between(end, start, calendar)
    if calendar.always:
        return (end - start) / MINUTE
    total = timedelta()
    lo = start
    while lo < end:
        hi = min(lo + DAY, end)
        for a, b in calendar._window(lo, hi):
            total += b - a
        lo = hi
    return total / MINUTE


def threshold_time(deadline: datetime, target_minutes: int, percent: int, calendar: Calendar) -> datetime:
    """When `percent` of a target ending at `deadline` has elapsed: the business time left then is
    (100 - percent)% of the target. Measured back from the deadline, so pauses (which push the
    deadline out) move the warnings with it."""
    left = target_minutes * (100 - percent) / 100
    return add_business_time(deadline, -left, calendar)


def describe_minutes(minutes: int, calendar: Calendar | None = None) -> str:
    """ "15 min", "4 h", "3 business days" - how a target reads in the admin."""
    business = calendar is not None and not calendar.always
    prefix = "business " if business else ""
    if business and calendar is not None and calendar.day_minutes and minutes % calendar.day_minutes == 0:
        days = minutes // calendar.day_minutes
        return f"{days} business day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} {prefix}hour{'s' if hours != 1 else ''}" if business else f"{hours} h"
    return f"{minutes} {prefix}min" if business else f"{minutes} min"
