"""Who reads, reads the whole of, and works on an incident: each rule written once, as clauses.

A clause says who it is for (a question about the user alone), and which incidents it opens to
them twice, side by side: as a Python predicate on one incident (`matches`) and as a `Q` on the
incident table (`where`). `Rule.allows(user, incident)` and `Rule.filter(queryset, user)` read
the same clauses, so `roles.can_view` and `IncidentQuerySet.visible_to` (and their twins for the
whole record) cannot drift apart; incidents/tests/test_visibility_matrix.py checks that both forms
agree on every kind of user and incident.

The rules (docs/security.md, "Visibility"):
- READ (`can_view`, `visible_to`): superusers and incident managers everything. A security incident
  also its security team (members of any team with `Team.security`), its named participants and
  its reporter. A confidential one also its team's staff, its participants and its reporter. Any other one
  staff roles, auditors, its participants and its reporter.
- INTERNAL (`sees_internal`, `seen_internally_by`: work notes, internal files, the whole
  timeline): superusers and incident managers everything; staff roles and auditors what is neither
  confidential nor security; staff of its team a confidential one; staff of a security team a
  security one; a named participant who holds a staff role the one they are named on. A reporter
  who is staff follows their own confidential or security report as its reporter.
- WORK (`can_work_on`): superusers and incident managers everything; desk agents what is neither
  confidential nor security; resolvers that, for their team; staff of its team a confidential one;
  staff of a security team a security one. Participants and auditors read; they do not work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from core.roles import is_auditor, is_desk_agent, is_incident_manager, is_resolver, is_staff_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import Incident

__all__ = ["INTERNAL", "READ", "WORK", "Clause", "Rule", "is_security_member", "participant_ids",
           "is_named", "preload_participants", "security_team_ids", "team_ids", "team_may_hear",
           "with_participation"]


# --- what the clauses ask about the user and the incident --------------------------------------
def _load_teams(user: AbstractBaseUser) -> None:
    pairs = list(user.teams.values_list("pk", "security"))
    user._itsm_team_ids = frozenset(pk for pk, _ in pairs)
    user._itsm_security_team_ids = frozenset(pk for pk, security in pairs if security)


def team_ids(user: AbstractBaseUser) -> frozenset[int]:
    """Ids of the teams the user belongs to, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_itsm_team_ids", None) is None:
        _load_teams(user)
    return user._itsm_team_ids


def security_team_ids(user: AbstractBaseUser) -> frozenset[int]:
    """Ids of the security teams (`Team.security`) the user belongs to, read with `team_ids`."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "_itsm_security_team_ids", None) is None:
        _load_teams(user)
    return user._itsm_security_team_ids


def is_security_member(user: AbstractBaseUser) -> bool:
    """A member of a security team: they see every security incident, whichever team works it."""
    return bool(security_team_ids(user))


def is_named(user: AbstractBaseUser, incident: Incident) -> bool:
    """Whether `user` is a named participant of the incident: from `with_participation`'s
    annotation when the row was read with it for this user, else from `participant_ids`."""
    if getattr(incident, "itsm_named_for", None) == user.pk:
        return bool(incident.itsm_named)
    return user.pk in participant_ids(incident)


def with_participation(queryset: QuerySet[Incident], user: AbstractBaseUser) -> QuerySet[Incident]:
    """The rows annotated with whether `user` is named on each, in the same query: a list whose
    rows are each judged by the rules (the API's shapes) then asks no query per row."""
    from django.db.models import Exists, OuterRef, Value

    from .models import Incident

    if not getattr(user, "is_authenticated", False):
        return queryset
    named = Incident.participants.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    return queryset.annotate(itsm_named=Exists(named), itsm_named_for=Value(user.pk))


def participant_ids(incident: Incident) -> frozenset[int]:
    """The named participants' user ids, from a `prefetch_related("participants")` when there is
    one, else read once and kept on the instance."""
    if incident.pk is None:
        return frozenset()
    prefetched = getattr(incident, "_prefetched_objects_cache", {}).get("participants")
    if prefetched is not None:
        return frozenset(user.pk for user in prefetched)
    cached = getattr(incident, "_itsm_participant_ids", None)
    if cached is None:
        cached = frozenset(incident.participants.values_list("pk", flat=True))
        incident._itsm_participant_ids = cached
    return cached


def preload_participants(incidents: Iterable[Incident]) -> None:
    """Read the participants of all these incidents in one query into the cache `participant_ids`
    reads, so that asking about many incidents (a batch of webhook events) costs no query each."""
    from .models import Incident

    by_pk: dict[int, list[Incident]] = defaultdict(list)
    for incident in incidents:
        if incident.pk is not None:
            by_pk[incident.pk].append(incident)
    if not by_pk:
        return
    named: dict[int, set[int]] = defaultdict(set)
    rows = Incident.participants.through.objects.filter(incident_id__in=list(by_pk))
    for incident_id, user_id in rows.values_list("incident_id", "user_id"):
        named[incident_id].add(user_id)
    for pk, copies in by_pk.items():
        for incident in copies:
            incident._itsm_participant_ids = frozenset(named[pk])


def team_may_hear(incident: Incident, team) -> bool:
    """Whether a team as a whole (its shared address, its members, its on-call) may be told about
    the incident: any team of an ordinary one, its own team of a confidential one, a security team
    of a security one. A message that names the incident goes to no team that may not read it."""
    if team is None:
        return False
    if incident.security:
        return bool(team.security)
    if incident.confidential:
        return team.pk == incident.team_id
    return True


def _participating(user: AbstractBaseUser) -> Q:
    from .models import Incident

    return Q(pk__in=Incident.participants.through.objects.filter(user_id=user.pk).values("incident_id"))


def _ordinary(incident: Incident) -> bool:
    return not incident.confidential and not incident.security


ORDINARY = Q(confidential=False, security=False)
CONFIDENTIAL = Q(confidential=True, security=False)
SECURITY = Q(security=True)
EVERYTHING = Q()


def _authenticated(user: AbstractBaseUser) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _superuser(user: AbstractBaseUser) -> bool:
    return bool(getattr(user, "is_superuser", False))


def _staff_or_auditor(user: AbstractBaseUser) -> bool:
    return is_staff_role(user) or is_auditor(user)


def _staff_security_member(user: AbstractBaseUser) -> bool:
    return is_staff_role(user) and is_security_member(user)


# --- the clauses and the rules -----------------------------------------------------------------
@dataclass(frozen=True)
class Clause:
    """Incidents opened to some users: `who(user)` says whether the clause is for this user at all;
    then `matches(user, incident)` in Python and `where(user)` in SQL say which incidents."""

    name: str
    who: Callable[[AbstractBaseUser], bool]
    matches: Callable[[AbstractBaseUser, Incident], bool]
    where: Callable[[AbstractBaseUser], Q]


@dataclass(frozen=True)
class Rule:
    """A user is allowed an incident when any clause that is for them matches it."""

    name: str
    clauses: tuple[Clause, ...]

    def allows(self, user: AbstractBaseUser, incident: Incident) -> bool:
        if not _authenticated(user):
            return False
        return any(clause.who(user) and clause.matches(user, incident) for clause in self.clauses)

    def condition(self, user: AbstractBaseUser) -> Q | None:
        """The rule for this user as one `Q` (`Q()`: every incident), or None: no incident."""
        if not _authenticated(user):
            return None
        condition = None
        for clause in self.clauses:
            if not clause.who(user):
                continue
            where = clause.where(user)
            if not where:
                return EVERYTHING
            condition = where if condition is None else condition | where
        return condition

    def filter(self, queryset: QuerySet[Incident], user: AbstractBaseUser) -> QuerySet[Incident]:
        condition = self.condition(user)
        if condition is None:
            return queryset.none()
        return queryset.filter(condition) if condition else queryset


def _everything(name: str, who: Callable[[AbstractBaseUser], bool]) -> Clause:
    return Clause(name, who, lambda user, incident: True, lambda user: EVERYTHING)


SUPERUSERS = _everything("superusers read and work on everything", _superuser)
MANAGERS = _everything("incident managers read and work on everything", is_incident_manager)
REPORTER = Clause(
    "its reporter follows it", _authenticated,
    lambda user, incident: incident.reporter_id == user.pk,
    lambda user: Q(reporter_id=user.pk),
)


def _participants(who: Callable[[AbstractBaseUser], bool]) -> Clause:
    return Clause(
        "its named participants", who,
        lambda user, incident: is_named(user, incident),
        _participating,
    )


def _security_team(who: Callable[[AbstractBaseUser], bool]) -> Clause:
    return Clause(
        "the security team: every security incident", who,
        lambda user, incident: bool(incident.security),
        lambda user: SECURITY,
    )


def _in_a_security_team(user: AbstractBaseUser) -> Q:
    from django.db.models import Exists

    from .models import Team

    return Q(Exists(Team.members.through.objects.filter(user_id=user.pk, team__security=True)))


# For readers of any role: asked in SQL (a subquery), so that a reporter's list costs no query for
# the question; in Python only about a security incident.
ANY_SECURITY_MEMBER = Clause(
    "the security team, whatever their role: every security incident", _authenticated,
    lambda user, incident: bool(incident.security) and is_security_member(user),
    lambda user: SECURITY & _in_a_security_team(user),
)


def _own_team_confidential(who: Callable[[AbstractBaseUser], bool]) -> Clause:
    return Clause(
        "its team: a confidential incident", who,
        lambda user, incident: bool(incident.confidential) and not incident.security
        and incident.team_id in team_ids(user),
        lambda user: CONFIDENTIAL & Q(team_id__in=team_ids(user)),
    )


def _ordinary_for(name: str, who: Callable[[AbstractBaseUser], bool]) -> Clause:
    return Clause(name, who, lambda user, incident: _ordinary(incident), lambda user: ORDINARY)


# Cheap clauses first: `allows` stops at the first that matches, and the participants' one may
# read the incident's participants (a query when they were not prefetched).
READ = Rule("read", (
    SUPERUSERS,
    MANAGERS,
    REPORTER,
    _ordinary_for("staff and auditors: what is neither confidential nor security", _staff_or_auditor),
    _own_team_confidential(is_staff_role),
    ANY_SECURITY_MEMBER,
    _participants(_authenticated),
))

INTERNAL = Rule("internal", (
    SUPERUSERS,
    MANAGERS,
    _ordinary_for("staff and auditors: what is neither confidential nor security", _staff_or_auditor),
    _own_team_confidential(is_staff_role),
    _security_team(_staff_security_member),
    _participants(is_staff_role),
))

WORK = Rule("work", (
    SUPERUSERS,
    MANAGERS,
    _ordinary_for("desk agents: what is neither confidential nor security", is_desk_agent),
    Clause(
        "resolvers: their team's, neither confidential nor security", is_resolver,
        lambda user, incident: _ordinary(incident) and incident.team_id in team_ids(user),
        lambda user: ORDINARY & Q(team_id__in=team_ids(user)),
    ),
    _own_team_confidential(is_staff_role),
    _security_team(_staff_security_member),
))
