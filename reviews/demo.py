"""The reviews' part of the demo (`manage.py seed_demo`): the post-incident reviews the demo's resolved
P1/P2 incidents require, one in each state, with action items in each of theirs.

- published: the payroll outage, written and submitted by maria, published by mark (four eyes);
- in review: the CRM database disk, submitted by maria, waiting for mark; one of its actions is overdue;
- draft: the intranet certificate, maria still writing it; another P2's review is left as created.

Through the services, as the managers and the action items' owners. Action items have no service
of their own: they are saved as the review's admin form saves them, with the manager in their
history. Idempotent: a review that has action items has had its story told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Incident

from .models import ActionItem, ActionPriority, PostIncidentReview
from .services import action_item_transition, create_required_review, review_save_edits, review_transition
from .workflow import ActionState, ReviewState

WRITER = "maria"
APPROVER = "mark"


@dataclass(frozen=True)
class DemoAction:
    description: str
    owner: str
    team: str | None
    due_in_days: int  # negative: overdue
    priority: int = ActionPriority.MEDIUM
    state: str = ActionState.OPEN
    reason: str = ""  # why it won't be done
    link_url: str = ""


@dataclass(frozen=True)
class DemoReview:
    incident_summary: str  # one of the demo stories, resolved at P1 or P2
    state: str
    text: dict[str, str]
    actions: list[DemoAction] = field(default_factory=list)


REVIEWS = [
    DemoReview(
        "Payroll application shows HTTP 500 after login", ReviewState.PUBLISHED,
        {
            "summary": "The morning's payroll release made the payroll application answer every request "
                       "after login with HTTP 500 for about two hours, the day before payroll closed.",
            "customer_impact": "Nobody in HR could enter or check this month's changes until the rollback.",
            "root_cause": "The release shipped without its database migration: the new code read a "
                          "column that did not exist yet.",
            "contributing_factors": "The release pipeline does not check that the migrations in the "
                                    "code have been applied; staging had the column from an earlier test.",
            "what_went_well": "The rollback took ten minutes once the cause was found.",
            "what_went_poorly": "The first hour went into checking the database server, which was healthy.",
            "lessons_learned": "Check the migrations first when an error starts with a release.",
        },
        [
            DemoAction("Make the release pipeline fail when a migration in the code has not been applied",
                       "paula", "Platform", -7, ActionPriority.HIGH, ActionState.DONE,
                       link_url="https://git.example.com/platform/payroll/-/merge_requests/412"),
            DemoAction("Rebuild the payroll staging database from last night's production copy before "
                       "each release", "pete", "Platform", 10, state=ActionState.IN_PROGRESS),
            DemoAction("Freeze payroll releases in the three days before payroll closes", "maria", None, 14,
                       ActionPriority.LOW, ActionState.WONT_DO,
                       reason="The pipeline check makes a release without its migration impossible; a freeze "
                              "would hold back fixes that HR needs in those days."),
        ],
    ),
    DemoReview(
        "Disk full on the CRM database server", ReviewState.IN_REVIEW,
        {
            "summary": "The CRM database server's data disk filled up; saving in the CRM failed for 40 minutes.",
            "customer_impact": "Sales and support could read but not save in the CRM.",
            "root_cause": "Since the last PostgreSQL upgrade the log rotation job pointed at the old log "
                          "directory, so 90 GB of logs were never rotated.",
            "contributing_factors": "The disk alert fired only at 95 %, twenty minutes before it was full.",
            "lessons_learned": "An upgrade's checklist must cover the jobs around the server, not just the server.",
        },
        [
            DemoAction("Alert at 80 % disk use on every database server", "paula", "Platform", -3,
                       ActionPriority.HIGH),
            DemoAction("Add the log rotation and backup jobs to the PostgreSQL upgrade checklist", "pete",
                       "Platform", 21),
        ],
    ),
    DemoReview(
        "Expired certificate on the intranet causes browser warnings", ReviewState.DRAFT,
        {
            "summary": "The intranet's TLS certificate expired at midnight; every browser warned about it "
                       "until it was renewed at 08:40.",
            "root_cause": "The certificate was bought by hand three years ago and was not in the expiry monitor.",
        },
        [
            DemoAction("Add every certificate we serve to the expiry monitor", "paula", "Platform", 14,
                       ActionPriority.HIGH),
        ],
    ),
]


def seed(org) -> int:
    """Tell each review's story unless it has been told. Returns how many reviews were written."""
    written = 0
    for spec in REVIEWS:
        incident = Incident.objects.filter(summary=spec.incident_summary).first()
        if incident is None:
            continue
        # The review the policy requires; normally created by the resolve's task, but that task
        # runs after commit, which may not have come yet.
        review = create_required_review(incident.pk)
        if review is None or review.action_items.exists():
            continue
        with transaction.atomic():
            _write(review, spec, org)
        written += 1
    return written


def _write(review: PostIncidentReview, spec: DemoReview, org) -> None:
    users = org.users
    writer, approver = users[WRITER], users[APPROVER]
    review = PostIncidentReview.objects.get(pk=review.pk)
    for name, value in spec.text.items():
        setattr(review, name, value)
    review_save_edits(review=review, user=writer, changed=list(spec.text))
    today = timezone.localdate()
    items = []
    for action in spec.actions:
        item = ActionItem(review=review, description=action.description, owner=users[action.owner],
                          team=org.teams[action.team] if action.team else None, due_date=today + timedelta(days=action.due_in_days),
                          priority=action.priority, link_url=action.link_url)
        item.full_clean(exclude=["state"])
        item._history_user = writer
        item.save()
        items.append((item, action))
    for item, action in items:
        _work(item, action, users)
    if spec.state in (ReviewState.IN_REVIEW, ReviewState.PUBLISHED):
        review = review_transition(review=review, user=writer, name="submit")
    if spec.state == ReviewState.PUBLISHED:
        review_transition(review=review, user=approver, name="publish")


def _work(item: ActionItem, action: DemoAction, users) -> None:
    """Take the action item where its story ends, as its owner (dropping it is the writer's call)."""
    owner = users[action.owner]
    if action.state == ActionState.IN_PROGRESS:
        action_item_transition(item=item, user=owner, name="start")
    elif action.state == ActionState.DONE:
        item = action_item_transition(item=item, user=owner, name="start")
        action_item_transition(item=item, user=owner, name="complete")
    elif action.state == ActionState.WONT_DO:
        action_item_transition(item=item, user=users[WRITER], name="drop", reason=action.reason)
