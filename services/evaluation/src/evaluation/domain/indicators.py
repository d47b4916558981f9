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
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .model import FAILING, GRADES, IndicatorModel

PROJECT_COMPLETED = "diagnosis.diagnosis_project.completed"
ASSESSMENT_COMPLETED = "diagnosis.assessment.completed"
SURVEY_ANSWERED = "evaluation.survey.answered"
CONTRACTED = "funding.project.contracted"
PROGRESS_REPORTED = "funding.project.progress_reported"
WORKS_COMPLETED = "funding.project.completed"
ACCEPTED = "funding.project.accepted"
ACCEPTANCE_FAILED = "funding.project.failed"
PRODUCT_ADMITTED = "catalog.product.admitted"
PRODUCT_DELISTED = "catalog.product.delisted"
PRODUCT_SUSPENDED = "catalog.product.suspended"
PRODUCT_RATED = "catalog.product.rated"
DELIVERED = "catalog.group_purchase.delivered"
WORK_PLAN_FILED = "catalog.work_plan.filed"
SOLUTION_PUBLISHED = "catalog.solution.published"
PARTNER_CONFIRMED = "registry.ecosystem.partner_confirmed"
PARTNER_ENDED = "registry.ecosystem.partner_ended"
CLUSTER_MEMBER_APPROVED = "registry.cluster.member_approved"
CLUSTER_MEMBER_REMOVED = "registry.cluster.member_removed"
COMPLAINT_DECIDED = "evaluation.complaint.decided"
# Facts counted within the cycle's year (the others count up to its end: assessments, admissions, work plans …).
IN_YEAR = (PROJECT_COMPLETED, SURVEY_ANSWERED, CONTRACTED, PROGRESS_REPORTED, WORKS_COMPLETED, ACCEPTED,
           ACCEPTANCE_FAILED, PRODUCT_RATED, DELIVERED, COMPLAINT_DECIDED)


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


# ---- catalog's and funding's facts --------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    value: Decimal | None
    facts: list[str]
    n: int | None = None
    note: str = ""


def product_owners(facts: Iterable[Fact]) -> dict[str, str]:
    """product id → the providing organisation, from catalog's admitted facts."""
    return {str(f.data["product_id"]): str(f.provider_id) for f in facts if f.type == PRODUCT_ADMITTED and f.provider_id}


def listed_products(facts: Sequence[Fact], owners: set[str]) -> list[Fact]:
    """The admitted facts of the owners' products not delisted since (a suspension is temporary and still counts)."""
    delisted = {str(f.data["product_id"]) for f in facts if f.type == PRODUCT_DELISTED}
    return [f for f in facts if f.type == PRODUCT_ADMITTED and f.provider_id in owners
            and str(f.data["product_id"]) not in delisted]


def ecosystem_of(facts: Sequence[Fact], unit: str) -> set[str]:
    """The traction unit and the partners of its ecosystem alliance (confirmed and not ended)."""
    ended = {str(f.data["membership_id"]) for f in facts if f.type == PARTNER_ENDED}
    return {unit} | {str(f.data["partner_id"]) for f in facts if f.type == PARTNER_CONFIRMED and f.provider_id == unit
                     and str(f.data["membership_id"]) not in ended}


def contracts_of(facts: Sequence[Fact], provider: str, owner_of: Mapping[str, str]) -> list[Fact]:
    """The transformation contracts the provider is party to: as the traction unit, or as the supplier of a product
    the contract's lines name."""
    return [f for f in facts if f.type == CONTRACTED and (f.provider_id == provider or any(
        owner_of.get(str(line["product_id"])) == provider for line in f.data.get("lines", [])))]


def decisions_of(facts: Sequence[Fact], contracts: Sequence[Fact]) -> tuple[list[Fact], list[Fact]]:
    """The acceptance decisions (passed, failed) of those contracts' projects: one per project, its latest."""
    projects = {str(f.data["project_id"]) for f in contracts}
    latest = {str(f.data["project_id"]): f for f in facts
              if f.type in (ACCEPTED, ACCEPTANCE_FAILED) and str(f.data["project_id"]) in projects}
    decided = list(latest.values())
    return [f for f in decided if f.type == ACCEPTED], [f for f in decided if f.type == ACCEPTANCE_FAILED]


def adoptions(facts: Sequence[Fact], provider: str, owner_of: Mapping[str, str]) -> list[tuple[str, str, Fact]]:
    """(enterprise, product, fact): each enterprise whose contract names one of the provider's products, or to whom a
    group purchase delivered one."""
    found: list[tuple[str, str, Fact]] = []
    for f in facts:
        if f.type == CONTRACTED and f.enterprise_id:
            found += [(f.enterprise_id, str(line["product_id"]), f) for line in f.data.get("lines", [])
                      if owner_of.get(str(line["product_id"])) == provider]
        elif f.type == DELIVERED and f.enterprise_id and owner_of.get(str(f.data["product_id"])) == provider:
            found.append((f.enterprise_id, str(f.data["product_id"]), f))
    return found


def _ids(facts: Iterable[Fact]) -> list[str]:
    return list(dict.fromkeys(f.event_id for f in facts))


def work_plan_attainment(facts: Sequence[Fact], provider: str, year: int | None, projects: Sequence[Fact],
                         adopted: Sequence[tuple[str, str, Fact]], sectors: Mapping[str, str | None]) -> Measured:
    """The provider's latest work plan for the year against its results, sector by sector: enterprises served
    (completed diagnosis projects) against ``enterprises_to_serve``, the provider's products applied by enterprises
    of the sector (contracts and deliveries) against ``products_to_apply``; value = mean over the non-zero targets of
    min(1, result ÷ target) × 100."""
    plans = [f for f in facts if f.type == WORK_PLAN_FILED and f.provider_id == provider
             and (year is None or int(f.data["year"]) == year)]
    if not plans:
        return Measured(None, [], None, "未报送年度工作计划 / no work plan filed")
    plan = plans[-1]
    shares: list[Fraction] = []
    used: list[Fact] = [plan]
    for target in plan.data["targets"]:
        sector = target["sector"]
        served = [f for f in projects if sectors.get(f.enterprise_id or "") == sector]
        applied = [(e, p, f) for e, p, f in adopted if sectors.get(e) == sector]
        for wanted, done, behind in ((int(target["enterprises_to_serve"]), len({f.enterprise_id for f in served}), served),
                                     (int(target["products_to_apply"]), len({p for _, p, _ in applied}),
                                      [f for *_, f in applied])):
            if wanted > 0:
                shares.append(min(Fraction(1), Fraction(done, wanted)))
                used += behind
    if not shares:
        return Measured(None, _ids(used), 0, "计划无非零目标 / no non-zero target")
    return Measured(_q(sum(shares, Fraction(0)) / len(shares) * 100), _ids(used), len(shares))


def milestones_on_time(facts: Sequence[Fact], provider: str, year: int | None) -> Measured:
    """The share (× 100) of the milestones of the traction unit's contracts due by the cycle's end (31 December of
    ``year``) that a progress report of the same project named on or before its ``due_on``; n = the milestones due.
    Facts: the contracts with a due milestone and the on-time reports."""
    end = date(year, 12, 31) if year is not None else date.max
    contracts = {str(f.data["project_id"]): f for f in facts if f.type == CONTRACTED and f.provider_id == provider}
    reports: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for f in facts:
        if f.type == PROGRESS_REPORTED and f.provider_id == provider and f.data.get("milestone"):
            reports[(str(f.data["project_id"]), str(f.data["milestone"]))].append(f)
    due = met = 0
    used: list[Fact] = []
    for project, contract in contracts.items():
        for milestone in contract.data.get("milestones", []):
            due_on = date.fromisoformat(str(milestone["due_on"]))
            if due_on > end:
                continue
            due += 1
            used.append(contract)
            on_time = [r for r in reports[(project, str(milestone["name"]))]
                       if date.fromisoformat(str(r.data["reported_on"])) <= due_on]
            if on_time:
                met += 1
                used.append(on_time[0])
    if due == 0:
        return Measured(None, [], 0, "无到期里程碑 / no milestone due")
    return Measured(_q(Fraction(met * 100, due)), _ids(used), due, f"按期 {met} / {due} on time")


def upheld_complaints(facts: Sequence[Fact], provider: str) -> Measured:
    """The complaints about the provider a city officer upheld in the period (decided_on); the note names them."""
    upheld = [f for f in facts if f.type == COMPLAINT_DECIDED and f.provider_id == provider
              and f.data.get("outcome") == "upheld"]
    ids = sorted(str(f.data["complaint_id"]) for f in upheld)
    return Measured(Decimal(len(upheld)), _ids(upheld), len(upheld), "complaints=" + ",".join(ids) if ids else "")


def measure(method: str, facts: Sequence[Fact], provider: str, *, year: int | None, projects: Sequence[Fact],
            sectors: Mapping[str, str | None]) -> Measured:
    """The catalog and funding methods of one provider (the diagnosis ones stay in ``compute``)."""
    owner_of = product_owners(facts)
    if method == "count_contracts":
        mine = contracts_of(facts, provider, owner_of)
        return Measured(Decimal(len(mine)), _ids(mine))
    if method in ("count_accepted", "acceptance_rate"):
        passed, failed = decisions_of(facts, contracts_of(facts, provider, owner_of))
        if method == "count_accepted":
            return Measured(Decimal(len(passed)), _ids(passed))
        decided = len(passed) + len(failed)
        if decided == 0:
            return Measured(None, [], 0)
        return Measured(_q(Fraction(len(passed) * 100, decided)), _ids([*passed, *failed]), decided)
    if method in ("count_products", "count_ecosystem_products"):
        owners = ecosystem_of(facts, provider) if method == "count_ecosystem_products" else {provider}
        listed = listed_products(facts, owners)
        return Measured(Decimal(len(listed)), _ids(listed))
    if method == "count_adopters":
        adopted = adoptions(facts, provider, owner_of)
        return Measured(Decimal(len({e for e, _, _ in adopted})), _ids(f for *_, f in adopted))
    if method == "rating_mean":
        rated = [f for f in facts if f.type == PRODUCT_RATED and owner_of.get(str(f.data["product_id"])) == provider]
        if not rated:
            return Measured(None, [], 0)
        return Measured(_q(Fraction(sum(int(f.data["score"]) for f in rated), len(rated))), _ids(rated), len(rated))
    if method == "count_upheld_complaints":
        return upheld_complaints(facts, provider)
    if method == "work_plan_attainment":
        return work_plan_attainment(facts, provider, year, projects, adoptions(facts, provider, owner_of), sectors)
    if method == "milestones_on_time":
        return milestones_on_time(facts, provider, year)
    raise ValueError(f"unknown method {method}")


def compute(
    model: IndicatorModel,
    provider_id: str,
    facts: Sequence[Fact],
    *,
    sectors: Mapping[str, str | None],
    submissions: Sequence[Submission] = (),
    findings: Sequence[Finding] = (),
    year: int | None = None,
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
            elif method == "adjusted_uplift":
                adj = adjusted_uplift(served, uplifts, sectors, model.parameters.interval_z)
                value, v.facts, v.n, v.interval = adj.mean, adj.facts, adj.n, adj.interval
                v.note = f"unmatched={adj.unmatched}"
            else:
                got = measure(str(method), facts, provider_id, year=year, projects=projects, sectors=sectors)
                value, v.facts, v.n, v.note = got.value, got.facts, got.n, got.note
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
