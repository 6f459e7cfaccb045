"""Incidents with their history, timeline events and comments, as the services would have written them.

Each incident's life is simulated step by step (open, triage, route, claim, hold/resume, resolve,
reopen, close or cancel) with the same labels and event kinds as `incidents.services`, so that the
history rows, the timeline and the final row agree with each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents.models import Channel, Comment, EventKind, Incident, IncidentEvent, ResolutionCode
from incidents.services import PUBLIC_TRANSITIONS
from incidents.workflow import State

from . import text
from .people import Directory

# Final states: mostly closed, as in any desk with a few years of history.
STATE_WEIGHTS = {
    State.CLOSED: 80, State.CANCELLED: 4, State.RESOLVED: 4, State.IN_PROGRESS: 5,
    State.ON_HOLD: 2, State.TRIAGED: 2, State.NEW: 3,
}
PRIORITY_WEIGHTS = {1: 1, 2: 6, 3: 38, 4: 55}
# The impact x urgency cells of the default matrix, per priority.
CELLS = {
    1: [("high", "high")],
    2: [("high", "medium"), ("medium", "high")],
    3: [("high", "low"), ("medium", "medium"), ("low", "high")],
    4: [("medium", "low"), ("low", "medium"), ("low", "low")],
}
CHANNEL_WEIGHTS = {Channel.PORTAL: 55, Channel.EMAIL: 25, Channel.PHONE: 12, Channel.MONITORING: 5,
                   Channel.WALK_IN: 3}
CODE_WEIGHTS = {ResolutionCode.FIXED: 50, ResolutionCode.WORKAROUND: 15, ResolutionCode.KNOWN_ERROR: 10,
                ResolutionCode.USER_ERROR: 15, ResolutionCode.NO_FAULT: 6, ResolutionCode.DUPLICATE: 4}
LABELS = {"triage": "Triage", "claim": "Claim", "route": "Route to team", "hold": "Put on hold",
          "resume": "Resume", "resolve": "Resolve", "close": "Close", "reopen": "Reopen", "cancel": "Cancel"}

MINUTE, HOUR, DAY = 60, 3600, 86400
# First response and working time, in seconds, by priority.
RESPONSE = {1: (5 * MINUTE, 15 * MINUTE), 2: (15 * MINUTE, HOUR), 3: (HOUR, 8 * HOUR), 4: (2 * HOUR, DAY)}
WORK = {1: (HOUR, 4 * HOUR), 2: (2 * HOUR, 12 * HOUR), 3: (4 * HOUR, 3 * DAY), 4: (DAY, 7 * DAY)}
OPEN = (State.NEW, State.TRIAGED, State.IN_PROGRESS, State.ON_HOLD)
HISTORY_MIN, HISTORY_MAX = 3, 10


def _weighted(weights: dict) -> tuple[list, list[int]]:
    return list(weights), list(weights.values())


@dataclass
class Batch:
    incidents: list[dict]
    history: list[dict]
    events: list[dict]
    comments: list[dict]

    @property
    def rows(self) -> int:
        return len(self.incidents) + len(self.history) + len(self.events) + len(self.comments)


class IncidentSimulator:
    """Builds the rows of incidents numbered `first`..`first + count - 1`, deterministically."""

    def __init__(self, directory: Directory, *, rng: random.Random, anchor: datetime, ids: dict[str, int]) -> None:
        self.d = directory
        self.rng = rng
        self.anchor = anchor
        self.ids = ids  # next free id per table: incident, history, event, comment
        self.states, self.state_w = _weighted(STATE_WEIGHTS)
        self.prios, self.prio_w = _weighted(PRIORITY_WEIGHTS)
        self.channels, self.channel_w = _weighted(CHANNEL_WEIGHTS)
        self.codes, self.code_w = _weighted(CODE_WEIGHTS)
        self.desk_team = directory.teams["service-desk"]
        self.team_ids = [t for t in directory.team_members if t != self.desk_team]

    def _take(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _reporter(self) -> int:
        # A few people report far more than the rest.
        reporters = self.d.reporters
        return reporters[int(len(reporters) * self.rng.random() ** 2)]

    def batch(self, numbers: range) -> Batch:
        batch = Batch([], [], [], [])
        for number in numbers:
            self._one(number, batch)
        return batch

    def _one(self, number: int, batch: Batch) -> None:
        rng = self.rng
        target = rng.choices(self.states, self.state_w)[0]
        priority = rng.choices(self.prios, self.prio_w)[0]
        impact, urgency = rng.choice(CELLS[priority])
        cat_id, cat_name, team_id, confidential = rng.choices(self.d.categories, self.d.category_weights)[0]
        summary, description = text.incident_text(cat_name, rng)
        channel = rng.choices(self.channels, self.channel_w)[0]
        reporter = self._reporter()
        agent = rng.choice(self.d.agents)
        opener = reporter if channel == Channel.PORTAL else agent
        # First-contact resolution: the desk keeps a share of what it can fix on the phone.
        if target != State.NEW and rng.random() < 0.2 and not confidential:
            team_id = self.desk_team
        pk = self._take("incident")
        cur = {
            "id": pk, "reference": f"INC-{number:06d}", "summary": summary, "description": description,
            "reporter_id": reporter, "channel": channel, "category_id": cat_id,
            "service_id": rng.choice(self.d.services) if rng.random() < 0.7 else None,
            "impact": impact, "urgency": urgency, "priority": priority, "team_id": team_id, "assignee_id": None,
            "state": State.NEW, "confidential": confidential, "is_major": priority == 1 and rng.random() < 0.3,
            "parent_id": None, "triaged_at": None, "responded_at": None, "resolved_at": None, "closed_at": None,
            "on_hold_since": None, "hold_reason": "", "paused_seconds": 0, "reopen_count": 0,
            "resolution_code": "", "resolution_notes": "", "workaround": "",
        }
        # Steps as (seconds after opening, actor, transition or edit, changes).
        steps: list[tuple[int, int, str, dict]] = []
        t = 0
        lo, hi = RESPONSE[priority]
        wlo, whi = WORK[priority]

        def step(delay: int, actor: int, name: str, **changes) -> None:
            nonlocal t
            t += delay
            steps.append((t, actor, name, changes))

        if target == State.CANCELLED:
            if rng.random() < 0.3:
                step(rng.randint(lo, hi), agent, "triage", state=State.TRIAGED)
            who = reporter if rng.random() < 0.6 else agent
            step(rng.randint(lo, hi), who, "cancel", state=State.CANCELLED)
        elif target != State.NEW:
            step(rng.randint(lo, hi), agent, "triage", state=State.TRIAGED)
            if team_id != self.desk_team and rng.random() < 0.1:
                team_id = rng.choice(self.team_ids)
                step(rng.randint(lo, hi), agent, "route", team_id=team_id)
            if target != State.TRIAGED:
                assignee = rng.choice(self.d.team_members[team_id])
                step(rng.randint(lo, hi), assignee, "claim", state=State.IN_PROGRESS, assignee_id=assignee)
                holds = 1 if target == State.ON_HOLD else 0
                if target != State.IN_PROGRESS and rng.random() < 0.15:
                    step(rng.randint(wlo, whi) // 3, assignee, "hold", state=State.ON_HOLD,
                         hold_reason=rng.choice(text.HOLD_REASONS))
                    step(rng.randint(HOUR, 2 * DAY), assignee, "resume", state=State.IN_PROGRESS)
                if holds:
                    step(rng.randint(wlo, whi) // 2, assignee, "hold", state=State.ON_HOLD,
                         hold_reason=rng.choice(text.HOLD_REASONS))
                if target in (State.RESOLVED, State.CLOSED):
                    code = rng.choices(self.codes, self.code_w)[0]
                    step(rng.randint(wlo, whi), assignee, "resolve", state=State.RESOLVED, resolution_code=code,
                         resolution_notes=text.fill(rng.choice(text.RESOLUTION_NOTES), rng))
                    if rng.random() < 0.05:
                        step(rng.randint(HOUR, DAY), reporter, "reopen", state=State.IN_PROGRESS)
                        step(rng.randint(wlo, whi), assignee, "resolve", state=State.RESOLVED,
                             resolution_notes=text.fill(rng.choice(text.RESOLUTION_NOTES), rng))
                    if target == State.CLOSED:
                        closer = reporter if rng.random() < 0.4 else assignee
                        step(rng.randint(DAY, 5 * DAY), closer, "close", state=State.CLOSED)

        self._add_edits(steps, agent, final=target not in OPEN)
        duration = steps[-1][0] if steps else 0
        opened = self._opened_at(target, duration)
        self._write(cur, opened, opener, steps, batch)

    def _add_edits(self, steps: list, agent: int, *, final: bool) -> None:
        """Field edits between the transitions: history rows without a state change (3-10 rows in all)."""
        rng = self.rng
        wanted = max(HISTORY_MIN - 1 - len(steps), rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0])
        for _ in range(min(wanted, HISTORY_MAX - 1 - len(steps))):
            # Never after a closing step: a closed incident is not edited.
            last = len(steps) - 1 if final and steps else len(steps)
            j = rng.randint(0, max(last, 0))
            before = steps[j - 1][0] if j > 0 else 0
            after = steps[j][0] if j < len(steps) else before + rng.randint(MINUTE, 2 * HOUR)
            steps.insert(j, (before + int((after - before) * rng.random()), agent, "edit", {}))

    def _opened_at(self, target: str, duration: int) -> datetime:
        rng = self.rng
        if target in OPEN:
            age = rng.randint(HOUR, 21 * DAY)
        elif target == State.RESOLVED:
            age = rng.randint(DAY // 2, 10 * DAY)
        else:
            age = rng.randint(3 * DAY, 3 * 365 * DAY)
        # Whatever happened to it happened before now.
        age = max(age, duration + 10 * MINUTE)
        return self.anchor - timedelta(seconds=age)

    def _write(self, cur: dict, opened: datetime, opener: int, steps: list, batch: Batch) -> None:
        rng = self.rng
        cur["opened_at"] = opened
        history = batch.history
        events = batch.events
        channel_label = Channel(cur["channel"]).label
        history.append({**cur, "history_id": self._take("history"), "history_date": opened,
                        "history_change_reason": f"Opened via {channel_label}", "history_type": "+",
                        "history_user_id": opener})
        events.append({"id": self._take("event"), "incident_id": cur["id"], "kind": EventKind.CREATED,
                       "actor_id": opener, "created_at": opened, "public": True,
                       "message": f"Opened via {channel_label}"})
        for seconds, actor, name, changes in steps:
            at = opened + timedelta(seconds=seconds, milliseconds=rng.randint(0, 999))
            from_state = cur["state"]
            cur.update(changes)
            reason = ""
            if name == "edit":
                if cur["service_id"] is None:
                    cur["service_id"] = rng.choice(self.d.services)
                    reason = "Edited service"
                else:
                    cur["description"] += " (Added by the service desk: user called back with more detail.)"
                    reason = "Edited description"
            elif name == "hold":
                cur["on_hold_since"] = at
            elif name == "resume":
                cur["paused_seconds"] += int((at - cur["on_hold_since"]).total_seconds())
                cur["on_hold_since"], cur["hold_reason"] = None, ""
            elif name == "resolve":
                cur["resolved_at"] = at
                if cur["resolution_code"] in (ResolutionCode.WORKAROUND, ResolutionCode.KNOWN_ERROR):
                    cur["workaround"] = "Restart the client after clearing its cache."
            elif name == "reopen":
                cur["resolved_at"] = None
                cur["reopen_count"] += 1
            elif name in ("close", "cancel"):
                cur["closed_at"] = at
            if name in ("triage", "claim", "route") and cur["triaged_at"] is None:
                cur["triaged_at"] = at
            if name in ("triage", "claim", "route", "resolve") and cur["responded_at"] is None:
                cur["responded_at"] = at
            if name != "edit":
                label = LABELS[name]
                message = cur["resolution_notes"] if name == "resolve" else cur["hold_reason"] if name == "hold" else ""
                reason = f"{label}: {message}"[:100] if message else label
                events.append({"id": self._take("event"), "incident_id": cur["id"], "kind": EventKind.TRANSITION,
                               "actor_id": actor, "created_at": at, "transition": name, "from_state": from_state,
                               "to_state": cur["state"], "message": message, "public": name in PUBLIC_TRANSITIONS})
            history.append({**cur, "history_id": self._take("history"), "history_date": at,
                            "history_change_reason": reason, "history_type": "~", "history_user_id": actor})
        last = opened + timedelta(seconds=steps[-1][0]) if steps else opened
        self._comments(cur, opened, last, batch)
        batch.incidents.append({**cur, "updated_at": last, "version": len(steps) + 1})

    def _comments(self, cur: dict, opened: datetime, last: datetime, batch: Batch) -> None:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3, 4), (35, 30, 20, 10, 5))[0]
        span = max(int((last - opened).total_seconds()), HOUR)
        staff = self.d.team_members[cur["team_id"]] if cur["team_id"] else self.d.agents
        for _ in range(count):
            at = opened + timedelta(seconds=rng.randint(60, span))
            kind = rng.random()
            if kind < 0.4:
                author, public, body = rng.choice(staff), False, text.fill(rng.choice(text.WORK_NOTES), rng)
            elif kind < 0.75:
                author, public, body = rng.choice(staff), True, text.fill(rng.choice(text.PUBLIC_REPLIES), rng)
            else:
                author, public, body = cur["reporter_id"], True, rng.choice(text.REPORTER_REPLIES)
            comment_id = self._take("comment")
            batch.comments.append({"id": comment_id, "incident_id": cur["id"], "author_id": author, "body": body,
                                   "public": public, "created_at": at})
            batch.events.append({"id": self._take("event"), "incident_id": cur["id"], "kind": EventKind.COMMENT,
                                 "actor_id": author, "created_at": at, "comment_id": comment_id, "public": public,
                                 "message": body[:200]})


TABLES = {"incident": Incident, "history": Incident.history.model, "event": IncidentEvent, "comment": Comment}
