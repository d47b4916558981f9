"""The life of one application (申报) to a call: 征集 → 形式审查 → 专家评审 → 公示 → 入选/未入选 (S0 二(一)(二)).

::

    draft ──submit──▶ submitted ──start_formal_check──▶ formal_check ──pass_formal_check──▶ expert_review
                          ▲                                 │                                   │  │
                          └──────────resubmit── returned ◀──┘ return_for_revision (reasons)     │  └─reject──▶ rejected
                                                                                  shortlist ────┘
                                                            publicity ──select──▶ selected
                                                                │
                                                                └─reject (objection upheld)──▶ rejected

    withdraw: from every state that is not decided (draft … publicity) ──▶ withdrawn

Choices, and why:

* ``returned`` is a state of its own (退回补正) rather than a return to ``draft``: the applicant edits in it exactly
  as in a draft, but officials and the applicant can see that the formal check returned it and why.
* Applications below the cut after expert review are rejected without publicity (``expert_review → rejected``);
  publicity (公示) lists only the proposed selection, as the city's notices do. An objection upheld during
  publicity ends in ``rejected``; publicity closing without an upheld objection ends in ``selected``.
* Decided means ``selected``, ``rejected`` or ``withdrawn``; nothing leaves a decided state.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from .errors import DomainError


class ApplicationState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    FORMAL_CHECK = "formal_check"
    RETURNED = "returned"
    EXPERT_REVIEW = "expert_review"
    PUBLICITY = "publicity"
    SELECTED = "selected"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label_zh(self) -> str:
        return _STATE_LABELS[self]

    @property
    def is_decided(self) -> bool:
        return self in DECIDED_STATES


class ApplicationAction(StrEnum):
    SUBMIT = "submit"
    START_FORMAL_CHECK = "start_formal_check"
    PASS_FORMAL_CHECK = "pass_formal_check"
    RETURN_FOR_REVISION = "return_for_revision"
    RESUBMIT = "resubmit"
    SHORTLIST = "shortlist"
    SELECT = "select"
    REJECT = "reject"
    WITHDRAW = "withdraw"

    @property
    def label_zh(self) -> str:
        return _ACTION_LABELS[self]


S = ApplicationState
A = ApplicationAction

_STATE_LABELS: dict[ApplicationState, str] = {
    S.DRAFT: "草稿",
    S.SUBMITTED: "已提交",
    S.FORMAL_CHECK: "形式审查中",
    S.RETURNED: "退回补正",
    S.EXPERT_REVIEW: "专家评审中",
    S.PUBLICITY: "公示中",
    S.SELECTED: "已入选",
    S.REJECTED: "未入选",
    S.WITHDRAWN: "已撤回",
}
_ACTION_LABELS: dict[ApplicationAction, str] = {
    A.SUBMIT: "提交申报",
    A.START_FORMAL_CHECK: "开始形式审查",
    A.PASS_FORMAL_CHECK: "形式审查通过",
    A.RETURN_FOR_REVISION: "退回补正",
    A.RESUBMIT: "重新提交",
    A.SHORTLIST: "列入拟入选名单并公示",
    A.SELECT: "确定入选",
    A.REJECT: "不予入选",
    A.WITHDRAW: "撤回申报",
}

DECIDED_STATES: frozenset[ApplicationState] = frozenset({S.SELECTED, S.REJECTED, S.WITHDRAWN})

# The whole machine. Anything not listed here is not allowed.
TRANSITIONS: dict[tuple[ApplicationState, ApplicationAction], ApplicationState] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.START_FORMAL_CHECK): S.FORMAL_CHECK,
    (S.FORMAL_CHECK, A.PASS_FORMAL_CHECK): S.EXPERT_REVIEW,
    (S.FORMAL_CHECK, A.RETURN_FOR_REVISION): S.RETURNED,
    (S.RETURNED, A.RESUBMIT): S.SUBMITTED,
    (S.EXPERT_REVIEW, A.SHORTLIST): S.PUBLICITY,
    (S.EXPERT_REVIEW, A.REJECT): S.REJECTED,
    (S.PUBLICITY, A.SELECT): S.SELECTED,
    (S.PUBLICITY, A.REJECT): S.REJECTED,
    **{(state, A.WITHDRAW): S.WITHDRAWN for state in S if state not in DECIDED_STATES},
}

# Actions the applicant takes; the others belong to officials (formal check, review, decision).
APPLICANT_ACTIONS: frozenset[ApplicationAction] = frozenset({A.SUBMIT, A.RESUBMIT, A.WITHDRAW})
# The applicant may change the application's content only in these states.
EDITABLE_STATES: frozenset[ApplicationState] = frozenset({S.DRAFT, S.RETURNED})


class TransitionNotAllowed(DomainError):
    """The action is not allowed from the current state; ``allowed`` lists the ones that are (HTTP 409)."""

    def __init__(self, state: ApplicationState, action: str, allowed: Sequence[ApplicationAction]) -> None:
        allowed_list = list(allowed)
        allowed_en = ", ".join(a.value for a in allowed_list) or "none"
        allowed_zh = "、".join(a.label_zh for a in allowed_list) or "无"
        super().__init__(
            "transition_not_allowed",
            f"申报当前状态为“{state.label_zh}”，不能执行该操作；可执行的操作：{allowed_zh}",
            f"action {action!r} is not allowed in state {state.value!r}; allowed: {allowed_en}",
            field="action",
            details={"state": state.value, "action": action, "allowed": [a.value for a in allowed_list]},
        )
        self.state = state
        self.action = action
        self.allowed = allowed_list


def allowed_actions(state: ApplicationState | str) -> list[ApplicationAction]:
    """The actions allowed from ``state``, in declaration order."""
    current = ApplicationState(state)
    return [action for (source, action) in TRANSITIONS if source is current]


def transition(
    state: ApplicationState | str,
    action: ApplicationAction | str,
    *,
    reasons: Sequence[str] = (),
) -> ApplicationState:
    """The state after ``action``; raises ``TransitionNotAllowed`` (or ``DomainError`` for missing reasons).

    ``return_for_revision`` needs at least one non-blank reason: the applicant must be told what to fix.
    """
    current = ApplicationState(state)
    try:
        act = ApplicationAction(action)
    except ValueError:
        raise TransitionNotAllowed(current, str(action), allowed_actions(current)) from None
    target = TRANSITIONS.get((current, act))
    if target is None:
        raise TransitionNotAllowed(current, act.value, allowed_actions(current))
    if act is A.RETURN_FOR_REVISION and not [r for r in reasons if r.strip()]:
        raise DomainError(
            "reasons_required", "退回补正须写明理由", "returning an application for revision needs at least one reason",
            field="reasons",
        )
    return target
