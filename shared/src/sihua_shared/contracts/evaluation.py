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
    "evaluation", "verdict", "issued", 1, VerdictIssued, "A provider's evaluation verdict was issued"
)
