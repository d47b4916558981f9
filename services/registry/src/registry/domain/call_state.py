"""The life of a call (征集): draft → open → closed.

A draft is edited freely and seen by officials only; opening publishes it (S0 二(一): 面向社会公开征集); closing stops
intake. A year-round call (no ``closes_on``) stays open until an officer closes it. Results are published round by
round (``publicity``), independently of whether intake is still open.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import DomainError


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


class CallTransitionNotAllowed(DomainError):
    def __init__(self, state: CallState, action: str, allowed: list[CallAction]) -> None:
        allowed_zh = "、".join(a.label_zh for a in allowed) or "无"
        allowed_en = ", ".join(a.value for a in allowed) or "none"
        super().__init__(
            "transition_not_allowed",
            f"征集当前状态为“{state.label_zh}”，不能执行该操作；可执行的操作：{allowed_zh}",
            f"action {action!r} is not allowed on a call that is {state.value!r}; allowed: {allowed_en}",
            field="action",
            details={"state": state.value, "action": action, "allowed": [a.value for a in allowed]},
        )
        self.state = state
        self.allowed = allowed


def call_actions(state: CallState | str) -> list[CallAction]:
    current = CallState(state)
    return [action for (source, action) in CALL_TRANSITIONS if source is current]


def call_transition(state: CallState | str, action: CallAction | str) -> CallState:
    current = CallState(state)
    target = CALL_TRANSITIONS.get((current, CallAction(action)))
    if target is None:
        raise CallTransitionNotAllowed(current, str(action), call_actions(current))
    return target
