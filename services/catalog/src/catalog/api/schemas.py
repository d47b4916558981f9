"""The catalog's HTTP shapes: a product version's content as the provider gives it, and what the api answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.inputs import BusinessDate, Code, Key, Text

ProductType = Literal["saas", "licensed_software", "hardware_with_software", "implementation_service", "solution"]
BusinessLink = Literal["design", "manufacturing", "sales", "service", "management", "security"]
Deployment = Literal["cloud", "on_premise", "hybrid"]
PriceUnit = Literal["per_year", "per_seat_year", "per_seat", "one_off", "per_month"]
SceneId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$", description="场景编号（现行指标版本）")]
Fen = Annotated[int, Field(ge=0, le=10_000_000_000_00, description="价格（分）/ price in fen, 1元 = 100 fen")]


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(description="套餐代码")
    name: Text = Field(min_length=1, max_length=100, description="套餐名称")
    price_fen: Fen
    unit: PriceUnit = Field(
        description="计价单位：per_year 每年、per_seat_year 每账号每年、per_seat 每账号、one_off 一次性、per_month 每月")


class ProductIn(BaseModel):
    """产品信息（一个版本）/ The content of a product version."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="产品名称")
    summary: Text = Field(min_length=1, max_length=500, description="一句话简介")
    description: Text = Field(min_length=1, max_length=10_000, description="产品介绍")
    product_type: ProductType = Field(description="产品类型：SaaS、软件许可、软硬一体、实施服务、解决方案")
    business_links: list[BusinessLink] = Field(
        min_length=1, max_length=6, description="服务的业务环节（设计、制造、销售、服务、管理、安全）")
    scenes: list[SceneId] = Field(default_factory=list, max_length=50, description="针对的场景（现行指标版本的场景编号）")
    sectors: list[Code] = Field(min_length=1, max_length=10, description="适用的试点细分行业")
    deployment: Deployment = Field(description="部署方式：云、本地、混合")
    interfaces: list[Annotated[Text, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=30, description="支持的接口与标准")
    packages: list[PackageIn] = Field(min_length=1, max_length=20, description="套餐与价格（分）")
    delivery_days: int = Field(ge=1, le=3650, description="交付周期（天）")
    reference_customers: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=30, description="参考客户")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["submit", "start_formal_check", "pass_formal_check", "return_for_revision", "reject", "admit"] = Field(
        description="审核步骤：提交、开始形式审查、形式审查通过、退回修改、不予入库、准予入库")
    reasons: list[Annotated[Text, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=20, description="理由（退回、不予入库时必填）")


class ScoresIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[Code, Annotated[int, Field(ge=0, le=1000)]] = Field(description="各评分指标得分（整数）")
    comment: Text = Field(default="", max_length=2000, description="评审意见")


class DelistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=1000, description="下架理由")


class RecusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=1000, description="回避理由（利益冲突情况）")


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="测试用例")
    result: Literal["passed", "failed", "not_applicable"] = Field(description="结果：通过、未通过、不适用")
    note: Text = Field(default="", max_length=2000)


class AdaptationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_kind: Literal["platform", "product", "interface"] = Field(description="验证对象：平台、产品、标准接口")
    target_ref: Key = Field(description="平台的组织 id、产品 id 或接口/标准代码")
    target_name: Text = Field(min_length=1, max_length=200, description="验证对象名称")
    tested: Text = Field(min_length=1, max_length=5000, description="验证内容")
    cases: list[CaseIn] = Field(min_length=1, max_length=100, description="测试用例及结果")
    valid_until: BusinessDate = Field(description="有效期至")


class ProductOut(BaseModel):
    id: str
    organisation_id: str
    district: str | None
    listing: str
    state: str
    catalogue_number: str | None
    admitted_version: int | None
    latest_version: int
    marks: list[str]
    suspension_reasons: list[str]
    delist_reason: str | None
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int
    adoption: dict[str, Any] | None = Field(None, description="采用与成效（读取单个产品时）/ adopters and outcomes")


class VersionOut(BaseModel):
    product_id: str
    number: int
    state: str
    content: dict[str, Any]
    edition_version_id: str | None
    history: list[dict[str, Any]]
    final_score: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime


class FileOut(BaseModel):
    id: str
    product_id: str
    version_number: int
    adaptation_record_id: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class AdaptationOut(BaseModel):
    id: str
    product_id: str
    product_version: int
    target_kind: str
    target_ref: str
    target_name: str
    tested: str
    cases: list[dict[str, Any]]
    verifier_account_id: str
    verifier_organisation_id: str
    verified_on: date
    valid_until: date
    expired_on: date | None
    valid: bool
