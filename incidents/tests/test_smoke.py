from incidents import services
from incidents.workflow import State

from .factories import make_incident


def test_portal_incident_goes_through_its_whole_life(reporter, agent, resolver, network_category):
    incident = make_incident(reporter=reporter, category=network_category, impact="high", urgency="medium")
    assert incident.reference.startswith("INC-")
    assert incident.priority == 2
    incident = services.transition(incident=incident, user=agent, name="triage")
    incident = services.transition(incident=incident, user=resolver, name="claim")
    assert incident.assignee == resolver
    incident = services.transition(incident=incident, user=resolver, name="resolve",
                                   resolution_code="fixed", resolution_notes="Reset the token.")
    incident = services.transition(incident=incident, user=reporter, name="close")
    assert incident.state == State.CLOSED
    reasons = [h.history_change_reason for h in incident.history.order_by("history_id")]
    assert reasons == ["Opened via Portal", "Triage", "Claim", "Resolve", "Close"]
