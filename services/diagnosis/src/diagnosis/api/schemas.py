"""Request and response bodies of the assessment routes, and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.http import etag_for, model_json
from sihua_shared.inputs import Key
from sihua_shared.jurisdiction import DistrictCode, SectorCode

from ..domain.edition_schema import EDITION_ID_PATTERN
from ..reports.model import LEVEL_NAMES

EditionId = Annotated[str, Field(pattern=EDITION_ID_PATTERN, description="指标版本标识，如 2024")]
EditionVersion = Annotated[
    str, Field(pattern=EDITION_ID_PATTERN.removesuffix("$") + "@[0-9a-f]{16}$", description="指标版本，如 2024@3f2a…")
]


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: Key | None = Field(default=None, description="被评企业 id；企业自评时可省略")
    kind: Literal["self", "onsite"] = Field(description="self 自评 / onsite 现场评定")
    stage: Literal["baseline", "post_transformation"] = Field(description="baseline 改造前 / post_transformation 改造后")
    edition_id: EditionId | None = Field(default=None, description="指标版本标识（默认 2024 版的启用版本）")


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authenticity_commitment: bool = Field(description="真实性承诺：承诺所填信息真实、准确（须为 true）")


class RecomputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    edition_version: EditionVersion | None = Field(default=None, description="用于重算的指标版本（默认原版本）")


class AssessmentOut(BaseModel):
    """An assessment; ``answers``, ``result`` and ``progress`` only when one assessment is read."""

    model_config = ConfigDict(extra="ignore")

    id: str
    enterprise_id: str
    uscc: str
    district: DistrictCode | None
    sector: SectorCode | None
    kind: Literal["self", "onsite"]
    stage: Literal["baseline", "post_transformation"]
    state: Literal["draft", "submitted"]
    edition_id: str
    edition_version: str
    filled_by_organisation_id: str | None
    created_by: str
    pilot: bool | None = None
    official_record: bool | None = Field(default=None, description="false: a pilot enterprise's practice self-assessment")
    counts: bool | None = Field(
        default=None,
        description="false: a practice assessment of an enterprise not verified yet — never an official record, never a "
        "basis for matching or money",
    )
    level: int | None = None
    level_name: str | None = None
    total_milli: int | None = None
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    answers: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None


def assessment_out(row: dict[str, Any], *, detail: bool = False, progress: dict[str, Any] | None = None) -> AssessmentOut:
    values = dict(row)
    values["filled_by_organisation_id"] = row["filled_by_org"]
    values["level_name"] = LEVEL_NAMES.get(row["level"]) if row["level"] is not None else None
    if not detail:
        values.pop("answers", None)
        values.pop("result", None)
    else:
        values["progress"] = progress
    return AssessmentOut.model_validate(values)


def assessment_response(row: dict[str, Any], *, status: int = 200, progress: dict[str, Any] | None = None) -> Response:
    return model_json(assessment_out(row, detail=True, progress=progress), status, ETag=etag_for(int(row["version"])))
