"""The timeline is drafted from the incident's own records, exactly; people then edit it."""

import datetime

import pytest
import time_machine

from incidents import services as incident_services
from incidents.models import Incident
from incidents.tests.factories import make_incident
from reviews import services, timeline
from reviews.models import TimelineEntry

UTC = datetime.UTC


def at(hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2, hour, minute, tzinfo=UTC)


@pytest.fixture
def scripted_incident(reporter, agent, resolver, network_category, manager):
    """A P1 VPN outage, minute by minute, through the incident services."""
    with time_machine.travel(at(9, 0), tick=False) as clock:
        incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high",
                                 summary="VPN down for everyone")
        clock.move_to(at(9, 5))
        incident = incident_services.transition(incident=incident, user=agent, name="triage", reason="Whole office")
        clock.move_to(at(9, 8))
        incident_services.record_event(incident, kind="escalation", actor=None, notify=False,
                                       message="P1 unassigned for 3 minutes: paged the network on-call")
        clock.move_to(at(9, 10))
        incident = incident_services.incident_assign(incident=incident, user=agent, assignee=resolver)
        clock.move_to(at(9, 12))
        incident = incident_services.transition(incident=incident, user=resolver, name="start")
        clock.move_to(at(9, 20))
        incident_services.comment_add(incident=incident, author=resolver, body="We are looking into it.", public=True)
        clock.move_to(at(9, 25))
        incident_services.comment_add(incident=incident, author=resolver, body="Tunnel count is 0.", public=False)
        clock.move_to(at(9, 30))
        incident_services.comment_add(incident=incident, author=reporter, body="Still nothing here.", public=True)
        clock.move_to(at(9, 40))
        incident = incident_services.transition(incident=incident, user=resolver, name="hold",
                                                hold_reason="Waiting for the ISP")
        clock.move_to(at(10, 0))
        incident_services.record_event(incident, kind="workaround_applied", actor=resolver, notify=False,
                                       message="Users moved to the backup gateway")
        clock.move_to(at(10, 10))
        incident = incident_services.transition(incident=incident, user=resolver, name="resume")
        clock.move_to(at(10, 30))
        incident = incident_services.transition(
            incident=incident, user=resolver, name="resolve", resolution_code="fixed",
            resolution_notes="ISP replaced a faulty line card.",
        )
        review = services.create_required_review(incident.pk)
    return review


def test_the_timeline_of_a_scripted_incident_matches_its_events_exactly(scripted_incident):
    entries = [(e.at, e.actor.username if e.actor else None, e.text) for e in scripted_incident.timeline.all()]
    assert entries == [
        (at(9, 0), "rita", "Opened via Portal"),
        (at(9, 5), "dana", "Triaged: Whole office"),
        (at(9, 8), None, "Escalation: P1 unassigned for 3 minutes: paged the network on-call"),
        (at(9, 10), "dana", "Assigned to nick"),
        (at(9, 12), "nick", "Work started"),
        (at(9, 20), "nick", "Public update: We are looking into it."),
        # The work note at 09:25 stays out: the review is drafted from what was done and said.
        (at(9, 30), "rita", "Reporter replied: Still nothing here."),
        (at(9, 40), "nick", "Put on hold: Waiting for the ISP"),
        (at(10, 0), "nick", "Workaround applied: Users moved to the backup gateway"),
        (at(10, 10), "nick", "Resumed"),
        (at(10, 30), "nick", "Resolved: ISP replaced a faulty line card."),
    ]
    assert all(not e.added_by_hand and e.source_event_id for e in scripted_incident.timeline.all())


def test_figures_come_from_the_incidents_records(scripted_incident, reporter):
    child = make_incident(reporter=reporter, summary="No VPN on my laptop either")
    # No service links incidents to a parent yet; set the field directly for the figure.
    Incident.objects.filter(pk=child.pk).update(parent=scripted_incident.incident)
    make_incident(reporter=reporter, summary="Unrelated")

    figures = timeline.figures(scripted_incident)
    assert figures.time_to_acknowledge == datetime.timedelta(minutes=5)
    assert figures.time_to_workaround == datetime.timedelta(hours=1)
    assert figures.time_to_resolve == datetime.timedelta(hours=1, minutes=30)
    assert figures.sla == "met", "P1 resolution target is 4 hours"
    assert figures.affected_incidents == 2
    assert figures.affected_users == 1


def test_resolving_with_a_workaround_counts_as_the_time_to_workaround(
    reporter, agent, resolver, network_category, manager
):
    with time_machine.travel(at(9, 0), tick=False) as clock:
        incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
        clock.move_to(at(9, 30))
        incident = incident_services.transition(incident=incident, user=resolver, name="claim")
        clock.move_to(at(11, 0))
        incident = incident_services.transition(incident=incident, user=resolver, name="resolve",
                                                resolution_code="workaround", resolution_notes="Use webmail.")
    review = services.create_required_review(incident.pk)
    assert timeline.figures(review).time_to_workaround == datetime.timedelta(hours=2)


def test_without_a_workaround_event_or_code_there_is_no_time_to_workaround(
    reporter, agent, resolver, network_category, manager
):
    from .factories import resolved_incident

    incident = resolved_incident(reporter=reporter, category=network_category, desk=agent, resolver=resolver)
    review = services.create_required_review(incident.pk)
    assert timeline.figures(review).time_to_workaround is None


def test_a_p1_resolved_after_its_4_hour_target_breached_its_sla(reporter, resolver, network_category, manager):
    with time_machine.travel(at(9, 0), tick=False) as clock:
        incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="high")
        incident = incident_services.transition(incident=incident, user=resolver, name="claim")
        clock.move_to(at(14, 0))
        incident = incident_services.transition(incident=incident, user=resolver, name="resolve",
                                                resolution_code="fixed", resolution_notes="Replaced the router.")
    review = services.create_required_review(incident.pk)
    assert timeline.figures(review).sla == "breached"


def test_sla_is_unknown_for_an_incident_without_a_clock(scripted_incident):
    incident = scripted_incident.incident
    incident.resolve_by = None
    incident.resolution_breached = False
    assert timeline.sla_outcome(incident) == "unknown"


def test_sla_kinds_and_other_new_event_kinds_are_drafted_with_their_label(scripted_incident):
    event = incident_services.record_event(scripted_incident.incident, kind="sla_warning", notify=False,
                                           message="75% of the resolution target used")
    assert timeline.entry_text(event) == "SLA warning: 75% of the resolution target used"
    event = incident_services.record_event(scripted_incident.incident, kind="vendor_ticket", notify=False,
                                           message="Opened case 4711 with the ISP")
    assert timeline.entry_text(event) == "Vendor ticket: Opened case 4711 with the ISP"


def test_redrafting_adds_only_what_happened_since_and_keeps_edits(scripted_incident, reporter, manager):
    review = scripted_incident
    first = review.timeline.first()
    first.text = "Opened by Rita from the portal"
    first.save()
    review.timeline.filter(text="Put on hold: Waiting for the ISP").update(struck=True)
    TimelineEntry.objects.create(review=review, at=at(9, 45), text="ISP confirmed the outage by phone",
                                 added_by_hand=True)
    incident_services.transition(incident=review.incident, user=reporter, name="reopen", reason="Slow again")

    assert services.timeline_redraft(review=review, user=manager) == 1
    assert services.timeline_redraft(review=review, user=manager) == 0
    texts = list(review.timeline.values_list("text", "struck"))
    assert texts[0] == ("Opened by Rita from the portal", False)
    assert ("Put on hold: Waiting for the ISP", True) in texts
    assert ("ISP confirmed the outage by phone", False) in texts
    assert texts[-1] == ("Reopened: Slow again", False)


def test_format_duration_reads_like_a_person_would_say_it():
    assert timeline.format_duration(None) == "—"
    assert timeline.format_duration(datetime.timedelta(seconds=45)) == "45 s"
    assert timeline.format_duration(datetime.timedelta(minutes=5)) == "5 min"
    assert timeline.format_duration(datetime.timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert timeline.format_duration(datetime.timedelta(days=3, hours=4, minutes=10)) == "3 d 4 h"
