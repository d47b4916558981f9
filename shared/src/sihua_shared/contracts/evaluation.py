"""Facts published by evaluation (评价)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ..events import EventPayload, EventSpec
from .common import EntityId, Uscc

Grade = Literal["优秀", "良好", "合格", "不合格"]


class VerdictIssued(EventPayload):
    """An evaluation cycle's verdict on one provider's title. 评价结论已发布。

    ``failed`` is true exactly when the grade is 不合格; the registry revokes the title then (S0 二(六)).
    """

    provider_id: EntityId
    provider_uscc: Uscc
    title_id: EntityId
    title_number: str
    cycle_id: EntityId
    grade: Grade
    failed: bool
    reasons: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _failed_matches_grade(self) -> VerdictIssued:
        if self.failed != (self.grade == "不合格"):
            raise ValueError("failed must be true exactly when grade is 不合格")
        return self


VERDICT_ISSUED = EventSpec(
    "evaluation", "verdict", "issued", 1, VerdictIssued, "A provider's evaluation verdict was issued",
    title_zh="评价结论已发布",
    example={
        "provider_id": "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "provider_uscc": "91440101MA0000001Q",
        "title_id": "6b2e3d4c-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
        "title_number": "GZSH-KP-2026-0001",
        "cycle_id": "7c3f4e5d-6a7b-4c8d-8e9f-1a2b3c4d5e6f",
        "grade": "不合格",
        "failed": True,
        "reasons": ["客户满意度低于 60%"],
    },
)


Tier = Literal["一档", "二档", "三档"]


class TierAssigned(EventPayload):
    """A traction unit's annual result band (档次, S2 四 2), assigned when its evaluation cycle closes. Funding pays
    the tier award within the measure's caps (一档 ≤ 100万元, 二档 ≤ 80万元, 三档 ≤ 50万元). 牵引单位档次已确定。"""

    provider_id: EntityId
    provider_uscc: Uscc
    title_id: EntityId
    title_number: str
    cycle_id: EntityId
    year: int = Field(ge=2000, le=2999, description="the evaluated year")
    tier: Tier
    model_version: str = Field(description="the indicator model version the tier was computed with")


TIER_ASSIGNED = EventSpec(
    "evaluation", "tier", "assigned", 1, TierAssigned, "A traction unit's tier was assigned", title_zh="牵引单位档次已确定",
    example={
        "provider_id": "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "provider_uscc": "91440101MA0000001Q",
        "title_id": "6b2e3d4c-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
        "title_number": "GZSH-TU-2026-0001",
        "cycle_id": "7c3f4e5d-6a7b-4c8d-8e9f-1a2b3c4d5e6f",
        "year": 2026,
        "tier": "一档",
        "model_version": "gz-traction-unit-2026.1",
    },
)


# ---- cycles, surveys, sampling audits, due process, training (issue 15) ---------------------------

CycleKind = Literal["key_platform", "traction_unit"]
_CYCLE = "7c3f4e5d-6a7b-4c8d-8e9f-1a2b3c4d5e6f"
_PROVIDER = "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
_RESULT = "8d4a5b6c-7d8e-4f9a-8b1c-2d3e4f5a6b7c"


class CycleOpened(EventPayload):
    """An annual evaluation cycle was opened with its indicator model and the published sampling seed.
    评价周期已开启。"""

    cycle_id: EntityId
    kind: CycleKind
    year: int = Field(ge=2000, le=2999)
    model_id: str
    model_version: str = Field(description="<model id>@<content hash prefix>")
    seed: str = Field(description="the published seed of the sampling audit (hex)")
    opened_on: date


class CycleClosed(EventPayload):
    """An evaluation cycle was closed: every provider's verdict was issued. 评价周期已结束。"""

    cycle_id: EntityId
    kind: CycleKind
    year: int = Field(ge=2000, le=2999)
    closed_on: date
    results: int = Field(ge=0, description="providers evaluated")
    supported: list[EntityId] = Field(default_factory=list, description="providers flagged for more support (优秀)")


class SurveyAnswered(EventPayload):
    """A served enterprise answered its satisfaction survey (客户满意度); who answered what stays in evaluation.
    满意度调查已填写。"""

    survey_id: EntityId
    provider_id: EntityId
    relationship: str = Field(description="what the service was: diagnosis_project (later: contract)")
    score_milli: int = Field(ge=0, le=100_000, description="the answer's score, 0–100 points in milli-points")
    answered_on: date


class ComplaintDecided(EventPayload):
    """A city officer decided an enterprise's complaint about a provider (有效投诉认定): upheld complaints count in
    the provider's evaluation. Who complained and what they wrote stay in evaluation. 投诉已认定。"""

    complaint_id: EntityId
    provider_id: EntityId
    outcome: Literal["upheld", "dismissed"]
    decided_on: date


class SampleDrawn(EventPayload):
    """A provider's audit sample (抽样评估) was drawn: the first n served enterprises by HMAC-SHA256(seed, id).
    抽样名单已生成。"""

    cycle_id: EntityId
    provider_id: EntityId
    seed: str
    population: int = Field(ge=0)
    size: int = Field(ge=0)
    enterprise_ids: list[EntityId]


class FindingRecorded(EventPayload):
    """The third-party organisation recorded an audit finding with evidence. 抽样评估发现已记录。"""

    finding_id: EntityId
    cycle_id: EntityId
    provider_id: EntityId
    enterprise_id: EntityId | None = None
    severity: Literal["minor", "major", "serious"]
    deduction_milli: int = Field(ge=0)
    recorded_by_organisation_id: EntityId


class NoticeIssued(EventPayload):
    """A provider whose computed grade fails was given notice (整改通知). 整改通知已下达。"""

    result_id: EntityId
    cycle_id: EntityId
    provider_id: EntityId
    grade: Grade
    score_milli: int = Field(ge=0)
    reasons: list[str] = Field(default_factory=list)
    noticed_on: date


class RectificationDue(EventPayload):
    """The rectification window (整改期) in working days, counted from the calendar data. 整改期限已确定。"""

    result_id: EntityId
    cycle_id: EntityId
    provider_id: EntityId
    working_days: int = Field(ge=1)
    due_on: date


class VerdictProposed(EventPayload):
    """After the re-check, a verdict was proposed; the provider may appeal once within the window. 拟定评价结论。"""

    result_id: EntityId
    cycle_id: EntityId
    provider_id: EntityId
    grade: Grade
    score_milli: int = Field(ge=0)
    proposed_by: EntityId
    appeal_until: date


class AppealFiled(EventPayload):
    """The provider appealed the proposed verdict (申诉). 申诉已提出。"""

    result_id: EntityId
    cycle_id: EntityId
    provider_id: EntityId
    filed_on: date


class AppealDecided(EventPayload):
    """A different official decided the appeal. 申诉已处理。"""

    result_id: EntityId
    cycle_id: EntityId
    provider_id: EntityId
    upheld: bool = Field(description="true when the appeal succeeded and the grade changed")
    grade: Grade = Field(description="the grade after the decision")
    decided_by: EntityId
    decided_on: date


class TrainingRecorded(EventPayload):
    """Attendance of a training session was recorded (S2 三(八)): person-times towards the 2,000 target.
    培训记录已登记。"""

    session_id: EntityId
    programme_id: EntityId
    organiser_id: EntityId
    held_on: date
    person_times: int = Field(ge=0)
    district: str | None = None
    sector: str | None = None


CYCLE_OPENED = EventSpec(
    "evaluation", "cycle", "opened", 1, CycleOpened, "An evaluation cycle was opened", title_zh="评价周期已开启",
    example={"cycle_id": _CYCLE, "kind": "key_platform", "year": 2026, "model_id": "gz-key-platform-2026",
             "model_version": "gz-key-platform-2026@3f2a9c1b0d4e", "seed": "9f" * 16, "opened_on": "2026-01-05"},
)
CYCLE_CLOSED = EventSpec(
    "evaluation", "cycle", "closed", 1, CycleClosed, "An evaluation cycle was closed", title_zh="评价周期已结束",
    example={"cycle_id": _CYCLE, "kind": "key_platform", "year": 2026, "closed_on": "2027-01-20", "results": 12,
             "supported": [_PROVIDER]},
)
SURVEY_ANSWERED = EventSpec(
    "evaluation", "survey", "answered", 1, SurveyAnswered, "A satisfaction survey was answered",
    title_zh="满意度调查已填写",
    example={"survey_id": "9e5b6c7d-8e9f-4a0b-9c2d-3e4f5a6b7c8d", "provider_id": _PROVIDER,
             "relationship": "diagnosis_project", "score_milli": 85000, "answered_on": "2026-05-06"},
)
COMPLAINT_DECIDED = EventSpec(
    "evaluation", "complaint", "decided", 1, ComplaintDecided, "A complaint about a provider was decided",
    title_zh="投诉已认定",
    example={"complaint_id": "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f", "provider_id": _PROVIDER, "outcome": "upheld",
             "decided_on": "2026-07-01"},
)
SAMPLE_DRAWN = EventSpec(
    "evaluation", "sample", "drawn", 1, SampleDrawn, "A provider's audit sample was drawn", title_zh="抽样名单已生成",
    example={"cycle_id": _CYCLE, "provider_id": _PROVIDER, "seed": "9f" * 16, "population": 40, "size": 5,
             "enterprise_ids": ["0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f"]},
)
FINDING_RECORDED = EventSpec(
    "evaluation", "finding", "recorded", 1, FindingRecorded, "An audit finding was recorded",
    title_zh="抽样评估发现已记录",
    example={"finding_id": "af1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "cycle_id": _CYCLE, "provider_id": _PROVIDER,
             "enterprise_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f", "severity": "major", "deduction_milli": 5000,
             "recorded_by_organisation_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"},
)
NOTICE_ISSUED = EventSpec(
    "evaluation", "result", "noticed", 1, NoticeIssued, "A failing provider was given notice", title_zh="整改通知已下达",
    example={"result_id": _RESULT, "cycle_id": _CYCLE, "provider_id": _PROVIDER, "grade": "不合格",
             "score_milli": 52000, "reasons": ["客户满意度低于 60%"], "noticed_on": "2027-01-06"},
)
RECTIFICATION_DUE = EventSpec(
    "evaluation", "result", "rectification_due", 1, RectificationDue, "A rectification window was set",
    title_zh="整改期限已确定",
    example={"result_id": _RESULT, "cycle_id": _CYCLE, "provider_id": _PROVIDER, "working_days": 20,
             "due_on": "2027-02-10"},
)
VERDICT_PROPOSED = EventSpec(
    "evaluation", "result", "verdict_proposed", 1, VerdictProposed, "A verdict was proposed after the re-check",
    title_zh="拟定评价结论",
    example={"result_id": _RESULT, "cycle_id": _CYCLE, "provider_id": _PROVIDER, "grade": "不合格",
             "score_milli": 52000, "proposed_by": "city-officer-1", "appeal_until": "2027-02-24"},
)
APPEAL_FILED = EventSpec(
    "evaluation", "result", "appeal_filed", 1, AppealFiled, "A provider appealed its proposed verdict",
    title_zh="申诉已提出",
    example={"result_id": _RESULT, "cycle_id": _CYCLE, "provider_id": _PROVIDER, "filed_on": "2027-02-12"},
)
APPEAL_DECIDED = EventSpec(
    "evaluation", "result", "appeal_decided", 1, AppealDecided, "An appeal was decided", title_zh="申诉已处理",
    example={"result_id": _RESULT, "cycle_id": _CYCLE, "provider_id": _PROVIDER, "upheld": False, "grade": "不合格",
             "decided_by": "city-officer-2", "decided_on": "2027-02-20"},
)
TRAINING_RECORDED = EventSpec(
    "evaluation", "training", "recorded", 1, TrainingRecorded, "Training attendance was recorded",
    title_zh="培训记录已登记",
    example={"session_id": "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", "programme_id": "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
             "organiser_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "held_on": "2026-06-18", "person_times": 45,
             "district": "huangpu", "sector": "custom_furniture"},
)
