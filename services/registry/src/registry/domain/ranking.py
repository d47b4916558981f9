"""The cut (遴选): rank the reviewed applications of a call and apply its cut rule.

* Cut rule: a pass mark (total ≥ mark), a quota (the best N), or both (the best N among those at or above the mark).
* Ranking: by final score, then the tie-break keys (the per-criterion means in rubric order), both descending.
* A group still equal after every key that straddles the quota line is ``tie_at_cut`` as a whole: no arbitrary order
  picks the winners. The panel chair or a city officer settles it by recording a tie-break — an explicit order of
  exactly that group, with a written reason (per-criterion means, a further vote of the panel…) — and
  ``rank_and_cut(..., tie_order=...)`` then ranks the group in that order and cuts it at the quota. The recorded
  order touches nothing outside the tied group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sihua_shared.errors import DomainError

from .numbers import HUNDRED, exact_decimal


@dataclass(frozen=True, slots=True)
class CutRule:
    """Pass mark (selected only if final score ≥ mark), quota (at most N selected), or both."""

    pass_mark: Decimal | None = None
    quota: int | None = None

    def __post_init__(self) -> None:
        if self.pass_mark is None and self.quota is None:
            raise DomainError(
                "cut_rule_empty", "须设定合格分数线或入选名额（或两者）", "a cut rule needs a pass mark, a quota, or both",
                field="cut_rule",
            )
        if self.pass_mark is not None and not Decimal(0) <= exact_decimal(self.pass_mark, "cut_rule.pass_mark") <= HUNDRED:
            raise DomainError(
                "pass_mark_out_of_range", "合格分数线应在0至100之间", "the pass mark is within 0..100", field="cut_rule.pass_mark",
            )
        if self.quota is not None and (isinstance(self.quota, bool) or not isinstance(self.quota, int) or self.quota < 1):
            raise DomainError("quota_invalid", "入选名额须为正整数", "the quota is a positive integer", field="cut_rule.quota")


class CutOutcome(StrEnum):
    SELECTED = "selected"  # proposed for selection (goes to publicity)
    BELOW_PASS_MARK = "below_pass_mark"
    OVER_QUOTA = "over_quota"
    TIE_AT_CUT = "tie_at_cut"  # tied across the quota line even after the keys, and no tie-break recorded

    @property
    def label_zh(self) -> str:
        labels = {"selected": "拟入选", "below_pass_mark": "未达合格分数线", "over_quota": "超出入选名额", "tie_at_cut": "同分待定"}
        return labels[self.value]


@dataclass(frozen=True, slots=True)
class ScoredApplication:
    """An application's final score and its tie-break keys (higher is better, compared in order)."""

    application_id: str
    final_score: Decimal
    tie_break: tuple[Decimal, ...] = ()


@dataclass(frozen=True, slots=True)
class RankedApplication:
    application_id: str
    final_score: Decimal
    rank: int  # competition ranking (1, 2, 2, 4) over (final score, tie-breaks); a recorded tie order makes it 2, 3
    outcome: CutOutcome
    tie_break: tuple[Decimal, ...] = field(default=())
    by_tie_break: bool = False  # placed by the recorded order of a tie at the quota line


def tie_order_errors(tied: Sequence[str], order: Sequence[str], field: str = "order") -> list[DomainError]:
    """What is wrong with ``order`` as an order of exactly the ``tied`` applications (empty when it is one)."""
    errors: list[DomainError] = []
    seen: set[str] = set()
    for i, application_id in enumerate(order):
        if application_id in seen:
            errors.append(DomainError("tie_order_duplicate", "同一申报在排序中出现多次", f"{application_id} is listed twice",
                                      field=f"{field}[{i}]"))
        elif application_id not in tied:
            errors.append(DomainError("tie_order_not_tied", "该申报不在入选名额线上的同分申报之中",
                                      f"{application_id} is not among the applications tied at the quota line",
                                      field=f"{field}[{i}]", details={"tied": list(tied)}))
        seen.add(application_id)
    missing = [a for a in tied if a not in seen]
    if missing:
        errors.append(DomainError("tie_order_incomplete", f"排序须包含全部{len(tied)}份同分申报，缺少{len(missing)}份",
                                  f"the order must name every tied application; missing {missing}",
                                  field=field, details={"missing": missing, "tied": list(tied)}))
    return errors


def rank_and_cut(results: Iterable[ScoredApplication], rule: CutRule, *, tie_order: Sequence[str] = ()) -> list[RankedApplication]:
    """Rank by final score, then tie-break keys (both descending), and apply the cut rule.

    * Applications below the pass mark are ``below_pass_mark`` whatever their rank.
    * Of the rest, an application is ``selected`` when it and everyone tied with it fit in the quota. A tie group
      that straddles the quota line is ``tie_at_cut`` as a whole — neither selected nor dropped by an arbitrary order.
    * ``tie_order`` is the recorded order of that group (exactly its members, or ``DomainError``): the group is ranked
      in that order (distinct ranks) and as many as the quota leaves room for are selected, the rest ``over_quota``.
    * Equal applications share a rank; the returned order is by rank, then application id (for a stable list).
    """
    items = list(results)
    ids = [r.application_id for r in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DomainError(
            "duplicate_application", "同一申报出现多次", f"applications listed more than once: {duplicates}", field="results",
        )
    for i, item in enumerate(items):
        exact_decimal(item.final_score, f"results[{i}].final_score")

    def key(r: ScoredApplication) -> tuple[Decimal, ...]:
        return (r.final_score, *r.tie_break)

    ordered = sorted(items, key=lambda r: r.application_id)
    ordered.sort(key=key, reverse=True)

    ranks: dict[str, int] = {}
    for position, r in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[r.application_id] = ranks[previous.application_id] if previous and key(previous) == key(r) else position

    passing = [r for r in ordered if rule.pass_mark is None or r.final_score >= rule.pass_mark]
    outcomes: dict[str, CutOutcome] = {r.application_id: CutOutcome.BELOW_PASS_MARK for r in ordered}
    settled: set[str] = set()
    better = 0  # passing applications strictly ahead of the current tie group
    index = 0
    while index < len(passing):
        group_key = key(passing[index])
        group = [r.application_id for r in passing[index:] if key(r) == group_key]
        if rule.quota is None or better + len(group) <= rule.quota:
            outcomes.update(dict.fromkeys(group, CutOutcome.SELECTED))
        elif better < rule.quota and tie_order:
            errors = tie_order_errors(group, tie_order, "tie_order")
            if errors:
                raise errors[0]
            first = ranks[group[0]]
            for place, application_id in enumerate(tie_order):
                ranks[application_id] = first + place
                outcomes[application_id] = CutOutcome.SELECTED if better + place < rule.quota else CutOutcome.OVER_QUOTA
            settled.update(group)
        elif better < rule.quota:
            outcomes.update(dict.fromkeys(group, CutOutcome.TIE_AT_CUT))
        else:
            outcomes.update(dict.fromkeys(group, CutOutcome.OVER_QUOTA))
        better += len(group)
        index += len(group)
    if tie_order and not settled:
        raise DomainError("no_tie_at_cut", "入选名额线上没有同分申报，无需排序", "no applications tie at the quota line",
                          field="tie_order")

    ordered.sort(key=lambda r: (ranks[r.application_id], r.application_id))
    return [
        RankedApplication(r.application_id, r.final_score, ranks[r.application_id], outcomes[r.application_id], r.tie_break,
                          r.application_id in settled)
        for r in ordered
    ]


def tied_at_cut(ranked: Iterable[RankedApplication]) -> list[str]:
    """The applications tied across the quota line (in ranked order), empty when the cut is clear."""
    return [r.application_id for r in ranked if r.outcome is CutOutcome.TIE_AT_CUT]
