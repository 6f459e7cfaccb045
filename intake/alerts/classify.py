"""From an alert's labels to the incident's classification: the source's label rules first, then
conventions every monitoring system shares (a `severity` of critical/warning/info, a `service`
named like one of ours, a `team` given by its slug), then the source's defaults.

Nothing an alert says is refused here: a value no rule and no convention knows is kept in
`unmapped` (shown on the group and in the incident), so that the desk can add the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incidents.models import Category, Level, Service, Team

from ..models import AlertSource

# The names monitoring systems give their severities, and what each means for impact and urgency
# (critical: P1 under the SOP's matrix; warning: P3).
SEVERITY_CONVENTIONS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("critical", "emergency", "disaster", "fatal", "page", "p1"), (Level.HIGH, Level.HIGH)),
    **dict.fromkeys(("high", "error", "major", "p2"), (Level.HIGH, Level.MEDIUM)),
    **dict.fromkeys(("warning", "warn", "average", "minor", "medium", "p3"), (Level.MEDIUM, Level.MEDIUM)),
    **dict.fromkeys(("info", "information", "informational", "low", "notice", "none", "p4"), (Level.LOW, Level.LOW)),
}
MAPPED_LABELS = ("severity", "service", "team")


@dataclass
class Classification:
    impact: str
    urgency: str
    category: Category | None = None
    service: Service | None = None
    team: Team | None = None
    unmapped: dict[str, str] = field(default_factory=dict)


def classify(source: AlertSource, labels: dict[str, str]) -> Classification:
    """Only a new group is classified: its source's rules are read here, with what they point at."""
    result = Classification(impact=source.default_impact, urgency=source.default_urgency,
                            category=source.default_category, service=source.default_service,
                            team=source.default_team)
    decided: set[str] = set()
    for rule in source.rules.select_related("category", "service", "team"):
        if labels.get(rule.label) != rule.value:
            continue
        decided.add(rule.label)
        for name in ("impact", "urgency"):
            if getattr(rule, name):
                setattr(result, name, getattr(rule, name))
        for name in ("category", "service", "team"):
            if getattr(rule, f"{name}_id"):
                setattr(result, name, getattr(rule, name))
    _conventions(labels, decided, result)
    return result


def _conventions(labels: dict[str, str], decided: set[str], result: Classification) -> None:
    severity = labels.get("severity")
    if severity and "severity" not in decided:
        levels = SEVERITY_CONVENTIONS.get(severity.strip().lower())
        if levels:
            result.impact, result.urgency = levels
        else:
            result.unmapped["severity"] = severity
    # A service named like one of ours, a team given by its slug.
    for label, lookup in (("service", lambda value: Service.objects.filter(name__iexact=value).first()),
                          ("team", lambda value: Team.objects.filter(slug__iexact=value).first())):
        value = labels.get(label)
        if value and label not in decided:
            found = lookup(value.strip())
            if found:
                setattr(result, label, found)
            else:
                result.unmapped[label] = value
