"""The application state machine: 征集 → 形式审查 → 专家评审 → 公示 → 入选/未入选 (S0 二(一)(二))."""

from __future__ import annotations

import pytest

from registry.domain.call_application_state import (
    DECIDED_STATES,
    TRANSITIONS,
    ApplicationAction,
    ApplicationState,
    allowed_actions,
    transition,
)
from sihua_shared.errors import DomainError, TransitionNotAllowed

S, A = ApplicationState, ApplicationAction

PATHS = [
    (
        "S0 二(二) selected after publicity",
        [A.SUBMIT, A.START_FORMAL_CHECK, A.PASS_FORMAL_CHECK, A.SHORTLIST, A.SELECT],
        S.SELECTED,
    ),
    (
        "returned for revision, resubmitted, selected",
        [A.SUBMIT, A.START_FORMAL_CHECK, A.RETURN_FOR_REVISION, A.RESUBMIT, A.START_FORMAL_CHECK, A.PASS_FORMAL_CHECK,
         A.SHORTLIST, A.SELECT],
        S.SELECTED,
    ),
    ("below the cut after review", [A.SUBMIT, A.START_FORMAL_CHECK, A.PASS_FORMAL_CHECK, A.REJECT], S.REJECTED),
    (
        "objection upheld during publicity",
        [A.SUBMIT, A.START_FORMAL_CHECK, A.PASS_FORMAL_CHECK, A.SHORTLIST, A.REJECT],
        S.REJECTED,
    ),
    ("withdrawn as a draft", [A.WITHDRAW], S.WITHDRAWN),
    ("withdrawn while returned", [A.SUBMIT, A.START_FORMAL_CHECK, A.RETURN_FOR_REVISION, A.WITHDRAW], S.WITHDRAWN),
    (
        "withdrawn during publicity (not yet decided)",
        [A.SUBMIT, A.START_FORMAL_CHECK, A.PASS_FORMAL_CHECK, A.SHORTLIST, A.WITHDRAW],
        S.WITHDRAWN,
    ),
]


@pytest.mark.parametrize(("case", "actions", "final"), PATHS, ids=[p[0] for p in PATHS])
def test_paths(case: str, actions: list[ApplicationAction], final: ApplicationState) -> None:
    state = S.DRAFT
    for action in actions:
        state = transition(state, action, reasons=["缺少近三年财务审计报告"])
    assert state is final


def test_return_for_revision_needs_reasons() -> None:
    for reasons in ([], ["  "]):
        with pytest.raises(DomainError) as info:
            transition(S.FORMAL_CHECK, A.RETURN_FOR_REVISION, reasons=reasons)
        assert info.value.code == "reasons_required"
    assert transition(S.FORMAL_CHECK, A.RETURN_FOR_REVISION, reasons=["营业执照复印件不清晰"]) is S.RETURNED


ALLOWED = [
    (S.DRAFT, [A.SUBMIT, A.WITHDRAW]),
    (S.SUBMITTED, [A.START_FORMAL_CHECK, A.WITHDRAW]),
    (S.FORMAL_CHECK, [A.PASS_FORMAL_CHECK, A.RETURN_FOR_REVISION, A.WITHDRAW]),
    (S.RETURNED, [A.RESUBMIT, A.WITHDRAW]),
    (S.EXPERT_REVIEW, [A.SHORTLIST, A.REJECT, A.WITHDRAW]),
    (S.PUBLICITY, [A.SELECT, A.REJECT, A.WITHDRAW]),
    (S.SELECTED, []),
    (S.REJECTED, []),
    (S.WITHDRAWN, []),
]


@pytest.mark.parametrize(("state", "allowed"), ALLOWED, ids=[a[0].value for a in ALLOWED])
def test_allowed_actions(state: ApplicationState, allowed: list[ApplicationAction]) -> None:
    assert sorted(allowed_actions(state)) == sorted(allowed)


ALL_PAIRS = [(s, a) for s in S for a in A]


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s.value}-{a.value}" for s, a in ALL_PAIRS])
def test_every_pair_is_either_in_the_table_or_refused(state: ApplicationState, action: ApplicationAction) -> None:
    if (state, action) in TRANSITIONS:
        assert transition(state, action, reasons=["理由"]) is TRANSITIONS[(state, action)]
        return
    with pytest.raises(TransitionNotAllowed) as info:
        transition(state, action)
    error = info.value
    assert error.code == "transition_not_allowed"
    assert error.state is state and error.action == action.value
    assert error.allowed == allowed_actions(state)
    assert error.details["allowed"] == [a.value for a in allowed_actions(state)]
    assert state.label_zh in error.message_zh


def test_decided_is_final_and_withdrawal_is_open_until_then() -> None:
    assert {S.SELECTED, S.REJECTED, S.WITHDRAWN} == DECIDED_STATES
    for state in S:
        assert ((state, A.WITHDRAW) in TRANSITIONS) is (not state.is_decided)
        if state.is_decided:
            assert allowed_actions(state) == []


def test_strings_are_accepted_and_unknown_actions_refused() -> None:
    assert transition("draft", "submit") is S.SUBMITTED
    with pytest.raises(TransitionNotAllowed) as info:
        transition("draft", "approve")
    assert info.value.action == "approve"
    assert info.value.allowed == [A.SUBMIT, A.WITHDRAW]


def test_every_state_and_action_has_a_chinese_label() -> None:
    assert all(s.label_zh for s in S)
    assert all(a.label_zh for a in A)
