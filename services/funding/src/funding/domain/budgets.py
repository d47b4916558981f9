"""Budgets (资金池): the split of one award over the fund sources that share it. Pure.

The finance side issues, per measure and year, each fund source's share in basis points (1/10000); the shares of
the budgets an award draws on add up to 10000. Each source's part is the award times its share, floored to the
fen; the fen left over by flooring goes to the source with the largest share (the first one on a tie, in the
order given), so the parts add up to the award exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

FUND_SOURCES = ("central", "provincial", "city", "district")
FUND_SOURCE_ZH = {"central": "中央资金", "provincial": "省级资金", "city": "市级资金", "district": "区级资金"}
WHOLE_BP = 10_000


@dataclass(frozen=True)
class Slot:
    budget_id: str
    share_bp: int
    remaining_fen: int


class SplitIncomplete(ValueError):
    """The shares of the budgets do not add up to the whole."""


def split(amount_fen: int, slots: list[Slot]) -> list[tuple[Slot, int]]:
    """Each budget's part of ``amount_fen``; refuses shares that do not add up to 10000."""
    if sum(s.share_bp for s in slots) != WHOLE_BP:
        raise SplitIncomplete(f"shares add up to {sum(s.share_bp for s in slots)} bp, not {WHOLE_BP}")
    parts = [(s, amount_fen * s.share_bp // WHOLE_BP) for s in slots]
    left = amount_fen - sum(p for _, p in parts)
    largest = max(range(len(slots)), key=lambda n: (slots[n].share_bp, -n))
    return [(s, p + (left if n == largest else 0)) for n, (s, p) in enumerate(parts)]


def short(parts: list[tuple[Slot, int]]) -> list[tuple[Slot, int]]:
    """The budgets whose remaining amount does not cover their part."""
    return [(s, p) for s, p in parts if p > s.remaining_fen]


def take_back(amount_fen: int, held: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """What each budget gives up of ``amount_fen`` in proportion to what it holds for the award (consume or
    release), floored, the remainder taken in order from those still holding; never more than it holds."""
    total = sum(h for _, h in held)
    if amount_fen > total:
        raise ValueError("more than the budgets hold for the award")
    parts = [(b, amount_fen * h // total if total else 0) for b, h in held]
    left = amount_fen - sum(p for _, p in parts)
    out = []
    for (b, h), (_, p) in zip(held, parts, strict=True):
        extra = min(left, h - p)
        left -= extra
        out.append((b, p + extra))
    return [(b, p) for b, p in out if p > 0]
