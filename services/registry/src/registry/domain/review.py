"""Expert review (遴选, S0 二(二): 公平、公正、公开): who reviews an application, and how the scores combine.

**Assignment** is random and reproducible. The pool of experts is put in a random order by
``random.Random(seed)`` (the seed is recorded with the assignment); the panel is the first *eligible* experts of
that order. Because the order is drawn over the whole pool, not over the eligible ones, an expert who declares a
conflict at assignment time (``declined``) is replaced by the next eligible expert in the same order and every
other member stays — re-running with the same seed, pool, relationships and declined set gives the same panel.
The chair is the first member in draw order who may chair.

Excluded from an application's panel:

* experts of the applicant's own organisation;
* experts of an organisation related to it by a declared relationship (shareholding, group membership, staff
  moving between them). Relationships are an undirected graph. **We take the transitive closure**: every
  organisation connected to the applicant through declared relationships, at any distance, is related — the
  conservative choice (a subsidiary of the applicant's shareholder is as conflicted as the shareholder). Pass
  ``transitive=False`` to ``ConflictGraph`` to exclude direct relations only;
* experts whose profile declares a conflict with the applicant or any organisation related to it;
* experts who declared a conflict when assigned (``declined``): they are replaced;
* with ``FieldMatching.REQUIRE``, experts sharing no field of expertise with the application
  (``PREFER`` puts matching experts first and fills with others; ``OFF`` ignores fields).

**Scores** are per criterion, each within 0..max points of the rubric; an expert's total is the rubric's weighted
total out of 100 (see ``calls.Rubric``), rounded half-up to 0.01. The application's **final score** is the mean of
the experts' totals, dropping the single highest and the single lowest when five or more experts scored, rounded
half-up to 0.01 (exact arithmetic throughout, no floats). The application is flagged for the panel chair when
the experts disagree: max − min of *all* totals (before dropping) greater than the call's spread limit.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from sihua_shared.errors import DomainError, Kind

from .calls import Rubric
from .numbers import exact_decimal, round_hundredths
from .ranking import ScoredApplication

TRIM_FROM_EXPERTS = 5


# ---- conflicts of interest ---------------------------------------------------------------------------------


class RelationshipKind(StrEnum):
    SHAREHOLDING = "shareholding"  # 股权关系
    GROUP_MEMBERSHIP = "group_membership"  # 同一集团
    STAFF_MOVE = "staff_move"  # 人员任职/流动


@dataclass(frozen=True, slots=True)
class Relationship:
    """A declared relationship between two organisations (direction does not matter)."""

    organisation_a: str
    organisation_b: str
    kind: RelationshipKind


class ConflictGraph:
    """Organisations and their declared relationships, as an undirected graph."""

    def __init__(self, relationships: Iterable[Relationship] = (), *, transitive: bool = True) -> None:
        self.transitive = transitive
        self._neighbours: dict[str, set[str]] = {}
        for r in relationships:
            if r.organisation_a == r.organisation_b:
                continue
            self._neighbours.setdefault(r.organisation_a, set()).add(r.organisation_b)
            self._neighbours.setdefault(r.organisation_b, set()).add(r.organisation_a)

    def related(self, organisation: str) -> frozenset[str]:
        """Organisations related to ``organisation`` (not including itself)."""
        if not self.transitive:
            return frozenset(self._neighbours.get(organisation, ()))
        seen = {organisation}
        frontier = [organisation]
        while frontier:
            current = frontier.pop()
            for other in self._neighbours.get(current, ()):
                if other not in seen:
                    seen.add(other)
                    frontier.append(other)
        seen.discard(organisation)
        return frozenset(seen)

    def conflicted(self, organisation_a: str, organisation_b: str) -> bool:
        return organisation_a == organisation_b or organisation_b in self.related(organisation_a)


# ---- assignment -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expert:
    expert_id: str
    organisation_id: str
    fields: frozenset[str] = frozenset()
    declared_conflicts: frozenset[str] = frozenset()  # organisation ids the expert declares a conflict with
    can_chair: bool = True


@dataclass(frozen=True, slots=True)
class ApplicationRef:
    """What assignment needs to know about an application."""

    application_id: str
    organisation_id: str
    fields: frozenset[str] = frozenset()


class FieldMatching(StrEnum):
    OFF = "off"
    PREFER = "prefer"
    REQUIRE = "require"


class ExclusionReason(StrEnum):
    SAME_ORGANISATION = "same_organisation"
    RELATED_ORGANISATION = "related_organisation"
    DECLARED_CONFLICT = "declared_conflict"
    DECLINED = "declined"
    NO_FIELD_MATCH = "no_field_match"

    @property
    def label_zh(self) -> str:
        return {
            "same_organisation": "与申报单位为同一单位",
            "related_organisation": "与申报单位存在关联关系",
            "declared_conflict": "专家已申明利益冲突",
            "declined": "专家申明回避",
            "no_field_match": "专业领域不匹配",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Exclusion:
    expert_id: str
    reason: ExclusionReason


@dataclass(frozen=True, slots=True)
class Panel:
    """The experts reviewing one application, with everything needed to reproduce and explain the draw."""

    application_id: str
    seed: int
    members: tuple[str, ...]  # in draw order
    chair: str
    excluded: tuple[Exclusion, ...]  # in draw order
    draw_order: tuple[str, ...]  # the whole pool in the order the seed drew it
    declined: frozenset[str] = field(default=frozenset())


def panel_seed(call_seed: int, application_id: str) -> int:
    """A per-application seed derived from the call's recorded seed (stable across processes and versions)."""
    digest = hashlib.sha256(f"{call_seed}:{application_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _exclusion(
    expert: Expert, application: ApplicationRef, related: frozenset[str], declined: Collection[str], matching: FieldMatching,
) -> ExclusionReason | None:
    if expert.expert_id in declined:
        return ExclusionReason.DECLINED
    if expert.organisation_id == application.organisation_id:
        return ExclusionReason.SAME_ORGANISATION
    if expert.organisation_id in related:
        return ExclusionReason.RELATED_ORGANISATION
    if expert.declared_conflicts & (related | {application.organisation_id}):
        return ExclusionReason.DECLARED_CONFLICT
    if matching is FieldMatching.REQUIRE and application.fields and not (expert.fields & application.fields):
        return ExclusionReason.NO_FIELD_MATCH
    return None


def assign_panel(
    application: ApplicationRef,
    experts: Iterable[Expert],
    *,
    size: int,
    seed: int,
    graph: ConflictGraph | None = None,
    declined: Collection[str] = (),
    field_matching: FieldMatching = FieldMatching.OFF,
) -> Panel:
    """Draw the panel for ``application`` from ``experts``; raises ``not_enough_experts`` if too few are eligible."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DomainError("panel_size_invalid", "评审专家人数须为正整数", "panel size is a positive integer", field="size")
    pool = sorted(experts, key=lambda e: e.expert_id)
    ids = [e.expert_id for e in pool]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DomainError("duplicate_expert", "专家库中存在重复专家", f"experts listed more than once: {duplicates}", field="experts")
    rng = random.Random(seed)
    rng.shuffle(pool)

    related = (graph or ConflictGraph()).related(application.organisation_id)
    eligible: list[Expert] = []
    excluded: list[Exclusion] = []
    for expert in pool:
        reason = _exclusion(expert, application, related, declined, field_matching)
        if reason is None:
            eligible.append(expert)
        else:
            excluded.append(Exclusion(expert.expert_id, reason))
    if field_matching is FieldMatching.PREFER and application.fields:
        eligible.sort(key=lambda e: not (e.fields & application.fields))  # stable: draw order kept within each part

    if len(eligible) < size:
        raise DomainError(
            "not_enough_experts",
            f"符合回避要求的专家不足：需要{size}名，仅有{len(eligible)}名",
            f"not enough eligible experts: {size} needed, {len(eligible)} available",
            field="experts", kind=Kind.CONFLICT, details={"needed": size, "eligible": len(eligible), "pool": len(pool)},
        )
    members = eligible[:size]
    chair = next((e for e in members if e.can_chair), None)
    if chair is None:
        raise DomainError("no_chair_available", "评审组中没有可担任组长的专家", "no member of the panel may chair it", field="experts",
                          kind=Kind.CONFLICT)
    return Panel(
        application_id=application.application_id,
        seed=seed,
        members=tuple(e.expert_id for e in members),
        chair=chair.expert_id,
        excluded=tuple(excluded),
        draw_order=tuple(e.expert_id for e in pool),
        declined=frozenset(declined),
    )


def replace_declined(
    panel: Panel,
    expert_id: str,
    application: ApplicationRef,
    experts: Iterable[Expert],
    *,
    graph: ConflictGraph | None = None,
    field_matching: FieldMatching = FieldMatching.OFF,
) -> Panel:
    """A member declared a conflict: the same draw without them (the others stay; the next eligible expert joins)."""
    if expert_id not in panel.members:
        raise DomainError("not_a_panel_member", "该专家不在本评审组中", f"{expert_id} is not on this panel", field="expert_id")
    return assign_panel(
        application, experts, size=len(panel.members), seed=panel.seed, graph=graph,
        declined=panel.declined | {expert_id}, field_matching=field_matching,
    )


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
