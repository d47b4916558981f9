"""Expert review (遴选, S0 二(二): 公平、公正、公开): who reviews an application, and how the scores combine.

**Assignment** — the conflict-aware, reproducible panel draw — lives in the shared library
(``sihua_shared.panel``: ``ConflictGraph``, ``Expert``, ``ApplicationRef``, ``FieldMatching``, ``ExclusionReason``,
``assign_panel``, ``replace_declined``, ``panel_seed``), so that catalog's admission review draws with the same
algorithm. Its docstring says how the draw works.

**Scores** are per criterion, each within 0..max points of the rubric; an expert's total is the rubric's weighted
total out of 100 (see ``calls.Rubric``), rounded half-up to 0.01. The application's **final score** is the mean of
the experts' totals, dropping the single highest and the single lowest when five or more experts scored, rounded
half-up to 0.01 (exact arithmetic throughout, no floats). The application is flagged for the panel chair when
the experts disagree: max − min of *all* totals (before dropping) greater than the call's spread limit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sihua_shared.errors import DomainError, Kind

from .calls import Rubric
from .numbers import exact_decimal, round_hundredths
from .ranking import ScoredApplication

TRIM_FROM_EXPERTS = 5


# ---- scoring and aggregation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpertScore:
    expert_id: str
    scores: Mapping[str, Decimal | int]  # criterion code → points (exact: int or Decimal, ≤ 2 decimals)


@dataclass(frozen=True, slots=True)
class ExpertTotal:
    expert_id: str
    total: Decimal  # out of 100, 0.01
    counted: bool  # False for the dropped highest/lowest


@dataclass(frozen=True, slots=True)
class Aggregate:
    """The panel's result for one application."""

    application_id: str
    totals: tuple[ExpertTotal, ...]  # in the order given
    final_score: Decimal
    criterion_means: tuple[Decimal, ...]  # weighted points per criterion (rubric order), mean over counted experts
    spread: Decimal  # max − min of all totals
    needs_chair_review: bool  # spread > the call's limit
    dropped_high: str | None = None
    dropped_low: str | None = None

    def scored(self) -> ScoredApplication:
        """For ``rank_and_cut``: ties are broken by the criteria in rubric order."""
        return ScoredApplication(self.application_id, self.final_score, self.criterion_means)


def aggregate_scores(
    application_id: str,
    rubric: Rubric,
    scores: Sequence[ExpertScore],
    *,
    spread_limit: Decimal,
    panel_members: Collection[str] | None = None,
    trim_from: int = TRIM_FROM_EXPERTS,
) -> Aggregate:
    """Combine the experts' scores; when ``panel_members`` is given, exactly those experts must have scored."""
    if trim_from < 3:
        raise ValueError("trimming the highest and the lowest needs at least three scores")
    limit = exact_decimal(spread_limit, "spread_limit")
    if limit < 0:
        raise DomainError("spread_limit_invalid", "分差阈值不能为负数", "the spread limit cannot be negative", field="spread_limit")
    if not scores:
        raise DomainError("no_scores", "尚无专家评分", "no expert has scored this application", field="scores")
    ids = [s.expert_id for s in scores]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DomainError("duplicate_expert_score", "同一专家重复评分", f"experts scored more than once: {duplicates}", field="scores")
    if panel_members is not None:
        unassigned = sorted(set(ids) - set(panel_members))
        if unassigned:
            raise DomainError(
                "score_from_unassigned_expert", "存在非本评审组专家的评分", f"scores from experts not on the panel: {unassigned}",
                field="scores", details={"experts": unassigned},
            )
        missing = sorted(set(panel_members) - set(ids))
        if missing:
            raise DomainError(
                "scores_incomplete", f"尚有{len(missing)}名专家未评分", f"experts yet to score: {missing}",
                field="scores", kind=Kind.CONFLICT, details={"experts": missing},
            )

    totals = {s.expert_id: rubric.total(s.scores, field=f"scores[{s.expert_id}]") for s in scores}
    ranked = sorted(ids, key=lambda i: (totals[i], i))
    dropped_low = dropped_high = None
    if len(ids) >= trim_from:
        dropped_low, dropped_high = ranked[0], ranked[-1]
    counted = [i for i in ids if i not in (dropped_low, dropped_high)]

    final = round_hundredths(sum((Fraction(totals[i]) for i in counted), start=Fraction(0)) / len(counted))
    by_expert = {s.expert_id: rubric.check_scores(s.scores) for s in scores}
    means = tuple(
        round_hundredths(
            sum((Fraction(by_expert[i][c.code]) * c.weight / Fraction(c.max_points) for i in counted), start=Fraction(0))
            / len(counted)
        )
        for c in rubric.criteria
    )
    spread = max(totals.values()) - min(totals.values())
    return Aggregate(
        application_id=application_id,
        totals=tuple(ExpertTotal(i, totals[i], i in counted) for i in ids),
        final_score=final,
        criterion_means=means,
        spread=spread,
        needs_chair_review=spread > limit,
        dropped_high=dropped_high,
        dropped_low=dropped_low,
    )
