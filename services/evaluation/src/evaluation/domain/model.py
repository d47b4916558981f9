"""Indicator models (评价指标模型) as data: a versioned YAML file per kind of provider, validated on load.

A model names its indicators, their weights (summing to 100 points), where each value comes from — computed from
facts by a named method, or submitted with evidence by a named party — the linear scale that turns a value into
points, the grade thresholds 优秀/良好/合格/不合格, the tiers 一档/二档/三档 of traction units (S2 四 2), and the
parameters of due process (rectification working days, appeal window, sample size). Pure: no framework, no database.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

GRADES = ("优秀", "良好", "合格", "不合格")
TIERS = ("一档", "二档", "三档")
FAILING = "不合格"
# The computing methods this version of the service knows; a model naming another is refused on load.
METHODS: tuple[str, ...] = ("count_enterprises", "count_facts", "satisfaction_mean", "level_uplift", "adjusted_uplift",
           "count_contracts", "count_accepted", "acceptance_rate", "count_products", "count_ecosystem_products",
           "count_adopters", "rating_mean", "work_plan_attainment", "milestones_on_time")
METHODS += ("count_upheld_complaints",)  # complaints evaluation itself decides (application.complaints)
# The facts the service consumes; a computed indicator's ``facts`` must be among them. A submitted indicator may
# name in ``later_facts`` a fact no producer publishes yet (and the model's provenance says which is missing).
KNOWN_FACTS = (
    "diagnosis.diagnosis_project.completed",
    "diagnosis.assessment.completed",
    "diagnosis.report.issued",
    "evaluation.survey.answered",
    "evaluation.complaint.decided",
    "registry.title.granted",
    "registry.pilot_pool.enterprise_enrolled",
    "registry.ecosystem.partner_confirmed",
    "registry.ecosystem.partner_ended",
    "registry.cluster.member_approved",
    "registry.cluster.member_removed",
    "funding.project.contracted",
    "funding.project.progress_reported",
    "funding.project.completed",
    "funding.project.accepted",
    "funding.project.failed",
    "catalog.product.admitted",
    "catalog.product.delisted",
    "catalog.product.suspended",
    "catalog.product.rated",
    "catalog.group_purchase.delivered",
    "catalog.work_plan.filed",
    "catalog.solution.published",
)

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Strict):
    status: Literal["deployment_reading", "official"]
    note_zh: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1)


class Cycle(_Strict):
    period: Literal["annual"] = "annual"
    progress_checks: Literal["quarterly"] = "quarterly"


class Parameters(_Strict):
    rectification_working_days: int = Field(ge=1, le=120)
    appeal_window_working_days: int = Field(ge=1, le=60)
    sample_size: int = Field(ge=1, le=1000)
    min_enterprises_for_uplift: int = Field(ge=1, le=1000)
    interval_z: Decimal = Field(gt=0, le=5)


class Source(_Strict):
    kind: Literal["computed", "submitted"]
    method: str | None = None
    facts: list[str] = Field(default_factory=list)
    submitted_by: Literal["provider", "third_party"] | None = None
    later_facts: list[str] = Field(default_factory=list, description="facts that would compute it once published")

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if self.kind == "computed":
            if self.method not in METHODS:
                raise ValueError(f"computed indicator needs a method among {METHODS}, not {self.method!r}")
            unknown = [f for f in self.facts if f not in KNOWN_FACTS]
            if not self.facts or unknown:
                raise ValueError(f"computed indicator needs facts among {KNOWN_FACTS}; unknown: {unknown}")
        elif self.submitted_by is None or self.method is not None:
            raise ValueError("a submitted indicator names who submits it (submitted_by) and no method")
        return self


class Scale(_Strict):
    """Points = weight × clamp((value − zero_at) / (full_at − zero_at), 0, 1); full_at < zero_at scores fewer-is-better."""

    zero_at: Decimal
    full_at: Decimal

    @model_validator(mode="after")
    def _distinct(self) -> Scale:
        if self.zero_at == self.full_at:
            raise ValueError("zero_at and full_at must differ")
        return self


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,49}$")
    name_zh: str = Field(min_length=1)
    group: str = Field(min_length=1)
    weight: Decimal = Field(gt=0, le=100)
    source: Source
    scale: Scale
    unit_zh: str = ""


class Threshold(_Strict):
    grade: Literal["优秀", "良好", "合格", "不合格"]
    min_points: Decimal = Field(ge=0, le=100)


class TierThreshold(_Strict):
    tier: Literal["一档", "二档", "三档"]
    min_points: Decimal = Field(ge=0, le=100)


class Deductions(_Strict):
    minor: Decimal = Field(ge=0, le=100)
    major: Decimal = Field(ge=0, le=100)
    serious: Decimal = Field(ge=0, le=100)


class IndicatorModel(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{2,79}$")
    kind: Literal["key_platform", "traction_unit"]
    title_zh: str = Field(min_length=1)
    provenance: Provenance
    cycle: Cycle = Cycle()
    parameters: Parameters
    grades: list[Threshold]
    support_grades: list[Literal["优秀", "良好", "合格"]] = Field(default=["优秀"])
    tiers: list[TierThreshold] = Field(default_factory=list)
    finding_deductions: Deductions
    indicators: list[Indicator] = Field(min_length=1)
    uplift_formula: str = Field(min_length=1, description="the adjusted uplift's formula, in words")

    @model_validator(mode="after")
    def _coherent(self) -> IndicatorModel:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("indicator ids repeat")
        total = sum((i.weight for i in self.indicators), Decimal(0))
        if total != 100:
            raise ValueError(f"weights sum to {total}, not 100")
        if [t.grade for t in self.grades] != list(GRADES):
            raise ValueError("grades list 优秀, 良好, 合格, 不合格 in this order")
        points = [t.min_points for t in self.grades]
        if points != sorted(points, reverse=True) or len(set(points)) != 4 or points[-1] != 0:
            raise ValueError("grade thresholds fall strictly, ending at 0 for 不合格")
        if self.kind == "traction_unit":
            if [t.tier for t in self.tiers] != list(TIERS):
                raise ValueError("a traction-unit model lists the tiers 一档, 二档, 三档 in this order")
            tier_points = [t.min_points for t in self.tiers]
            if tier_points != sorted(tier_points, reverse=True) or len(set(tier_points)) != 3:
                raise ValueError("tier thresholds fall strictly")
        elif self.tiers:
            raise ValueError("only traction-unit models have tiers")
        return self

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)


class LoadedModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: IndicatorModel
    content: str
    content_hash: str

    @property
    def version(self) -> str:
        return f"{self.model.id}@{self.content_hash[:12]}"


class ModelInvalid(ValueError):
    """The file is not a valid indicator model; ``problems`` lists (location, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{loc}: {msg}" for loc, msg in problems))
        self.problems = problems


def parse_model(content: str) -> LoadedModel:
    """Validate a model's YAML text; raises ``ModelInvalid``."""
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise ModelInvalid([("content", f"not YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ModelInvalid([("content", "a model is a YAML mapping")])
    try:
        model = IndicatorModel.model_validate(data)
    except ValidationError as exc:
        raise ModelInvalid([(".".join(str(p) for p in e["loc"]) or "content", e["msg"]) for e in exc.errors()]) from exc
    return LoadedModel(model=model, content=content, content_hash=hashlib.sha256(content.encode()).hexdigest())


SHIPPED = ("key_platform.yaml", "traction_unit.yaml")


def shipped_models() -> dict[str, LoadedModel]:
    """The models shipped with the service, by id (validated on load: a broken file stops the service)."""
    found: dict[str, LoadedModel] = {}
    for name in SHIPPED:
        loaded = parse_model(resources.files("evaluation.models").joinpath(name).read_text(encoding="utf-8"))
        found[loaded.model.id] = loaded
    return found
