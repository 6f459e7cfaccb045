"""`manage.py seed_demo` builds the demo organisation through the services (incidents, the knowledge
base, on-call, the SLA, reviews and the alert intake), and running it again changes nothing.

Seeding takes seconds, so the module seeds once, inside a transaction that is rolled back at the
end; each test runs in a savepoint within it.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Q
from django.test import TestCase, override_settings
from django.utils import timezone

from comms.models import Stakeholder, StatusComponent, StatusGroup, Update
from dashboard import selectors as dashboard
from incidents import roles
from incidents.demo import notifications_delivered_in_memory
from incidents.demo_data import DEMO_PASSWORD, STORIES, USERS
from incidents.models import (
    Category,
    Channel,
    Comment,
    Escalation,
    EscalationPath,
    EventKind,
    Incident,
    IncidentEvent,
    Notification,
    Page,
    Rotation,
    RotationMember,
    RotationOverride,
    Service,
    Team,
)
from incidents.portal.deflection import portal_suggestions
from incidents.sla.demo import BREACHED_SUMMARY
from incidents.workflow import OPEN_STATES, State
from intake import demo as intake_demo
from intake.models import AlertGroup, AlertSource, GroupStatus, LabelRule
from knowledge_base import models as kb
from knowledge_base.selectors import KNOWN_ERROR
from knowledge_base.workflow import State as KbState
from response.demo import CHILD_SUMMARIES, MAJOR_SUMMARY
from reviews.models import ActionItem, PostIncidentReview, TimelineEntry
from reviews.workflow import ActionState, ReviewState

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(scope="module", autouse=True)
def _fast_password_hashing():
    # Each default (PBKDF2) hash costs about a second; this module checks eight passwords.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo data, seeded once for the module. Inside this outer transaction nothing commits,
    so the notification tasks queued "after commit" are run here, in memory, as the seed intends."""
    with django_db_blocker.unblock(), transaction.atomic():
        with notifications_delivered_in_memory(), TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", "--quiet")
        yield
        transaction.set_rollback(True)


def snapshot() -> dict:
    """Everything the seed writes, in a form that shows any change."""
    return {
        "users": sorted(User.objects.values_list("username", "password", "is_staff", "is_superuser", "last_login")),
        "teams": sorted(Team.objects.values_list("name", "tier", "email")),
        "members": sorted(Team.members.through.objects.values_list("team_id", "user_id")),
        "categories": sorted(Category.objects.values_list("name", "default_team_id", "confidential", "runbook_id")),
        "services": sorted(Service.objects.values_list("name", "description", "runbook_id")),
        "incidents": sorted(Incident.objects.values_list("reference", "state", "priority", "version", "updated_at")),
        "incident_history": Incident.history.count(),
        "comments": Comment.objects.count(),
        "events": IncidentEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "known_errors": sorted(kb.KnownError.objects.values_list("title", "state", "public", "updated_at")),
        "articles": sorted(kb.Article.objects.values_list("title", "state", "audience", "updated_at")),
        "kb_categories": sorted(kb.Category.objects.values_list("name", flat=True)),
        "kb_history": kb.KnownError.history.count() + kb.Article.history.count(),
        "rotations": sorted(Rotation.objects.values_list("team_id", "starts_on", "shift_hours")),
        "rotation_members": sorted(RotationMember.objects.values_list("rotation_id", "user_id", "position")),
        "overrides": sorted(RotationOverride.objects.values_list("rotation_id", "user_id", "starts_at", "ends_at")),
        "escalation_paths": sorted(EscalationPath.objects.values_list("team_id", "escalates_to_id")),
        "escalations": sorted(Escalation.objects.values_list("incident_id", "key", "outcome")),
        "pages": sorted(Page.objects.values_list("incident_id", "step", "user_id")),
        "reviews": sorted(PostIncidentReview.objects.values_list("incident_id", "state", "updated_at")),
        "action_items": sorted(ActionItem.objects.values_list("review_id", "description", "state")),
        "timeline_entries": TimelineEntry.objects.count(),
        "alert_sources": sorted(AlertSource.objects.values_list("name", "service_user_id")),
        "label_rules": sorted(LabelRule.objects.values_list("source_id", "label", "value")),
        "alert_groups": sorted(AlertGroup.objects.values_list("incident_id", "status", "occurrences", "last_seen_at")),
        "major_incidents": sorted(Incident.objects.filter(is_major=True).values_list(
            "reference", "commander__username", "comms_lead__username", "major_since")),
        "children": sorted(Incident.objects.filter(parent__isnull=False).values_list("reference", "parent__reference")),
        "status_groups": sorted(StatusGroup.objects.values_list("name", "position")),
        "status_components": sorted(StatusComponent.objects.values_list(
            "service__name", "group__name", "position", "shown", "override", "override_reason", "override_at")),
        "status_component_history": StatusComponent.history.count(),
        "status_page_updates": sorted(Update.objects.filter(to_status_page=True).values_list(
            "incident__reference", "body", "created_at")),
        "stakeholders": sorted(Stakeholder.objects.values_list("incident_id", "email", "team_id", "audience")),
    }


def test_demo_has_the_four_teams_six_categories_and_seven_services(seeded):
    assert sorted(Team.objects.values_list("name", "tier")) == [
        ("Network", 2), ("Platform", 3), ("Security", 2), ("Service Desk", 1),
    ]
    routing = {c.name: (c.default_team.name, c.confidential) for c in Category.objects.select_related("default_team")}
    assert routing == {
        "Software": ("Platform", False), "Hardware": ("Service Desk", False), "Network": ("Network", False),
        "Security": ("Security", True), "Access/Accounts": ("Service Desk", False), "E-mail": ("Platform", False),
    }
    assert set(Service.objects.values_list("name", flat=True)) == {
        "E-mail", "VPN", "Wi-Fi", "Payroll", "CRM", "File shares", "Printing",
    }


def test_every_role_has_a_demo_login_with_the_documented_password(seeded):
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(DEMO_PASSWORD), spec.username
        if spec.role is None:
            assert user.is_superuser and user.is_staff
        else:
            assert list(user.groups.values_list("name", flat=True)) == [spec.role]
            # Reporters use the portal; everyone else works in the admin.
            assert user.is_staff == (spec.role != roles.REPORTER), spec.username
        assert list(user.teams.values_list("name", flat=True)) == ([spec.team] if spec.team else [])
    assert {u.role for u in USERS} == {*roles.ALL_ROLES, None}
    assert User.objects.get(username="sam").teams.get().name == "Security"


def test_about_fifty_incidents_cover_every_state_and_every_priority(seeded):
    incidents = Incident.objects.all()
    assert 45 <= incidents.count() <= 60
    assert set(incidents.values_list("state", flat=True)) == set(State.values)
    assert set(incidents.values_list("priority", flat=True)) == {1, 2, 3, 4}
    # Security incidents are confidential, and only the Security team works them.
    security = incidents.filter(category__name="Security")
    assert security.exists() and all(i.confidential for i in security)
    assert set(security.exclude(assignee=None).values_list("assignee__username", flat=True)) == {"sam"}


def test_every_incident_was_opened_and_moved_through_the_services(seeded):
    for incident in Incident.objects.all():
        events = list(incident.events.order_by("pk"))
        assert events[0].kind == "created", incident.reference
        moves = [e.transition for e in events if e.kind == "transition"]
        assert incident.history.count() >= 1 + len(moves), incident.reference
    used = set(IncidentEvent.objects.exclude(transition="").values_list("transition", flat=True))
    assert used == {"triage", "claim", "start", "route", "hold", "resume", "resolve", "close", "reopen", "cancel"}
    reopened = Incident.objects.get(summary="E-mail delivery delayed by 30 minutes")
    assert (reopened.state, reopened.reopen_count) == (State.CLOSED, 1)
    assert Comment.objects.filter(public=True).exists() and Comment.objects.filter(public=False).exists()
    # A reporter never sees internal notes: every note is written by someone who works the incident.
    reporters = User.objects.filter(groups__name=roles.REPORTER)
    assert not Comment.objects.filter(public=False, author__in=reporters).exists()


def test_notifications_owed_by_the_demo_history_are_recorded_as_delivered(seeded):
    notifications = Notification.objects.all()
    assert notifications.exists()
    assert not notifications.filter(sent_at=None).exists()
    assert set(notifications.values_list("recipient", flat=True)) <= {f"{u.username}@example.com" for u in USERS}


def test_the_stories_took_their_time_so_the_managers_figures_are_real(seeded):
    maria = User.objects.get(username="maria")
    figures = dashboard.response_and_resolution(maria, starts=dashboard.window_starts(timezone.now()))
    by_priority = {row.priority: row for row in figures}
    for priority in (1, 2, 3, 4):
        assert by_priority[priority].mtta[30].value >= timedelta(minutes=1), priority
        assert by_priority[priority].mttr[30].value >= timedelta(minutes=30), priority
    # Opened over the last weeks, not all in the same second, and each timeline runs forward.
    assert len({incident.opened_at.date() for incident in Incident.objects.filter(state=State.CLOSED)}) >= 5
    for incident in Incident.objects.all():
        moments = list(incident.events.order_by("pk").values_list("created_at", flat=True))
        assert moments == sorted(moments), incident.reference
    # What is still open is within its resolution target: the seed's breached P2 is the one breach.
    breached = Incident.objects.filter(state__in=OPEN_STATES).filter(Q(response_breached=True) | Q(resolution_breached=True))
    assert list(breached.values_list("summary", flat=True)) == [BREACHED_SUMMARY]


def test_the_knowledge_base_has_public_and_internal_known_errors_and_articles_published(seeded):
    published = kb.KnownError.objects.filter(state=KbState.PUBLISHED)
    assert published.filter(public=True).exists() and published.filter(public=False).exists()
    articles = kb.Article.objects.filter(state=KbState.PUBLISHED)
    assert set(articles.values_list("audience", flat=True)) == {kb.Audience.PUBLIC, kb.Audience.INTERNAL}
    # One is waiting for a manager's approval.
    assert kb.KnownError.objects.filter(state=KbState.IN_REVIEW).count() == 1


def test_every_published_item_was_published_by_someone_other_than_who_sent_it_for_review(seeded):
    items = [*kb.KnownError.objects.filter(state=KbState.PUBLISHED), *kb.Article.objects.filter(state=KbState.PUBLISHED)]
    assert items
    for item in items:
        rows = list(item.history.order_by("history_date", "history_id").values_list("state", "history_user__username"))
        submitted_by = next(user for state, user in rows if state == KbState.IN_REVIEW)
        published_by = next(user for state, user in rows if state == KbState.PUBLISHED)
        assert (published_by, submitted_by != published_by) == ("maria", True), item.title


def test_the_portal_suggests_the_vpn_known_error_while_a_reporter_types(seeded):
    suggestions = portal_suggestions("my VPN keeps disconnecting")
    assert suggestions, "the seeded knowledge base should answer the demo's most common complaint"
    first = suggestions[0]
    assert first.kind == KNOWN_ERROR
    vpn = kb.KnownError.objects.get(pk=first.id)
    assert (vpn.state, vpn.public, vpn.affected_service) == (KbState.PUBLISHED, True, "VPN")
    # Internal items never reach the portal.
    assert all(kb.KnownError.objects.get(pk=s.id).public for s in portal_suggestions("VPN connected intranet")
               if s.kind == KNOWN_ERROR)


def test_each_resolver_team_has_an_on_call_rotation_of_two_with_an_override(seeded):
    resolver_teams = set(Team.objects.filter(members__groups__name=roles.RESOLVER).values_list("name", flat=True))
    assert resolver_teams == {"Network", "Platform", "Security"}
    for rotation in Rotation.objects.filter(team__name__in=resolver_teams):
        members = list(rotation.members.values_list("user__username", flat=True))
        assert len(members) == 2, rotation.team.name
        # Everyone in the rotation works the team's incidents.
        assert set(members) <= set(rotation.team.members.values_list("username", flat=True))
        assert rotation.overrides.count() == 1, rotation.team.name
    assert Rotation.objects.count() == 3
    paths = dict(EscalationPath.objects.values_list("team__name", "escalates_to__name"))
    assert paths == {"Service Desk": "Network", "Network": "Platform", "Security": "Platform"}


def test_the_breached_p2_has_its_breaches_escalations_and_page_on_its_timeline(seeded):
    incident = Incident.objects.get(summary=BREACHED_SUMMARY)
    assert incident.priority == 2
    assert (incident.response_breached, incident.resolution_breached) == (True, True)
    assert incident.respond_by < incident.resolve_by < incident.events.exclude(kind=EventKind.CREATED).first().created_at
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.SLA_BREACH) == 2
    assert kinds.count(EventKind.ESCALATION) >= 4
    # The sweep paged the Network on-call (Nora, by the override), and routed it up the path.
    [page] = Page.objects.filter(incident=incident)
    assert page.user.username == "nora"
    assert incident.team.name == "Platform" and incident.state == State.TRIAGED
    acted = Escalation.objects.filter(incident=incident, superseded=False, rule__isnull=False)
    assert set(acted.values_list("rule__action", flat=True)) == {"page_on_call", "notify_manager", "route_up"}


def test_there_is_a_review_in_each_state_with_action_items(seeded):
    reviews = PostIncidentReview.objects.exclude(action_items=None).distinct()
    assert set(reviews.values_list("state", flat=True)) == set(ReviewState.values)
    published = reviews.get(state=ReviewState.PUBLISHED)
    rows = list(published.history.values_list("state", "history_user__username"))
    assert (ReviewState.IN_REVIEW, "maria") in rows and (ReviewState.PUBLISHED, "mark") in rows
    assert set(ActionItem.objects.values_list("state", flat=True)) == set(ActionState.values)
    assert ActionItem.objects.overdue().exists()


def test_monitoring_alerts_opened_incidents_through_the_alert_source(seeded):
    source = AlertSource.objects.get(name=intake_demo.SOURCE_NAME)  # the drills' scripted source aside
    assert source.rules.count() == 2
    groups = {group.status: group for group in AlertGroup.objects.filter(source=source)
              .select_related("incident__service", "incident__team")}
    assert set(groups) == {GroupStatus.FIRING, GroupStatus.RESOLVED}
    firing = groups[GroupStatus.FIRING]
    assert firing.occurrences == 3 and len(firing.alerts) == 2
    incident = firing.incident
    assert (incident.channel, incident.reporter_id) == (Channel.MONITORING, source.service_user_id)
    # The label rules chose the classification.
    assert (incident.service.name, incident.team.name) == ("CRM", "Platform")
    assert incident.events.filter(kind=EventKind.ALERT).exists()


def test_demo_has_a_scenario_and_a_finished_drill_with_its_score_kept_off_the_figures(seeded):
    from drills.models import Drill, StepStatus

    [drill] = Drill.objects.select_related("incident", "scenario")
    assert drill.scenario.steps.count() == 3 and drill.incident.exercise
    assert drill.ended_at is not None and drill.applicable and drill.score
    assert list(drill.steps.order_by("due_at").values_list("status", flat=True)) == [
        StepStatus.DONE, StepStatus.SKIPPED, StepStatus.SKIPPED]
    assert drill.incident.events.filter(kind=EventKind.ALERT).exists()
    assert drill.incident.state not in OPEN_STATES


def test_demo_has_an_ongoing_major_incident_with_the_reports_of_the_same_outage_under_it(seeded):
    [major] = Incident.objects.filter(is_major=True, summary=MAJOR_SUMMARY)
    assert major.is_open and (major.commander.username, major.comms_lead.username) == ("maria", "dana")
    assert sorted(major.children.values_list("summary", flat=True)) == sorted(CHILD_SUMMARIES)
    assert major.events.filter(kind=EventKind.MAJOR, public=False).exists()


def test_running_the_seed_again_changes_nothing(seeded, django_capture_on_commit_callbacks):
    first = snapshot()

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("seed_demo", stdout=out)

    assert snapshot() == first
    assert callbacks == []
    assert "nothing to add" in out.getvalue()


def test_the_seed_prints_every_login_and_the_password(seeded):
    out = StringIO()
    call_command("seed_demo", stdout=out)

    printed = out.getvalue()
    assert f"every password is: {DEMO_PASSWORD}" in printed
    for spec in USERS:
        assert f"  {spec.username} " in printed
    assert "/portal/" in printed and "/admin/" in printed


def test_story_summaries_are_unique_because_they_identify_seeded_incidents():
    summaries = [story.summary for story in STORIES]
    assert len(summaries) == len(set(summaries))


def test_the_seed_refuses_to_create_known_passwords_in_production(settings):
    settings.ITSM_PRODUCTION = True
    users = User.objects.count()
    with pytest.raises(CommandError, match="ITSM_PRODUCTION"):
        call_command("seed_demo", "--quiet")
    assert User.objects.count() == users


def test_the_printing_service_and_the_security_category_have_their_runbooks(seeded):
    from incidents import selectors

    printing = Service.objects.get(name="Printing")
    assert printing.runbook.title == "Clearing a stuck print queue on the print server"
    assert Category.objects.get(name="Security").runbook.title == "Handling a reported phishing e-mail"
    stuck = Incident.objects.get(summary="Print queue on PRN-HQ-02 stuck with 40 jobs")
    assert selectors.runbook_of(stuck) == printing.runbook


def test_the_status_page_lists_every_service_and_shows_the_vpn_outage_with_its_public_update(seeded, client):
    from comms.status import selectors as status

    snapshot = status.build()
    assert sorted(c.name for c in snapshot.components) == sorted(Service.objects.values_list("name", flat=True))
    [outage] = snapshot.ongoing
    assert outage.name == "VPN down for all remote staff since 08:00" and outage.affected >= 2  # its reporter and its children's
    assert outage.updates[0].body.startswith("We know that the VPN gateway is unreachable")
    states = {c.name: c.status for c in snapshot.components}
    assert states["VPN"] != "operational" and states["Printing"] == "degraded_performance"


def test_the_outage_has_stakeholders_beyond_those_who_hear_it_anyway_and_its_update_reached_them(seeded):
    from comms import stakeholders

    outage = Incident.objects.get(summary="VPN down for all remote staff since 08:00")
    hear = {r.address: (r.audience, r.automatic) for r in stakeholders.audience(outage)}
    assert hear["directors@example.com"] == ("external", False)
    assert hear["platform@example.com"] == ("internal", False)
    assert hear[outage.reporter.email] == ("external", True)
    update = Update.objects.get(incident=outage, to_status_page=True)
    assert "directors@example.com" in update.messages.values_list("recipient", flat=True)


def test_the_security_incident_in_progress_has_its_checklist_partly_ticked_evidence_with_custody_and_a_notice(seeded):
    import hashlib

    from response.demo import PROXY_LOG, SECURITY_SUMMARY
    from response.models import ContainmentStep, CustodyEntry, Evidence, Notice

    incident = Incident.objects.get(summary=SECURITY_SUMMARY)
    assert incident.security and incident.state == State.IN_PROGRESS and incident.assignee.username == "sam"
    steps = ContainmentStep.objects.filter(incident=incident)
    assert 0 < steps.filter(done=True).count() < steps.count()
    assert {s.done_by.username for s in steps.filter(done=True)} == {"sam", "sofia"}
    items = Evidence.objects.filter(incident=incident)
    assert sorted(items.values_list("kind", flat=True)) == ["file", "note"]
    assert all(CustodyEntry.objects.filter(evidence=item).exists() for item in items)
    # (The stored file is in the media folder of the test that seeded; its hash is what was collected.)
    assert items.get(kind="file").sha256 == hashlib.sha256(PROXY_LOG.encode()).hexdigest()
    assert Notice.objects.get(incident=incident).role == "legal"
