"""Indicator values from facts, and the grade they add up to — with the trace (which facts produced each value).

Pure: the application layer reads the facts the worker kept (``adapters.fact_tables``) and passes them in. Points are
kept exactly (``Fraction``) and shown in milli-points (1 point = 1000); statistics (means, intervals) are shown as
decimal strings with three places.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .model import FAILING, GRADES, IndicatorModel

PROJECT_COMPLETED = "diagnosis.diagnosis_project.completed"
ASSESSMENT_COMPLETED = "diagnosis.assessment.completed"
SURVEY_ANSWERED = "evaluation.survey.answered"


@dataclass(frozen=True)
class Fact:
    """One fact the worker kept: its event id, short type (``producer.aggregate.fact``), who and when."""

    event_id: str
    type: str
    occurred_on: Any  # a date
    provider_id: str | None = None
    enterprise_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    """A value submitted with evidence for a submitted indicator."""

    submission_id: str
    indicator_id: str
    value: Decimal
    evidence: Sequence[str]


@dataclass(frozen=True)
class Finding:
    finding_id: str
    severity: str
    enterprise_id: str | None
    summary: str


@dataclass
class Value:
    indicator_id: str
    name_zh: str
    source: str  # computed | submitted
    value: Decimal | None
    points_milli: int
    weight: Decimal
    facts: list[str] = field(default_factory=list)  # event ids (computed) or submission ids (submitted)
    n: int | None = None
    interval: tuple[Decimal, Decimal] | None = None
    note: str = ""

    def as_trace(self) -> dict[str, Any]:
        return {
            "indicator_id": self.indicator_id, "name_zh": self.name_zh, "source": self.source,
            "value": None if self.value is None else str(self.value), "points_milli": self.points_milli,
            "weight": str(self.weight), "facts": self.facts, "n": self.n,
            "interval": None if self.interval is None else [str(x) for x in self.interval], "note": self.note,
        }


def _q(x: float | Fraction | Decimal) -> Decimal:
    return Decimal(str(float(x))).quantize(Decimal("0.001"))


def points(value: Decimal | None, weight: Decimal, zero_at: Decimal, full_at: Decimal) -> Fraction:
    """weight × clamp((value − zero_at) / (full_at − zero_at), 0, 1); no value scores nothing."""
    if value is None:
        return Fraction(0)
    share = (Fraction(value) - Fraction(zero_at)) / (Fraction(full_at) - Fraction(zero_at))
    return Fraction(weight) * min(Fraction(1), max(Fraction(0), share))


# ---- level uplift --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uplift:
    mean: Decimal | None
    n: int
    facts: list[str]


@dataclass(frozen=True)
class AdjustedUplift:
    mean: Decimal | None
    n: int
    unmatched: int
    interval: tuple[Decimal, Decimal] | None
    facts: list[str]
    differences: list[tuple[str, Fraction]]


def enterprise_uplifts(assessments: Iterable[Fact]) -> dict[str, tuple[int, int, list[str]]]:
    """enterprise → (baseline level, uplift, event ids): the earliest official baseline and the latest official
    post-transformation assessment, same-day facts in the order they arrived (a self-assessment marked
    ``official_record: false`` is practice and ignored)."""
    baseline: dict[str, Fact] = {}
    post: dict[str, Fact] = {}
    for fact in sorted(assessments, key=lambda f: f.occurred_on):  # stable: same-day facts keep their order
        if fact.enterprise_id is None or fact.data.get("official_record") is False:
            continue
        if fact.data.get("stage") == "baseline":
            baseline.setdefault(fact.enterprise_id, fact)
        elif fact.data.get("stage") == "post_transformation":
            post[fact.enterprise_id] = fact
    return {
        e: (int(b.data["level"]), int(post[e].data["level"]) - int(b.data["level"]), [b.event_id, post[e].event_id])
        for e, b in baseline.items() if e in post
    }


def level_uplift(served: set[str], uplifts: Mapping[str, tuple[int, int, list[str]]]) -> Uplift:
    mine = [uplifts[e] for e in sorted(served) if e in uplifts]
    if not mine:
        return Uplift(None, 0, [])
    return Uplift(_q(Fraction(sum(u for _, u, _ in mine), len(mine))), len(mine), [i for *_, ids in mine for i in ids])


def adjusted_uplift(
    served: set[str], uplifts: Mapping[str, tuple[int, int, list[str]]], sectors: Mapping[str, str | None], z: Decimal,
) -> AdjustedUplift:
    """The model's ``uplift_formula``: mean over the provider's matched enterprises of (own uplift − mean uplift of
    the other enterprises with the same baseline level and sector not served by this provider), with n and
    mean ± z·s/√n."""
    groups: dict[tuple[int, str | None], list[tuple[str, int]]] = defaultdict(list)
    for e, (base, up, _) in uplifts.items():
        groups[(base, sectors.get(e))].append((e, up))
    differences: list[tuple[str, Fraction]] = []
    facts: list[str] = []
    unmatched = 0
    for e in sorted(served):
        if e not in uplifts:
            continue
        base, up, ids = uplifts[e]
        peers = [u for other, u in groups[(base, sectors.get(e))] if other not in served]
        if not peers:
            unmatched += 1
            continue
        differences.append((e, Fraction(up) - Fraction(sum(peers), len(peers))))
        facts.extend(ids)
    n = len(differences)
    if n == 0:
        return AdjustedUplift(None, 0, unmatched, None, [], [])
    mean = sum((d for _, d in differences), Fraction(0)) / n
    interval = None
    if n >= 2:
        variance = sum(((d - mean) ** 2 for _, d in differences), Fraction(0)) / (n - 1)
        half = float(z) * math.sqrt(float(variance)) / math.sqrt(n)
        interval = (_q(float(mean) - half), _q(float(mean) + half))
    return AdjustedUplift(_q(mean), n, unmatched, interval, facts, differences)


# ---- the whole computation ---------------------------------------------------------------------------


@dataclass
class Grading:
    values: list[Value]
    deductions_milli: int
    score_milli: int
    grade: str
    tier: str | None
    support: bool
    findings: list[dict[str, Any]]

    @property
    def failed(self) -> bool:
        return self.grade == FAILING

    def reasons(self) -> list[str]:
        """The indicators that scored less than half their weight, in words (the notice's reasons)."""
        weak = [v for v in self.values if Fraction(v.points_milli, 1000) < Fraction(v.weight) / 2]
        found = [f"第三方抽样评估发现 {len(self.findings)} 项问题"] if self.findings else []
        return [f"{v.name_zh}得分 {v.points_milli / 1000:g}/{v.weight}" for v in weak] + found

    def trace(self) -> dict[str, Any]:
        return {"indicators": [v.as_trace() for v in self.values], "findings": self.findings,
                "deductions_milli": self.deductions_milli, "score_milli": self.score_milli, "grade": self.grade,
                "tier": self.tier}


def grade_for(model: IndicatorModel, score: Fraction) -> str:
    for threshold in model.grades:
        if score >= Fraction(threshold.min_points):
            return threshold.grade
    return GRADES[-1]


def tier_for(model: IndicatorModel, score: Fraction) -> str | None:
    for threshold in model.tiers:
        if score >= Fraction(threshold.min_points):
            return threshold.tier
    return None


def compute(
    model: IndicatorModel,
    provider_id: str,
    facts: Sequence[Fact],
    *,
    sectors: Mapping[str, str | None],
    submissions: Sequence[Submission] = (),
    findings: Sequence[Finding] = (),
) -> Grading:
    """Every indicator of the model for one provider from the facts of the cycle (all providers' facts: the
    adjusted uplift compares with enterprises others served), then the grade, the tier and the support flag."""
    projects = [f for f in facts if f.type == PROJECT_COMPLETED and f.provider_id == provider_id]
    served = {f.enterprise_id for f in projects if f.enterprise_id}
    uplifts = enterprise_uplifts(f for f in facts if f.type == ASSESSMENT_COMPLETED)
    surveys = [f for f in facts if f.type == SURVEY_ANSWERED and f.provider_id == provider_id]
    values: list[Value] = []
    total = Fraction(0)
    for ind in model.indicators:
        value: Decimal | None
        v = Value(ind.id, ind.name_zh, ind.source.kind, None, 0, ind.weight)
        if ind.source.kind == "submitted":
            mine = [s for s in submissions if s.indicator_id == ind.id]
            latest = mine[-1] if mine else None
            value = latest.value if latest else None
            v.facts = [latest.submission_id] if latest else []
            v.note = "报送并附佐证 / submitted with evidence" if latest else "未报送 / not submitted"
        else:
            method = ind.source.method
            if method == "count_enterprises":
                value, v.facts = Decimal(len(served)), [f.event_id for f in projects]
            elif method == "count_facts":
                value, v.facts = Decimal(len(projects)), [f.event_id for f in projects]
            elif method == "satisfaction_mean":
                scores = [Fraction(int(f.data["score_milli"]), 1000) for f in surveys]
                value = _q(sum(scores, Fraction(0)) / len(scores)) if scores else None
                v.facts, v.n = [f.event_id for f in surveys], len(scores)
            elif method == "level_uplift":
                up = level_uplift(served, uplifts)
                value, v.facts, v.n = up.mean, up.facts, up.n
            else:  # adjusted_uplift
                adj = adjusted_uplift(served, uplifts, sectors, model.parameters.interval_z)
                value, v.facts, v.n, v.interval = adj.mean, adj.facts, adj.n, adj.interval
                v.note = f"unmatched={adj.unmatched}"
            if value is None:
                v.note = (v.note + " " if v.note else "") + "无数据 / no data"
        v.value = value
        earned = points(value, ind.weight, ind.scale.zero_at, ind.scale.full_at)
        v.points_milli = int(earned * 1000)
        total += earned
        values.append(v)
    rates = model.finding_deductions
    deductions = sum((Fraction(getattr(rates, f.severity)) for f in findings), Fraction(0))
    score = max(Fraction(0), total - deductions)
    grade = grade_for(model, score)
    tier = tier_for(model, score) if model.kind == "traction_unit" else None
    listed = [{"finding_id": f.finding_id, "severity": f.severity, "enterprise_id": f.enterprise_id,
               "summary": f.summary, "deduction_milli": int(Fraction(getattr(rates, f.severity)) * 1000)} for f in findings]
    return Grading(values, int(deductions * 1000), int(score * 1000), grade, tier, grade in model.support_grades, listed)
