"""Facts published by diagnosis (评估诊断): assessments, reports, diagnosis projects."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from ..events import EventPayload, EventSpec
from .common import EntityId, Uscc

AssessmentKind = Literal["self", "onsite"]
AssessmentStage = Literal["baseline", "post_transformation"]
# Whether an assessment is the enterprise's record and whether it counts at all: on submission and on completion alike.
OfficialRecord = Annotated[bool | None, Field(
    description="false for a pilot enterprise's self-assessment: practice only, not its baseline/post record")]
Counts = Annotated[bool | None, Field(
    description="false for a practice assessment of an enterprise not verified yet (signed itself up): never an "
    "official record, never a basis for matching or money — catalog and funding ignore it; none: counts (older facts)")]


class AssessmentSubmitted(EventPayload):
    """An assessment was submitted with the authenticity commitment (真实性承诺). 评测已提交。"""

    assessment_id: EntityId
    enterprise_id: EntityId
    uscc: Uscc
    kind: AssessmentKind
    stage: AssessmentStage
    edition_id: str
    submitted_by_account_id: EntityId
    filled_by_organisation_id: EntityId | None = Field(default=None, description="provider or third party filling on behalf")
    edition_version: str | None = Field(default=None, description="the exact edition version scored with: <edition id>@<hash prefix>")
    official_record: OfficialRecord = None
    counts: Counts = None


class AssessmentCompleted(EventPayload):
    """An assessment was scored against its edition of the index. 评测已完成。

    Scores are integer milli-points (1 point = 1000); levels are 0 (below 一级) to 4 (四级).
    """

    assessment_id: EntityId
    enterprise_id: EntityId
    uscc: Uscc
    kind: AssessmentKind
    stage: AssessmentStage
    edition_id: str
    level: int = Field(ge=0, le=4)
    level_by_score: int = Field(ge=0, le=4)
    level_by_scenes: int = Field(ge=0, le=4)
    total_milli: int = Field(ge=0)
    dimension_milli: dict[str, int]
    scene_levels: dict[str, int]
    weakest_scenes: list[str]
    edition_version: str | None = Field(default=None, description="the exact edition version scored with")
    official_record: OfficialRecord = None
    counts: Counts = None
    level_name: str | None = Field(default=None, description="一级..四级, or 未达一级")
    max_milli: int | None = Field(default=None, ge=0, description="the edition's full score")
    next_level_gap: dict[str, int | None] | None = Field(
        default=None,
        description="to the next level: level, score_milli_missing, scene_level, scenes_missing, constrained_missing",
    )
    filled_by_organisation_id: EntityId | None = Field(default=None, description="provider or third party that filled it")


class ReportIssued(EventPayload):
    """A diagnosis report (JSON and PDF) was issued for an assessment. 诊断报告已出具。"""

    report_id: EntityId
    assessment_id: EntityId
    enterprise_id: EntityId
    level: int = Field(ge=0, le=4)
    pdf_sha256: str
    revision: int | None = Field(default=None, ge=1, description="1 on submission; raised when a transformation plan is added")
    stage: AssessmentStage | None = None
    kind: AssessmentKind | None = None


class DiagnosisProjectAssigned(EventPayload):
    """Officials assigned an enterprise to a selected diagnosis provider (S0 二(四)). 诊断服务项目已派单。"""

    project_id: EntityId
    enterprise_id: EntityId
    provider_id: EntityId
    district: str | None = None
    assigned_on: date
    fee_fen: int | None = Field(
        default=None, ge=0, le=20_000_000, description="the agreed fee in fen, at most 20万元 (S0 三(三))",
    )


class DiagnosisProjectCompleted(EventPayload):
    """The provider completed the on-site diagnosis with its report and transformation plan; funding may pay
    it under S0 三(三) (at most 20万元 per enterprise project). 诊断服务项目已完成。"""

    project_id: EntityId
    enterprise_id: EntityId
    provider_id: EntityId
    assessment_id: EntityId
    report_id: EntityId
    completed_on: date
    level: int | None = Field(default=None, ge=0, le=4, description="the level of the on-site assessment")
    plan_lines: int | None = Field(default=None, ge=0, description="lines in the transformation plan (改造方案)")
    fee_fen: int | None = Field(
        default=None, ge=0, le=20_000_000,
        description="the fee agreed on assignment, in fen (1元 = 100 fen); at most 20万元 (S0 三(三)); absent when none was agreed",
    )


class EditionScene(EventPayload):
    """One scene (场景) of an edition, by the id other services reference it with."""

    scene_id: str
    name: str
    name_en: str | None = None
    constrained: bool = Field(description="a constrained (约束性) scene counts separately for the level")
    group_id: str | None = Field(default=None, description="the edition's scene group holding it, if any")


class EditionActivated(EventPayload):
    """A version of an edition of the index became the one new assessments use for its edition id (the shipped
    edition on first use, or an official's activation). 指标版本已启用。

    ``scenes`` lists every scene of that version, so other services (catalog) can reference scenes by id.
    """

    edition_id: str
    version_id: str = Field(description="<edition id>@<hash prefix>")
    content_hash: str
    title: str
    scenes: list[EditionScene]
    activated_by_account_id: EntityId
    shipped: bool = Field(description="the edition shipped with the service")


class ConsentGranted(EventPayload):
    """An enterprise let a provider or the third-party organisation assess on its behalf. 企业已授权代为评测。"""

    consent_id: EntityId
    enterprise_id: EntityId
    organisation_id: EntityId = Field(description="the provider or third-party organisation granted the consent")
    granted_by_account_id: EntityId


class ConsentRevoked(EventPayload):
    """The enterprise withdrew a consent; assessments already started stay, new ones and submissions stop.
    企业已撤销授权。"""

    consent_id: EntityId
    enterprise_id: EntityId
    organisation_id: EntityId
    revoked_by_account_id: EntityId


_ENTERPRISE = {"enterprise_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f", "uscc": "91440101MA0000001Q"}
_ASSESSMENT = "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a"

ASSESSMENT_SUBMITTED = EventSpec(
    "diagnosis", "assessment", "submitted", 1, AssessmentSubmitted, "An assessment was submitted", title_zh="数字化水平评测已提交",
    example={**_ENTERPRISE, "assessment_id": _ASSESSMENT, "kind": "self", "stage": "baseline", "edition_id": "2024",
             "submitted_by_account_id": "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"},
)
ASSESSMENT_COMPLETED = EventSpec(
    "diagnosis", "assessment", "completed", 1, AssessmentCompleted, "An assessment was scored", title_zh="数字化水平评测已完成",
    example={**_ENTERPRISE, "assessment_id": _ASSESSMENT, "kind": "self", "stage": "baseline", "edition_id": "2024",
             "level": 1, "level_by_score": 2, "level_by_scenes": 1, "total_milli": 36500,
             "dimension_milli": {"foundation": 15000, "management": 11500, "outcomes": 10000},
             "scene_levels": {"S01": 2, "S02": 1}, "weakest_scenes": ["S02"], "official_record": True, "counts": True},
)
REPORT_ISSUED = EventSpec(
    "diagnosis", "report", "issued", 1, ReportIssued, "A diagnosis report was issued", title_zh="诊断报告已出具",
    example={"report_id": "0f1a2b3c-4d5e-4f6a-9b7c-8d9e0f1a2b3c", "assessment_id": _ASSESSMENT,
             "enterprise_id": _ENTERPRISE["enterprise_id"], "level": 1, "pdf_sha256": "0" * 64},
)
DIAGNOSIS_PROJECT_ASSIGNED = EventSpec(
    "diagnosis", "diagnosis_project", "assigned", 1, DiagnosisProjectAssigned, "A diagnosis project was assigned",
    title_zh="诊断服务项目已派单",
    example={"project_id": "1a2b3c4d-5e6f-4a7b-8c8d-9e0f1a2b3c4d", "enterprise_id": _ENTERPRISE["enterprise_id"],
             "provider_id": "2b3c4d5e-6f7a-4b8c-9d9e-0f1a2b3c4d5e", "district": "baiyun", "assigned_on": "2026-03-02"},
)
DIAGNOSIS_PROJECT_COMPLETED = EventSpec(
    "diagnosis", "diagnosis_project", "completed", 1, DiagnosisProjectCompleted, "A diagnosis project was completed",
    title_zh="诊断服务项目已完成",
    example={"project_id": "1a2b3c4d-5e6f-4a7b-8c8d-9e0f1a2b3c4d", "enterprise_id": _ENTERPRISE["enterprise_id"],
             "provider_id": "2b3c4d5e-6f7a-4b8c-9d9e-0f1a2b3c4d5e", "assessment_id": _ASSESSMENT,
             "report_id": "0f1a2b3c-4d5e-4f6a-9b7c-8d9e0f1a2b3c", "completed_on": "2026-04-20"},
)
EDITION_ACTIVATED = EventSpec(
    "diagnosis", "edition", "activated", 1, EditionActivated, "An edition of the index was activated",
    title_zh="指标版本已启用",
    example={"edition_id": "2024", "version_id": "2024@3f2a9c1b0d4e", "content_hash": "3f2a9c1b0d4e" + "0" * 52,
             "title": "中小企业数字化水平评测指标（2024年版）", "activated_by_account_id": "system", "shipped": True,
             "scenes": [{"scene_id": "S01", "name": "产品设计", "name_en": "Product design", "constrained": True,
                         "group_id": "G1"}]},
)
_CONSENT = {"consent_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "enterprise_id": _ENTERPRISE["enterprise_id"],
            "organisation_id": "2b3c4d5e-6f7a-4b8c-9d9e-0f1a2b3c4d5e"}
CONSENT_GRANTED = EventSpec(
    "diagnosis", "consent", "granted", 1, ConsentGranted, "An enterprise granted a consent", title_zh="企业已授权代为评测",
    example={**_CONSENT, "granted_by_account_id": "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"},
)
CONSENT_REVOKED = EventSpec(
    "diagnosis", "consent", "revoked", 1, ConsentRevoked, "An enterprise revoked a consent", title_zh="企业已撤销授权",
    example={**_CONSENT, "revoked_by_account_id": "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"},
)
