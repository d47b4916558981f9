"""The transformation project's lifecycle and the price corridor (pure)."""

from __future__ import annotations

import pytest

from funding.domain.projects import MACHINE, Line, priced
from sihua_shared.errors import DomainError, TransitionNotAllowed


def test_the_lifecycle_with_its_guards() -> None:
    state = MACHINE.step("draft", "submit")
    with pytest.raises(DomainError):
        MACHINE.step(state, "approve_investment", approved_investment_fen=2, declared_investment_fen=1)
    state = MACHINE.step(state, "approve_investment", approved_investment_fen=1, declared_investment_fen=1)
    with pytest.raises(TransitionNotAllowed):
        MACHINE.step(state, "complete", reports=1)
    state = MACHINE.step(MACHINE.step(state, "report"), "report")
    with pytest.raises(DomainError):
        MACHINE.step(state, "complete", reports=0)
    state = MACHINE.step(MACHINE.step(state, "complete", reports=2), "apply_acceptance")
    assert (MACHINE.step(state, "accept"), MACHINE.step(state, "fail")) == ("accepted", "failed")
    assert MACHINE.allowed("accepted") == [] and MACHINE.allowed("failed") == []


def test_a_line_above_its_package_price_is_flagged_and_an_unknown_package_is_a_problem() -> None:
    catalogue = {("p", 1): {"basic": 100, "pro": 500}}
    lines, problems = priced([Line("p", 1, "basic", 2, 100), Line("p", 1, "pro", 1, 501), Line("p", 2, "basic", 1, 1),
                              Line("p", 1, "gold", 1, 1)], catalogue)
    assert [(line["amount_fen"], line["above_catalogue_price"]) for line in lines] == [(200, False), (501, True)]
    assert problems == ["body.lines.2", "body.lines.3"]
