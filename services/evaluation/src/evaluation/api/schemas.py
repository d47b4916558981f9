"""What the evaluation api answers (documented models; dates ISO 8601)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Grade = Literal["优秀", "良好", "合格", "不合格"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ModelOut(_Out):
    version_id: str
    model_id: str
    kind: Literal["key_platform", "traction_unit"]
    content_hash: str
    uploaded_by: str


class ModelDetail(ModelOut):
    content: str


class CycleOut(_Out):
    id: str
    kind: Literal["key_platform", "traction_unit"]
    year: int
    model_version: str
    seed: str
    state: Literal["open", "closed"]
    opened_on: date
    closed_on: date | None = None
    last_check_on: date | None = None
    last_check_quarter: int | None = None
    version: int


class ResultOut(_Out):
    id: str
    cycle_id: str
    provider_id: str
    title_id: str
    title_number: str
    state: Literal["computed", "rectifying", "proposed", "appealed", "decided", "issued"]
    computed_grade: Grade
    grade: Grade
    score_milli: int
    tier: Literal["一档", "二档", "三档"] | None = None
    support: bool
    trace: dict[str, Any]
    reasons: list[str]
    computed_on: date
    noticed_on: date | None = None
    rectification_due: date | None = None
    rechecked_on: date | None = None
    proposed_by: str | None = None
    appeal_until: date | None = None
    appealed_on: date | None = None
    appeal_reason: str | None = None
    decided_by: str | None = None
    decided_on: date | None = None
    appeal_upheld: bool | None = None
    decision_reason: str | None = None
    issued_on: date | None = None
    version: int


class SampleOut(_Out):
    cycle_id: str
    provider_id: str
    seed: str
    size: int
    population: list[str]
    drawn: list[str]
    drawn_on: date


class FindingOut(_Out):
    id: str
    cycle_id: str
    provider_id: str
    enterprise_id: str | None = None
    severity: Literal["minor", "major", "serious"]
    summary: str
    evidence: list[str]
    recorded_org: str
    recorded_on: date


class SubmissionOut(_Out):
    id: str
    cycle_id: str
    provider_id: str
    indicator_id: str
    value: str
    evidence: list[str]


class SurveyOut(_Out):
    id: str
    provider_id: str
    enterprise_id: str
    relationship: str
    questionnaire_id: str
    state: Literal["open", "answered"]
    opened_on: date
    answers: dict[str, int] | None = None
    score_milli: int | None = None
    answered_on: date | None = None
    version: int


class QuestionOut(_Out):
    id: str
    text_zh: str


class QuestionnaireOut(_Out):
    id: str
    title_zh: str
    scale: dict[str, int]
    questions: list[QuestionOut]


class QuestionMean(_Out):
    id: str
    text_zh: str
    mean: str | None = None


class SatisfactionOut(_Out):
    provider_id: str
    surveys: int
    answered: int
    min_answers_shown: int
    mean_score: str | None = None
    questions: list[QuestionMean]


class RankEntry(_Out):
    provider_id: str
    name: str | None = None
    title_number: str
    grade: Grade
    adjusted_uplift: str | None = None
    n: int
    interval: list[str] | None = None
    rank: int | None = None


class RankingOut(_Out):
    cycle_id: str
    kind: str
    year: int
    min_enterprises: int
    ranked: list[RankEntry]
    too_few_enterprises: list[RankEntry]


class ProgrammeOut(_Out):
    id: str
    title: str
    organiser_id: str
    organiser_kind: str
    sessions: list[dict[str, Any]] = []


class SessionOut(_Out):
    id: str
    programme_id: str
    held_on: date
    topic: str
    district: str | None = None
    sector: str | None = None
    person_times: int


class TrainingSummary(_Out):
    person_times: int
    target: int
    by_district: dict[str, int]
    by_sector: dict[str, int]


class KpiRow(_Out):
    key: str
    name_zh: str
    target: int
    source: str
    reading: str | None = None  # how the figure is read from the facts (this deployment's reading)
    actual: int | None = None
    share: str | None = None
    by_sector: dict[str, int]
    by_district: dict[str, int]
    by_quarter: dict[str, int | None] = {}


class KpiReport(_Out):
    year: int
    district: str | None = None
    kpis: list[KpiRow]


class ComplaintOut(_Out):
    id: str
    provider_id: str
    enterprise_id: str
    district: str | None = None
    subject: str
    text: str
    state: Literal["filed", "upheld", "dismissed"]
    filed_on: date
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    version: int


class ComplaintCounts(_Out):
    provider_id: str
    total: int
    by_state: dict[str, int]
    by_year: dict[str, int]
