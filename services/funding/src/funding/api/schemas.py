"""Request and response models of the funding api (money in integer fen, never a float)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.inputs import JsonObject, Key, Text

State = Literal["draft", "submitted", "reviewed", "approved", "rejected"]


class CreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_id: Key = Field(max_length=100, description="资金政策 id（如 gz-s2-sme-pilot）")
    measure_id: Key = Field(max_length=100, description="措施 id（如 s2-transformation）")
    project_id: Key = Field(max_length=100, description="项目号：跨措施共享（同一项目不得重复申报）")
    inputs: JsonObject = Field(default_factory=dict, description="申报数据：金额为整数分（*_fen），interest_period_start 为日期")


class InputsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: JsonObject = Field(description="申报数据：金额为整数分（*_fen），interest_period_start 为日期")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: JsonObject = Field(default_factory=dict, description=(
        "官员核定的数据：approved_investment_fen、verified_actual_investment_fen、batch_rate（如 \"45%\"）、"
        "proposed_fen 与 proposal_reason（无公式的上限：官员提出金额并说明理由）"))
    facts: JsonObject = Field(default_factory=dict, description="官员确认的事实：honour（荣誉代码或列表）、benchmark（标杆平台服务）")
    note: Text | None = Field(None, max_length=2000, description="审核意见")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Text] = Field(min_length=1, max_length=20, description="不予通过的理由")


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml_text: str = Field(min_length=10, max_length=200_000, description="政策文件（YAML，schema sihua-funding-policy/1）")


class ApplicationOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    policy_id: str
    policy_version_id: str
    measure_id: str
    clause: str
    award_group: str
    applicant_id: str
    applicant_uscc: str
    applicant_kind: str
    district: str | None
    project_id: str
    state: State
    applied_on: date
    inputs: dict[str, Any]
    facts: dict[str, Any]
    submitted_on: date | None = None
    reviewed_by: str | None = None
    reviewed_on: date | None = None
    review_note: str | None = None
    decided_by: str | None = None
    decided_on: date | None = None
    reasons: list[str] | None = None
    computed_amount_fen: int | None = Field(None, description="审核核算金额（分）")
    amount_fen: int | None = Field(None, description="审批金额（分）")
    draft_policy: bool = Field(description="政策为征求意见稿：金额已计算并标注")
    trace: dict[str, Any] | None = Field(None, description="核算过程：依次适用的规则、条款、输入与中间金额")
    version: int


class EvidenceOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    application_id: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class InterestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual_interest_paid_fen: int = Field(ge=0, le=10**15, description="实际发生利息（分），由银行接口报告")
    source: Text = Field(min_length=2, max_length=200, description="报告来源（银行及利息单号）")


class ComputationOut(BaseModel):
    application_id: str
    kind: Literal["preview", "replay"]
    policy_version_id: str
    computation: dict[str, Any]
    same_as_decision: bool | None
    frozen: dict[str, Any] | None


class AwardOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    application_id: str
    applicant_id: str
    uscc: str
    policy_id: str
    policy_version_id: str
    measure_id: str
    award_group: str
    project_id: str
    district: str | None
    decided_on: date
    year: int
    amount_fen: int = Field(description="奖补金额（分）")


class MeasureOut(BaseModel):
    id: str
    clause: str
    name: str
    method: str
    computable: bool
    applicants: list[str]
    award_group: str
    parameters: dict[str, Any]


class PolicyOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version_id: str
    policy_id: str
    jurisdiction: str
    content_hash: str
    title: str
    doc_no: str | None
    source: str
    status: str
    status_today: str
    in_force_today: bool
    valid_from: date
    valid_until: date | None
    effective_from: date
    shipped: bool
    uploaded_by: str
    uploaded_at: datetime
    tax_basis: dict[str, Any]
    measures: list[MeasureOut]
    readings: list[dict[str, Any]]
