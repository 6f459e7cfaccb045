"""Business-hours arithmetic, checked against the definition walked one minute at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.businesstime import (
    ALWAYS,
    Calendar,
    NoBusinessTime,
    add_business_time,
    business_minutes_between,
    describe_minutes,
    threshold_time,
)

MINUTE = timedelta(minutes=1)
OFFICE = {d: [(9 * 60, 17 * 60)] for d in range(5)}

# Zones with the transitions that break naive arithmetic: an hour at 01:00-02:00 (Europe), at
# 02:00 (US), at midnight (Santiago), half an hour (Lord Howe), odd offsets (Kathmandu, Chatham).
ZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Santiago",
    "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham",
]
# Starts clustered around 2025's clock changes, where the bugs live.
TRANSITION_DAYS = [datetime(2025, 3, 9), datetime(2025, 3, 30), datetime(2025, 4, 6), datetime(2025, 9, 7),
                   datetime(2025, 10, 5), datetime(2025, 10, 26), datetime(2025, 11, 2)]


def walk(start: datetime, minutes: int, calendar: Calendar) -> datetime:
    """The brute force: step minute by minute, counting the minutes that are business time."""
    t, counted = start, 0
    if minutes == 0:
        return start
    while True:
        if calendar.is_business_time(t):
            counted += 1
            if counted == minutes:
                return t + MINUTE
        t += MINUTE


def walk_back(end: datetime, minutes: int, calendar: Calendar) -> datetime:
    t, counted = end, 0
    if minutes == 0:
        return end
    while True:
        t -= MINUTE
        if calendar.is_business_time(t):
            counted += 1
            if counted == minutes:
                return t


def count(start: datetime, end: datetime, calendar: Calendar) -> int:
    total, t = 0, start
    while t < end:
        total += calendar.is_business_time(t)
        t += MINUTE
    return total


quarter_hours = st.integers(min_value=0, max_value=96).map(lambda q: q * 15)


@st.composite
def intervals(draw):
    a, b = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
    return (a, b)


@st.composite
def calendars(draw):
    hours = {}
    for weekday in range(7):
        spans = draw(st.lists(intervals(), max_size=2))
        merged: list[tuple[int, int]] = []
        for a, b in sorted(spans):  # non-overlapping, as the admin form requires
            if merged and a < merged[-1][1]:
                continue
            merged.append((a, b))
        hours[weekday] = merged
    if not any(hours.values()):
        hours[draw(st.integers(0, 6))] = [(0, 1440)]
    holidays = draw(st.lists(st.dates(min_value=date(2025, 2, 20), max_value=date(2025, 12, 1)), max_size=6))
    return Calendar.weekly(hours, tz=draw(st.sampled_from(ZONES)), holidays=holidays)


@st.composite
def starts(draw):
    day = draw(st.sampled_from(TRANSITION_DAYS))
    minutes = draw(st.integers(min_value=-3 * 1440, max_value=2 * 1440))
    return (day + timedelta(minutes=minutes)).replace(tzinfo=UTC)


examples = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@examples
@given(calendar=calendars(), start=starts(), minutes=st.integers(min_value=0, max_value=900))
def test_deadline_matches_a_minute_by_minute_walk(calendar, start, minutes):
    assert add_business_time(start, minutes, calendar) == walk(start, minutes, calendar)


@examples
@given(calendar=calendars(), end=starts(), minutes=st.integers(min_value=0, max_value=900))
def test_counting_back_matches_a_minute_by_minute_walk(calendar, end, minutes):
    assert add_business_time(end, -minutes, calendar) == walk_back(end, minutes, calendar)


@examples
@given(calendar=calendars(), start=starts(), span=st.integers(min_value=0, max_value=4 * 1440))
def test_business_time_between_two_instants_matches_counting_minutes(calendar, start, span):
    end = start + timedelta(minutes=span)
    assert business_minutes_between(start, end, calendar) == count(start, end, calendar)


def test_p3_four_business_hours_from_friday_afternoon_end_on_monday():
    office = Calendar.weekly(OFFICE, tz="Europe/London")
    friday_4pm = datetime(2025, 6, 6, 15, 0, tzinfo=UTC)  # 16:00 BST
    assert add_business_time(friday_4pm, 4 * 60, office) == datetime(2025, 6, 9, 11, 0, tzinfo=UTC)  # Mon 12:00


def test_business_day_keeps_the_wall_clock_across_the_clock_change():
    office = Calendar.weekly(OFFICE, tz="Europe/Berlin")
    friday_10am = datetime(2025, 3, 28, 9, 0, tzinfo=UTC)  # 10:00 CET
    monday_10am = datetime(2025, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 CEST
    assert add_business_time(friday_10am, office.day_minutes, office) == monday_10am


def test_holiday_is_skipped():
    office = Calendar.weekly(OFFICE, tz="UTC", holidays=[date(2025, 12, 25), date(2025, 12, 26)])
    wednesday = datetime(2025, 12, 24, 16, 0, tzinfo=UTC)
    assert add_business_time(wednesday, 120, office) == datetime(2025, 12, 29, 10, 0, tzinfo=UTC)


def test_p1_is_24x7_wall_time():
    start = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    assert add_business_time(start, 240, ALWAYS) == start + timedelta(hours=4)


def test_threshold_is_measured_back_from_the_deadline():
    office = Calendar.weekly(OFFICE, tz="UTC")
    deadline = datetime(2025, 6, 9, 11, 0, tzinfo=UTC)  # Monday 11:00, target 4 business hours
    assert threshold_time(deadline, 240, 75, office) == datetime(2025, 6, 9, 10, 0, tzinfo=UTC)
    # Half of the target left: two business hours back, which is Monday's opening, not Friday 17:00.
    assert threshold_time(deadline, 240, 50, office) == datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
    assert threshold_time(deadline, 240, 25, office) == datetime(2025, 6, 6, 16, 0, tzinfo=UTC)
    assert threshold_time(deadline, 240, 100, office) == deadline


def test_a_calendar_without_hours_refuses_instead_of_looping():
    with pytest.raises(NoBusinessTime):
        add_business_time(datetime(2025, 1, 1, tzinfo=UTC), 60, Calendar.weekly({}))


def test_targets_read_like_the_sop():
    office = Calendar.weekly(OFFICE)
    assert describe_minutes(15, ALWAYS) == "15 min"
    assert describe_minutes(240, ALWAYS) == "4 h"
    assert describe_minutes(240, office) == "4 business hours"
    assert describe_minutes(3 * 480, office) == "3 business days"
