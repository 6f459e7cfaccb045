"""The one transition runner, shared by every state machine of the project.

A state machine is a django-fsm field with transitions on its model; each transition carries its
guards (`conditions`, each a `guard` with the sentence it refuses with), its permission and, in
`custom`, its `label`, whether it `needs_reason` (True, or the sentence that asks for it) and whether
it is `four_eyes` (see `Transitions.second_person_refusal`). A `Transitions` object runs them for one
model the same way everywhere: lock the row, refuse a stale copy, check the state, the permission
and the reason, let the app set the transition's inputs, call the transition, save once (one
history row carrying the actor and the reason), and let the app record what follows. Admin,
portal, API and tasks all call an app's service, which calls this, so the wording of a refusal
and the rules behind it are the same on every surface.

Apps subclass `Transitions` to add what is theirs (an incident's inputs and timeline event, an
action item's won't-do reason); the mechanics stay here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import models, transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from .errors import WorkflowError

M = TypeVar("M", bound=models.Model)
Guard = Callable[[Any], bool]


def guard(message: str) -> Callable[[Guard], Guard]:
    """Attach the sentence shown to the person whose transition this condition refuses."""

    def decorate(func: Guard) -> Guard:
        func.refusal = message  # type: ignore[attr-defined]
        return func

    return decorate


@dataclass(frozen=True)
class TransitionInfo:
    """What a button or an API needs to offer one transition."""

    name: str
    label: str
    target: str
    needs_reason: bool = False
    # Inputs its form asks for besides the reason (an incident's resolution notes, ...).
    fields: tuple[str, ...] = ()
    # The transition's own `custom` mapping, for what one app adds (a reporter's label, ...).
    custom: Mapping[str, Any] = field(default_factory=dict)


def locked_save(obj: models.Model, *, user, reason: str, describe: Callable[[Any], str] = str,
                update_fields: Iterable[str] | None = None) -> None:
    """Save `obj` once, with a history row naming `user` and `reason`.

    In a savepoint of its own: with `ConcurrentTransitionMixin`, a failed compare-and-set would
    otherwise break the caller's transaction. A lost race is a refusal with a sentence.
    """
    obj._history_user = user
    obj._change_reason = (reason or "")[:100]
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except ConcurrentTransition:
        raise WorkflowError(f"{describe(obj)} was changed by someone else a moment ago. Reload it and try again.") from None


class Transitions(Generic[M]):
    """Runs the transitions of `model`'s state field. One instance per model, in its app's services."""

    def __init__(self, model: type[M], *, field_name: str = "state") -> None:
        self.model = model
        self.field_name = field_name

    # --- what an app may add (hooks) --------------------------------------------------------------
    def describe(self, obj: M) -> str:
        """How a refusal names the object (an incident's reference, a known error's title)."""
        return str(obj)

    def inputs_of(self, name: str) -> tuple[str, ...]:
        """Inputs transition `name` takes besides the reason; any other input is refused."""
        return ()

    def precheck(self, obj: M, *, user, name: str) -> None:
        """A refusal said before any other (raise WorkflowError); the row is locked."""

    def prepare(self, obj: M, *, user, name: str, reason: str, inputs: dict) -> None:
        """Set what the transition needs on the locked instance, so that its guards can see it."""

    def explain(self, obj: M, condition: Guard) -> str | None:
        """A refusal worked out from the object, for a condition whose fixed sentence says too little."""
        return None

    def before_save(self, obj: M) -> None:
        """Bookkeeping that every save of this model does (an incident's SLA clock)."""

    def after_save(self, obj: M, *, user, name: str, from_state: str, reason: str) -> None:
        """What the transition owes, in its transaction (a timeline event, a signal)."""

    def authors(self, obj: M) -> set[int]:
        """Who made what a four-eyes transition would approve: the users of the history rows written
        since the object entered its current state (the submission, and any edit or fix-status change
        after it). A reviewer who sent it back to draft is not among them: that row left the state."""
        state = getattr(obj, self.field_name)
        found: set[int] = set()
        rows = obj.history.order_by("-history_date", "-history_id").values_list("history_user_id", self.field_name)
        for user_id, row_state in rows:
            if row_state != state:
                break
            if user_id is not None:
                found.add(user_id)
        return found

    # --- reading the machine ----------------------------------------------------------------------
    @cached_property
    def _declared(self) -> dict[str, Any]:
        """One django-fsm transition per name, in the order the model declares them. A model's
        transitions are fixed once its class exists: worked out once per runner, not per call."""
        order: dict[str, int] = {}
        for klass in reversed(self.model.__mro__):
            for attr_name, attr in vars(klass).items():
                if hasattr(attr, "_django_fsm"):
                    order.setdefault(attr_name, len(order))
        found: dict[str, Any] = {}
        for t in self.model._meta.get_field(self.field_name).get_all_transitions(self.model):
            found.setdefault(t.name, t)
        return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))

    def names(self) -> list[str]:
        return list(self._declared)

    def label(self, name: str) -> str:
        t = self._declared.get(name)
        return (t.custom or {}).get("label", name.replace("_", " ").capitalize()) if t else name

    def info(self, t) -> TransitionInfo:
        custom = t.custom or {}
        return TransitionInfo(
            name=t.name, label=self.label(t.name), target=t.target, needs_reason=bool(custom.get("needs_reason")),
            fields=self.inputs_of(t.name), custom=custom,
        )

    def second_person_refusal(self, obj: M, user, t) -> str | None:
        """Why `user` may not take the four-eyes transition `t` (publishing): they submitted or
        changed what it would approve. None when someone else did, or when ITSM_FOUR_EYES_PUBLISHING
        is off (a small team where the one reviewer also writes)."""
        if not (t.custom or {}).get("four_eyes") or not settings.ITSM_FOUR_EYES_PUBLISHING:
            return None
        if getattr(user, "pk", None) not in self.authors(obj):
            return None
        label = self.label(t.name).lower()
        return (f"Someone other than you must {label} {self.describe(obj)}: you sent it for review or changed it "
                f"since, and it needs a second person's approval.")

    def offered_and_withheld(self, obj: M, user) -> tuple[list[TransitionInfo], list[str]]:
        """The transitions `user` may take from the object's state now, in declared order, and the
        refusals behind the four-eyes ones they would otherwise be offered (for a page to say
        instead of a button): one pass, so the history is read once for both.

        Guards that depend on the transition's own inputs (a reason, resolution notes) are checked
        when it is submitted, so that the refusal can say what is missing; their buttons are offered.
        """
        state = getattr(obj, self.field_name)
        offered, withheld = [], []
        for name in self._declared:
            t = getattr(self.model, name)._django_fsm.get_transition(state)
            if t is None or not t.has_perm(obj, user):
                continue
            refusal = self.second_person_refusal(obj, user, t)
            if refusal:
                withheld.append(refusal)
            else:
                offered.append(self.info(t))
        return offered, withheld

    def withheld(self, obj: M, user) -> list[str]:
        """The refusals behind four-eyes transitions this user would otherwise be offered."""
        return self.offered_and_withheld(obj, user)[1]

    def offered(self, obj: M, user, *, include: Callable[[TransitionInfo], bool] | None = None) -> list[TransitionInfo]:
        """The transitions `user` may take from the object's state now, in declared order."""
        return [info for info in self.offered_and_withheld(obj, user)[0] if include is None or include(info)]

    def state_label(self, obj: M) -> str:
        return getattr(obj, f"get_{self.field_name}_display")().lower()

    def refusal(self, obj: M, name: str) -> str:
        """Why transition `name` cannot be taken from the object as it stands."""
        t = getattr(self.model, name)._django_fsm.get_transition(getattr(obj, self.field_name))
        label = self.label(name)
        if t is None:
            return f"“{label}” is not possible: {self.describe(obj)} is {self.state_label(obj)}."
        failed = []
        for condition in t.conditions:
            if not condition(obj):
                failed.append(self.explain(obj, condition) or getattr(condition, "refusal", condition.__name__))
        return " ".join(failed) or f"“{label}” is not possible now."

    # --- running ----------------------------------------------------------------------------------
    def save(self, obj: M, *, user, reason: str, update_fields: Iterable[str] | None = None) -> None:
        self.before_save(obj)
        locked_save(obj, user=user, reason=reason, describe=self.describe, update_fields=update_fields)

    def run(self, target: M | int, *, user, name: str, reason: str = "", **inputs) -> M:
        """Take transition `name` as `user`. Returns the saved, fresh object.

        `target` is an instance (as the person saw it: a copy whose state has moved on since is
        refused) or a primary key. Raises `WorkflowError` with the sentence to show.
        """
        declared = self._declared
        if name not in declared:
            raise WorkflowError(f"“{name}” is not a transition of {self.model._meta.verbose_name_plural}.")
        unknown = set(inputs) - set(self.inputs_of(name))
        if unknown:
            raise WorkflowError(f"“{self.label(name)}” does not take {', '.join(sorted(unknown))}.")
        reason = (reason or "").strip()
        label = self.label(name)
        pk = target.pk if isinstance(target, models.Model) else target
        with transaction.atomic():
            locked = self.model._default_manager.select_for_update().get(pk=pk)
            state = getattr(locked, self.field_name)
            if isinstance(target, models.Model) and getattr(target, self.field_name) != state:
                raise WorkflowError(
                    f"{self.describe(locked)} is now {self.state_label(locked)}; "
                    "someone else changed it since you loaded it."
                )
            self.precheck(locked, user=user, name=name)
            t = getattr(self.model, name)._django_fsm.get_transition(state)
            if t is None:
                raise WorkflowError(self.refusal(locked, name))
            if not t.has_perm(locked, user):
                raise WorkflowError(f"You may not “{label.lower()}” {self.describe(locked)}.")
            second_person = self.second_person_refusal(locked, user, t)
            if second_person:
                raise WorkflowError(second_person)
            needs_reason = (t.custom or {}).get("needs_reason")
            if needs_reason and not reason:
                # `needs_reason` may be the sentence itself, where the generic one says too little.
                raise WorkflowError(needs_reason if isinstance(needs_reason, str) else f"Give a reason to “{label.lower()}”.")
            self.prepare(locked, user=user, name=name, reason=reason, inputs=inputs)
            try:
                getattr(locked, name)()
            except TransitionNotAllowed:
                raise WorkflowError(self.refusal(locked, name)) from None
            self.save(locked, user=user, reason=f"{label}: {reason}" if reason else label)
            self.after_save(locked, user=user, name=name, from_state=state, reason=reason)
        return locked
