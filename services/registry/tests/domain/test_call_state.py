"""The life of a call (S0 二(一) 公开征集): draft → open → closed, and nothing else."""

from __future__ import annotations

import pytest

from registry.domain.call_state import CallState, call_actions, call_transition
from sihua_shared.errors import TransitionNotAllowed

ALLOWED = [("draft", "edit", "draft"), ("draft", "open", "open"), ("open", "close", "closed")]
REFUSED = [("draft", "close", ["edit", "open"]), ("open", "open", ["close"]), ("open", "edit", ["close"]),
           ("closed", "open", []), ("closed", "close", []), ("closed", "edit", [])]


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED)
def test_allowed_steps(state: str, action: str, target: str) -> None:
    assert call_transition(state, action) is CallState(target)


@pytest.mark.parametrize(("state", "action", "allowed"), REFUSED)
def test_refused_steps_name_the_allowed_ones(state: str, action: str, allowed: list[str]) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        call_transition(state, action)
    assert refused.value.details["allowed"] == allowed == [a.value for a in call_actions(state)]
    assert refused.value.message_zh and refused.value.message_en
