"""The life of a call (征集): draft → open → closed.

A draft is edited freely and seen by officials only; opening publishes it (S0 二(一): 面向社会公开征集); closing stops
intake. A year-round call (no ``closes_on``) stays open until an officer closes it. Results are published round by
round (``publicity``), independently of whether intake is still open.
"""

from __future__ import annotations

from enum import StrEnum

from sihua_shared.statemachine import Machine


class CallState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return {"draft": "草稿", "open": "征集中", "closed": "已截止"}[self.value]


class CallAction(StrEnum):
    EDIT = "edit"
    OPEN = "open"
    CLOSE = "close"

    @property
    def label_zh(self) -> str:
        return {"edit": "修改", "open": "发布征集", "close": "截止征集"}[self.value]


CALL_TRANSITIONS: dict[tuple[CallState, CallAction], CallState] = {
    (CallState.DRAFT, CallAction.EDIT): CallState.DRAFT,
    (CallState.DRAFT, CallAction.OPEN): CallState.OPEN,
    (CallState.OPEN, CallAction.CLOSE): CallState.CLOSED,
}


CALL_MACHINE: Machine[CallState, CallAction] = Machine(
    "call", "征集", tuple(CallState), CALL_TRANSITIONS,
    {s: s.label_zh for s in CallState}, {a: a.label_zh for a in CallAction},
)


def call_actions(state: CallState | str) -> list[CallAction]:
    return CALL_MACHINE.allowed(CallState(state))


def call_transition(state: CallState | str, action: CallAction | str) -> CallState:
    """The call's state after ``action``; raises ``TransitionNotAllowed`` naming the allowed actions."""
    return CALL_MACHINE.step(CallState(state), action)
