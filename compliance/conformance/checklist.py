"""The shape of a conformance checklist: one `Item` per SOP step, each met, missed or not applicable
with the evidence that says so."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MET = "met"
MISSED = "missed"
NA = "na"
STATUS_LABELS = {MET: "Met", MISSED: "Missed", NA: "Not applicable"}


@dataclass(frozen=True)
class Item:
    """One SOP step on one incident. `evidence` is a sentence naming the event or history row that
    proves the status (or what is missing); `event_id` is that timeline event, when there is one."""

    key: str
    label: str
    status: str
    evidence: str
    event_id: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Checklist:
    incident_id: int
    reference: str
    items: list[Item] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int]:
        """(steps met, steps that applied)."""
        applicable = [item for item in self.items if item.status != NA]
        return sum(item.status == MET for item in applicable), len(applicable)

    @property
    def missed(self) -> list[Item]:
        return [item for item in self.items if item.status == MISSED]

    def item(self, key: str) -> Item:
        return next(item for item in self.items if item.key == key)

    def as_dict(self) -> dict:
        met, applicable = self.score
        return {"incident": self.incident_id, "reference": self.reference, "met": met, "applicable": applicable,
                "items": [asdict(item) for item in self.items]}
