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

from sihua_shared.errors import DomainError
from sihua_shared.statemachine import Machine


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


def _reasons_given(*, reasons: Sequence[str] = (), **_: object) -> None:
    """``return_for_revision`` needs at least one non-blank reason: the applicant must be told what to fix."""
    if not [r for r in reasons if r.strip()]:
        raise DomainError(
            "reasons_required", "退回补正须写明理由", "returning an application for revision needs at least one reason",
            field="reasons",
        )


MACHINE: Machine[ApplicationState, ApplicationAction] = Machine(
    "application", "申报", tuple(S), TRANSITIONS, _STATE_LABELS, _ACTION_LABELS,
    guards={A.RETURN_FOR_REVISION: _reasons_given},
)


def allowed_actions(state: ApplicationState | str) -> list[ApplicationAction]:
    """The actions allowed from ``state``, in declaration order."""
    return MACHINE.allowed(ApplicationState(state))


def transition(
    state: ApplicationState | str,
    action: ApplicationAction | str,
    *,
    reasons: Sequence[str] = (),
) -> ApplicationState:
    """The state after ``action``; raises ``TransitionNotAllowed`` (or ``DomainError`` for missing reasons)."""
    return MACHINE.step(ApplicationState(state), action, reasons=reasons)
