"""Explicit state machines: the states, the table of allowed steps, and the guards that some steps need.

A lifecycle (an application, a call, an assessment, a diagnosis project) is one ``Machine``: anything not in its
table is refused with ``TransitionNotAllowed``, which names the actions allowed from the current state (the edge
answers 409 with them). States and actions are strings or ``StrEnum`` members; a ``StrEnum`` member and its value
are the same key, so callers may pass either. Pure Python, no framework.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from .errors import TransitionNotAllowed

S = TypeVar("S", bound=str)
A = TypeVar("A", bound=str)

# A guard checks what a step needs besides the state (a reason, an attachment) and raises ``DomainError`` if missing.
Guard = Callable[..., None]


@dataclass(frozen=True)
class Machine(Generic[S, A]):
    entity_en: str  # "application", "diagnosis project": the English messages name it
    entity_zh: str  # "申报", "诊断项目"
    states: Collection[S]
    transitions: Mapping[tuple[S, A], S]
    state_labels: Mapping[S, str] = field(default_factory=dict)  # Chinese names; a state without one shows its value
    action_labels: Mapping[A, str] = field(default_factory=dict)
    guards: Mapping[str, Guard] = field(default_factory=dict)  # by action: context passed to ``step`` as keywords

    def __post_init__(self) -> None:
        strays = {s for (source, _), target in self.transitions.items() for s in (source, target) if s not in self.states}
        if strays:
            raise ValueError(f"{self.entity_en} machine: transitions name unknown states {sorted(strays)}")

    def allowed(self, state: str) -> list[A]:
        """The actions allowed from ``state``, in the order of the table."""
        return [action for (source, action) in self.transitions if source == state]

    def step(self, state: str, action: str, **context: Any) -> S:
        """The state after ``action`` from ``state``; refused steps raise ``TransitionNotAllowed``, a failed guard
        its own ``DomainError``."""
        # A StrEnum member hashes and compares as its value, so plain strings find enum keys.
        target = cast(Mapping[tuple[str, str], S], self.transitions).get((state, action))
        if target is None:
            raise self.refusal(state, action)
        guard = self.guards.get(action)
        if guard is not None:
            guard(**context)
        return target

    def refusal(self, state: str, action: str) -> TransitionNotAllowed:
        allowed = self.allowed(state)
        label = cast(Mapping[str, str], self.state_labels).get(state, str(state))
        allowed_zh = "、".join(self.action_labels.get(a, str(a)) for a in allowed) or "无"
        allowed_en = ", ".join(str(a) for a in allowed) or "none"
        return TransitionNotAllowed(
            state, action, allowed,
            message_zh=f"{self.entity_zh}当前状态为“{label}”，不能执行该操作；可执行的操作：{allowed_zh}",
            message_en=f"action {str(action)!r} is not allowed on a {self.entity_en} that is {str(state)!r}; allowed: {allowed_en}",
        )
