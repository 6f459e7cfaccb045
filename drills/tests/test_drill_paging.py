"""A P1 drill pages the on-call engineer through the real escalation rule, and the page says DRILL."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import time_machine
from django.core import mail

from drills import services
from incidents import roles
from incidents.models import Page, Rotation, RotationMember
from incidents.oncall.tests.test_oncall import PAGE_RULE, FarEnd
from incidents.sla.tests.sla_support import MONDAY_10, only_rules, sweep
from incidents.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def far_end(settings):
    end = FarEnd()
    settings.ITSM_PAGING_WEBHOOK_URL = end.url
    yield end
    end.close()


@pytest.fixture
def rotation(network_team):
    rotation = Rotation.objects.create(team=network_team, time_zone="Europe/London", starts_on=date(2025, 6, 2),
                                       handoff_time=time(9), shift_hours=24, ack_minutes=10)
    RotationMember.objects.create(rotation=rotation, position=0,
                                  user=UserFactory(username="ann", role=roles.RESOLVER, team=network_team))
    return rotation


def test_a_p1_drill_pages_the_on_call_engineer_with_drill_in_the_page(
        rotation, far_end, core_switch, manager, django_capture_on_commit_callbacks):
    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        drill = services.start_drill(scenario=core_switch, by=manager)
        traveller.shift(timedelta(minutes=5))
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep().pages == 1
    [page] = Page.objects.filter(incident=drill.incident)
    assert page.user.username == "ann" and page.email_sent_at and page.webhook_sent_at
    [message] = mail.outbox
    assert message.subject.startswith(f"[DRILL] [PAGE] {drill.incident.reference} P1")
    assert message.body.startswith("DRILL: You are on call")
    [request] = far_end.requests
    assert request["json"]["summary"] == "DRILL: Core switch DC1 down: offices offline"
    assert request["json"]["exercise"] is True


def test_a_real_incidents_page_says_no_drill(rotation, far_end, reporter, network_category,
                                             django_capture_on_commit_callbacks):
    from incidents.sla.tests.sla_support import open_incident

    only_rules(PAGE_RULE)
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        open_incident(1, reporter=reporter, category=network_category)
        traveller.shift(timedelta(minutes=5))
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            sweep()
    [message] = mail.outbox
    assert message.subject.startswith("[PAGE] ") and "DRILL" not in message.body
    assert far_end.requests[0]["json"]["exercise"] is False
