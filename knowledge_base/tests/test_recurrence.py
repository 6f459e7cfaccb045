"""A known error that keeps coming back is flagged for a permanent fix."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from knowledge_base import services
from knowledge_base.models import FixStatus

from .factories import KnownErrorFactory

pytestmark = pytest.mark.django_db


def test_three_incidents_within_the_window_flag_the_known_error_for_a_permanent_fix():
    item = KnownErrorFactory()
    assert services.flag_recurrence(item, 2) is False
    assert not item.needs_permanent_fix and item.recurrence_count == 2
    assert services.flag_recurrence(item, 3) is True
    item.refresh_from_db()
    assert item.needs_permanent_fix and item.recurrence_count == 3 and item.recurrence_flagged_at is not None
    latest = item.history.latest("history_id")
    assert latest.history_change_reason == "Recurring: 3 incidents in 30 days; needs a permanent fix"


def test_the_threshold_and_window_come_from_settings(settings):
    settings.ITSM_RECURRENCE_THRESHOLD = 5
    settings.ITSM_RECURRENCE_WINDOW_DAYS = 7
    item = KnownErrorFactory()
    assert services.flag_recurrence(item, 4) is False
    assert services.flag_recurrence(item, 5) is True
    assert item.history.latest("history_id").history_change_reason.startswith("Recurring: 5 incidents in 7 days")


def test_the_window_start_is_the_configured_number_of_days_ago(settings):
    settings.ITSM_RECURRENCE_WINDOW_DAYS = 30
    with time_machine.travel("2026-03-31 12:00:00+00:00", tick=False):
        assert services.recurrence_window_start() == timezone.now() - timedelta(days=30)


def test_the_flag_stays_when_the_count_drops_until_the_fix_is_delivered(manager):
    item = KnownErrorFactory()
    services.flag_recurrence(item, 4)
    assert services.flag_recurrence(item, 0) is True
    item = services.set_fix_status(known_error=item, user=manager, status=FixStatus.PLANNED)
    assert item.needs_permanent_fix
    item = services.set_fix_status(known_error=item, user=manager, status=FixStatus.FIXED, reason="Patch 4.2")
    assert not item.needs_permanent_fix
    assert item.history.latest("history_id").history_change_reason == "Permanent fix: Fixed: Patch 4.2"


def test_reporting_the_same_count_again_writes_no_history():
    item = KnownErrorFactory()
    services.flag_recurrence(item, 3)
    rows = item.history.count()
    services.flag_recurrence(item, 3)
    services.flag_recurrence(item, 4)
    assert item.history.count() == rows


def test_a_bad_count_does_not_flag():
    item = KnownErrorFactory()
    assert services.flag_recurrence(item, -10) is False
