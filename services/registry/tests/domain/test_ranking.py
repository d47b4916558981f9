"""The recorded tie-break at the quota line (S0 二(二): the panel settles what the scores leave equal): the recorded order
ranks exactly the tied group and nothing else; an order that does not name exactly that group is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.domain.ranking import CutOutcome, CutRule, ScoredApplication, rank_and_cut, tie_order_errors, tied_at_cut
from sihua_shared.errors import DomainError

SEL, BELOW, OVER, TIE = CutOutcome.SELECTED, CutOutcome.BELOW_PASS_MARK, CutOutcome.OVER_QUOTA, CutOutcome.TIE_AT_CUT


def _apps(*scores: str) -> list[ScoredApplication]:
    return [ScoredApplication(f"app-{i}", Decimal(s)) for i, s in enumerate(scores)]


SETTLED = [
    ("2nd and 3rd tie for a quota of 2: the recorded order picks the 2nd", CutRule(quota=2), _apps("90", "80", "80", "70"),
     ["app-2", "app-1"],
     [("app-0", 1, SEL, False), ("app-2", 2, SEL, True), ("app-1", 3, OVER, True), ("app-3", 4, OVER, False)]),
    ("three tie for the last two places", CutRule(quota=3), _apps("95", "80", "80", "80", "60"),
     ["app-3", "app-1", "app-2"],
     [("app-0", 1, SEL, False), ("app-3", 2, SEL, True), ("app-1", 3, SEL, True), ("app-2", 4, OVER, True),
      ("app-4", 5, OVER, False)]),
    ("a tie inside the quota elsewhere keeps its shared rank", CutRule(quota=3), _apps("90", "90", "70", "70", "50"),
     ["app-3", "app-2"],
     [("app-0", 1, SEL, False), ("app-1", 1, SEL, False), ("app-3", 3, SEL, True), ("app-2", 4, OVER, True),
      ("app-4", 5, OVER, False)]),
    ("with a pass mark: those below stay below", CutRule(pass_mark=Decimal(60), quota=1), _apps("80", "80", "50"),
     ["app-1", "app-0"],
     [("app-1", 1, SEL, True), ("app-0", 2, OVER, True), ("app-2", 3, BELOW, False)]),
]


@pytest.mark.parametrize(("case", "rule", "apps", "order", "expected"), SETTLED, ids=[c[0] for c in SETTLED])
def test_a_recorded_order_settles_only_the_tied_group(
    case: str, rule: CutRule, apps: list[ScoredApplication], order: list[str], expected: list[tuple[str, int, CutOutcome, bool]],
) -> None:
    assert tied_at_cut(rank_and_cut(apps, rule))  # without it, the cut is stuck
    ranked = rank_and_cut(apps, rule, tie_order=order)
    assert [(r.application_id, r.rank, r.outcome, r.by_tie_break) for r in ranked] == expected
    assert rank_and_cut(list(reversed(apps)), rule, tie_order=order) == ranked
    assert not tied_at_cut(ranked)


REFUSED = [
    ("one of the two tied only", ["app-1"], "tie_order_incomplete", "tie_order"),
    ("an application that is not tied", ["app-1", "app-2", "app-0"], "tie_order_not_tied", "tie_order[2]"),
    ("the same application twice", ["app-1", "app-1", "app-2"], "tie_order_duplicate", "tie_order[1]"),
    ("another application instead of a tied one", ["app-1", "app-3"], "tie_order_not_tied", "tie_order[1]"),
]


@pytest.mark.parametrize(("case", "order", "code", "field"), REFUSED, ids=[c[0] for c in REFUSED])
def test_an_order_that_does_not_name_exactly_the_tied_group_is_refused(case: str, order: list[str], code: str, field: str) -> None:
    with pytest.raises(DomainError) as info:
        rank_and_cut(_apps("90", "80", "80", "70"), CutRule(quota=2), tie_order=order)
    assert (info.value.code, info.value.field) == (code, field)


def test_every_fault_of_an_order_is_named() -> None:
    errors = tie_order_errors(["a", "b", "c"], ["a", "a", "x"])
    assert [(e.code, e.field) for e in errors] == [("tie_order_duplicate", "order[1]"), ("tie_order_not_tied", "order[2]"),
                                                   ("tie_order_incomplete", "order")]
    assert errors[-1].details["missing"] == ["b", "c"]
    assert tie_order_errors(["a", "b"], ["b", "a"]) == []


def test_an_order_without_a_tie_at_the_line_is_refused() -> None:
    for apps in (_apps("90", "80", "70"), _apps("80", "80", "70")):  # clear cut; tie inside the quota
        with pytest.raises(DomainError) as info:
            rank_and_cut(apps, CutRule(quota=2), tie_order=["app-0", "app-1"])
        assert (info.value.code, info.value.field) == ("no_tie_at_cut", "tie_order")
