"""Admission review (入库审核) scoring, pure: the rubric as data (a versioned file in the package, validated on
load) and the panel's scores combined the way the registry's review combines them.

Each expert gives every criterion 0..max points (integers); the expert's total is the weighted total out of 100,
``Σ weight × points / max``, rounded half-up to 0.01. The final score is the mean of the totals, dropping the
single highest and the single lowest when ``trim_from`` or more experts scored, rounded half-up to 0.01 (exact
arithmetic, no floats). A spread (max − min of all totals) over the rubric's limit is flagged for the chair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

import yaml

from sihua_shared.errors import DomainError, Kind

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    code: str
    name_zh: str
    weight: int
    max_points: int


@dataclass(frozen=True)
class Rubric:
    id: str
    version: int
    criteria: tuple[Criterion, ...]
    pass_score: Decimal
    panel_size: int
    spread_limit: Decimal
    trim_from: int

    def __post_init__(self) -> None:
        codes = [c.code for c in self.criteria]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError(f"rubric {self.id}: criteria codes empty or repeated")
        if sum(c.weight for c in self.criteria) != 100 or any(c.weight <= 0 or c.max_points <= 0 for c in self.criteria):
            raise ValueError(f"rubric {self.id}: weights must be positive and sum to 100, max points positive")
        if self.panel_size < 1 or self.trim_from < 3:
            raise ValueError(f"rubric {self.id}: panel size >= 1, trim_from >= 3")

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def check(self, scores: Mapping[str, int], field: str = "body.scores") -> dict[str, int]:
        extra = sorted(set(scores) - {c.code for c in self.criteria})
        if extra:
            raise DomainError("score_unknown_criterion", f"评分包含未知指标：{'、'.join(extra)}", f"unknown criteria {extra}",
                              field=f"{field}.{extra[0]}")
        for c in self.criteria:
            value = scores.get(c.code)
            if value is None:
                raise DomainError("score_missing", f"缺少指标“{c.name_zh}”的评分", f"no score for {c.code!r}", field=f"{field}.{c.code}")
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= c.max_points:
                raise DomainError("score_out_of_range", f"指标“{c.name_zh}”的评分应为0至{c.max_points}的整数",
                                  f"the score for {c.code!r} is an integer within 0..{c.max_points}", field=f"{field}.{c.code}")
        return {c.code: int(scores[c.code]) for c in self.criteria}

    def total(self, scores: Mapping[str, int]) -> Decimal:
        checked = self.check(scores)
        exact = sum((Fraction(c.weight * checked[c.code], c.max_points) for c in self.criteria), start=Fraction(0))
        return round_hundredths(exact)


def round_hundredths(value: Fraction) -> Decimal:
    """Half-up (away from zero) to 0.01, exactly."""
    magnitude = abs(value) * 100
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return (Decimal(whole if value >= 0 else -whole) / 100).quantize(HUNDREDTH)


@dataclass(frozen=True)
class Result:
    totals: Mapping[str, Decimal]  # expert → total
    final_score: Decimal
    spread: Decimal
    needs_chair_review: bool
    passes: bool
    dropped: tuple[str, ...]


def aggregate(rubric: Rubric, scores: Mapping[str, Mapping[str, int]], panel: Sequence[str]) -> Result:
    """Combine the panel's scores; every member must have scored, nobody else."""
    strays = sorted(set(scores) - set(panel))
    if strays:
        raise DomainError("score_from_unassigned_expert", "存在非本评审组专家的评分", f"scores from experts not on the panel: {strays}",
                          field="scores")
    missing = sorted(set(panel) - set(scores))
    if missing or not panel:
        raise DomainError("scores_incomplete", f"尚有{len(missing)}名专家未评分", f"experts yet to score: {missing}",
                          field="scores", kind=Kind.CONFLICT, details={"experts": missing})
    totals = {expert: rubric.total(scores[expert]) for expert in panel}
    ranked = sorted(panel, key=lambda e: (totals[e], e))
    dropped = (ranked[0], ranked[-1]) if len(panel) >= rubric.trim_from else ()
    counted = [e for e in panel if e not in dropped]
    final = round_hundredths(sum((Fraction(totals[e]) for e in counted), start=Fraction(0)) / len(counted))
    spread = max(totals.values()) - min(totals.values())
    return Result(totals, final, spread, spread > rubric.spread_limit, final >= rubric.pass_score, tuple(dropped))


def parse_rubric(raw: Mapping[str, Any]) -> Rubric:
    try:
        return Rubric(
            id=str(raw["id"]), version=int(raw["version"]),
            criteria=tuple(Criterion(str(c["code"]), str(c["name_zh"]), int(c["weight"]), int(c["max_points"]))
                           for c in raw["criteria"]),
            pass_score=Decimal(str(raw["pass_score"])), panel_size=int(raw["panel_size"]),
            spread_limit=Decimal(str(raw["spread_limit"])), trim_from=int(raw.get("trim_from", 5)),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"rubric file is malformed: {exc!r}") from exc


@cache
def load_rubric(name: str = "admission-rubric-2026.yaml") -> Rubric:
    """The rubric shipped in the package (``catalog/domain/data``), validated."""
    text = resources.files("catalog.domain").joinpath("data", name).read_text(encoding="utf-8")
    return parse_rubric(yaml.safe_load(text))
