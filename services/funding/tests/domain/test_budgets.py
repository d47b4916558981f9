"""The split of an award over the fund sources that share it, and taking back in proportion (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funding.domain.budgets import Slot, SplitIncomplete, short, split, take_back


def test_split_floors_each_share_and_gives_the_fen_left_to_the_largest_share() -> None:
    slots = [Slot("city", 6_000, 10**9), Slot("district", 4_000, 10**9)]
    assert [(s.budget_id, p) for s, p in split(1_001, slots)] == [("city", 601), ("district", 400)]
    assert [(s.budget_id, p) for s, p in split(60 * 1_000_000, slots)] == [("city", 36_000_000), ("district", 24_000_000)]
    tie = [Slot("a", 5_000, 10), Slot("b", 5_000, 10)]
    assert [p for _, p in split(3, tie)] == [2, 1]


def test_shares_must_make_the_whole_and_a_short_budget_is_named() -> None:
    with pytest.raises(SplitIncomplete):
        split(100, [Slot("city", 6_000, 100)])
    parts = split(100, [Slot("city", 5_000, 49), Slot("district", 5_000, 100)])
    assert [(s.budget_id, p) for s, p in short(parts)] == [("city", 50)]


@given(st.integers(0, 10**13), st.lists(st.integers(1, 100), min_size=1, max_size=4))
def test_the_parts_add_up_to_the_award(amount: int, weights: list[int]) -> None:
    total = sum(weights)
    bps = [w * 10_000 // total for w in weights]
    bps[0] += 10_000 - sum(bps)
    if bps[0] <= 0:
        return
    parts = split(amount, [Slot(str(n), bp, 0) for n, bp in enumerate(bps)])
    assert sum(p for _, p in parts) == amount and all(p >= 0 for _, p in parts)


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=4), st.data())
def test_taking_back_never_takes_more_than_held_and_adds_up(held: list[int], data: st.DataObject) -> None:
    amount = data.draw(st.integers(0, sum(held)))
    parts = take_back(amount, [(str(n), h) for n, h in enumerate(held)])
    assert sum(p for _, p in parts) == amount
    assert all(p <= held[int(b)] for b, p in parts)
    with pytest.raises(ValueError):
        take_back(sum(held) + 1, [(str(n), h) for n, h in enumerate(held)])
