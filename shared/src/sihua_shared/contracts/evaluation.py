"""Facts published by evaluation (评价)."""

from __future__ import annotations

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
