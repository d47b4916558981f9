"""Facts published by catalog (供给清单): products and their versions through admission review (入库审核), their
listing (delisted, suspended, reinstated) and the adaptation-verification library (适配验证库).

Prices are integer fen (1元 = 100 fen) with a unit; anything that refers to a product refers to a version of it,
so every fact about a product carries the version it is about, and the admitted facts carry that version's
packages and prices, against which funding checks contract lines.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..events import EventPayload, EventSpec
from .common import EntityId

PriceUnit = Literal["per_year", "per_seat_year", "per_seat", "one_off", "per_month"]
ProductType = Literal["saas", "licensed_software", "hardware_with_software", "implementation_service", "solution"]
Mark = Literal["key_platform", "traction_unit", "ecosystem_partner"]


class ProductPackage(EventPayload):
    """One package (套餐) of a product version, with its exact price."""

    code: str = Field(description="套餐代码, unique within the version")
    name: str = Field(description="套餐名称")
    price_fen: int = Field(ge=0, description="price in fen (1元 = 100 fen)")
    unit: PriceUnit = Field(description="计价单位")


class ProductSubmitted(EventPayload):
    """A provider submitted a product version for admission review (a first version, or a change request).
    产品已提交入库审核。"""

    product_id: EntityId
    version: int = Field(ge=1, description="the product version under review")
    organisation_id: EntityId = Field(description="the providing organisation")
    name: str
    change_request: bool = Field(description="true when the product is admitted already and this version would replace it")


class ProductAdmitted(EventPayload):
    """A product version passed admission review and joined the supply list (供给清单); the payload carries what
    funding checks contract lines against. 产品已入库。"""

    product_id: EntityId
    version: int = Field(ge=1)
    catalogue_number: str = Field(description="入库编号, e.g. GZ-XKQZ-2026-0001")
    organisation_id: EntityId
    name: str
    product_type: ProductType
    packages: list[ProductPackage]
    scenes: list[str] = Field(description="scene ids of the diagnosis edition in force")
    sectors: list[str]
    marks: list[Mark] = Field(description="what the provider is: a key platform, a traction unit, an ecosystem partner")
    final_score: str | None = Field(default=None, description="the panel's final score, exact decimal string")
    admitted_on: date


class ReviewOutcome(EventPayload):
    """What a product version's review decided at a stage, with its reasons: the fields of ``ProductReturned`` and
    ``ProductRejected``. Not published itself."""

    product_id: EntityId
    version: int = Field(ge=1)
    organisation_id: EntityId
    stage: Literal["formal_check", "expert_review"]
    reasons: list[str]


class ProductReturned(ReviewOutcome):
    """The formal check or the expert review returned a product version for revision, with reasons.
    产品已退回修改。"""


class ProductRejected(ReviewOutcome):
    """A product version was rejected, with reasons; an admitted product stays at its earlier version.
    产品未通过入库审核。"""


class ProductChanged(EventPayload):
    """A change request was admitted: the product is now at a new version with these packages and prices; the
    earlier version stays readable. 产品变更已生效。"""

    product_id: EntityId
    version: int = Field(ge=2)
    previous_version: int = Field(ge=1)
    catalogue_number: str
    organisation_id: EntityId
    name: str
    packages: list[ProductPackage]
    scenes: list[str]
    sectors: list[str]
    changed_on: date


class ProductDelisted(EventPayload):
    """A city officer took a product off the supply list, with the reason. 产品已下架。"""

    product_id: EntityId
    version: int = Field(ge=1, description="the version that was listed")
    organisation_id: EntityId
    reason: str
    delisted_on: date


class ProductSuspended(EventPayload):
    """A product left the public list on its own: the title it is marked with was revoked, or its provider lost
    its standing in the registry. 产品已暂停展示。"""

    product_id: EntityId
    version: int = Field(ge=1)
    organisation_id: EntityId
    reasons: list[str]
    suspended_on: date


class ProductReinstated(EventPayload):
    """What suspended a product holds no longer (its title granted again): it is listed again. 产品已恢复展示。"""

    product_id: EntityId
    version: int = Field(ge=1)
    organisation_id: EntityId
    reinstated_on: date


AdaptationTarget = Literal["platform", "product", "interface"]


class AdaptationVerified(EventPayload):
    """A third-party organisation verified that a product version works with a platform, another product or a
    standard interface, valid until a date. 适配验证已通过。"""

    record_id: EntityId
    product_id: EntityId
    version: int = Field(ge=1)
    target_kind: AdaptationTarget
    target_ref: str = Field(description="the platform's organisation id, the product id, or the interface/standard code")
    target_name: str
    verifier_organisation_id: EntityId
    verified_on: date
    valid_until: date


class AdaptationExpired(EventPayload):
    """An adaptation record passed its validity date: the product no longer shows it. 适配验证已过期。"""

    record_id: EntityId
    product_id: EntityId
    target_kind: AdaptationTarget
    target_ref: str
    valid_until: date


_PRODUCT = {"product_id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "organisation_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f"}
_PACKAGES = [{"code": "basic", "name": "基础版", "price_fen": 1_980_000, "unit": "per_year"},
             {"code": "pro", "name": "专业版", "price_fen": 4_800_000, "unit": "per_year"}]

PRODUCT_SUBMITTED = EventSpec(
    "catalog", "product", "submitted", 1, ProductSubmitted, "A product version was submitted for admission review",
    title_zh="产品已提交入库审核",
    example={**_PRODUCT, "version": 1, "name": "小快轻准排产云", "change_request": False},
)
PRODUCT_ADMITTED = EventSpec(
    "catalog", "product", "admitted", 1, ProductAdmitted, "A product was admitted to the supply list", title_zh="产品已入库",
    example={**_PRODUCT, "version": 1, "catalogue_number": "GZ-XKQZ-2026-0001", "name": "小快轻准排产云",
             "product_type": "saas", "packages": _PACKAGES, "scenes": ["S05"], "sectors": ["custom_furniture"],
             "marks": ["key_platform"], "final_score": "86.50", "admitted_on": "2026-05-10"},
)
PRODUCT_RETURNED = EventSpec(
    "catalog", "product", "returned", 1, ProductReturned, "A product version was returned for revision",
    title_zh="产品已退回修改",
    example={**_PRODUCT, "version": 1, "stage": "formal_check", "reasons": ["缺少产品说明书"]},
)
PRODUCT_REJECTED = EventSpec(
    "catalog", "product", "rejected", 1, ProductRejected, "A product version was rejected", title_zh="产品未通过入库审核",
    example={**_PRODUCT, "version": 1, "stage": "expert_review", "reasons": ["专家评审未达入库分数线"]},
)
PRODUCT_CHANGED = EventSpec(
    "catalog", "product", "changed", 1, ProductChanged, "A change request of an admitted product took effect",
    title_zh="产品变更已生效",
    example={**_PRODUCT, "version": 2, "previous_version": 1, "catalogue_number": "GZ-XKQZ-2026-0001",
             "name": "小快轻准排产云", "packages": _PACKAGES, "scenes": ["S05"], "sectors": ["custom_furniture"],
             "changed_on": "2026-08-01"},
)
PRODUCT_DELISTED = EventSpec(
    "catalog", "product", "delisted", 1, ProductDelisted, "A product was taken off the supply list", title_zh="产品已下架",
    example={**_PRODUCT, "version": 2, "reason": "服务商未按承诺价格提供服务", "delisted_on": "2026-09-01"},
)
PRODUCT_SUSPENDED = EventSpec(
    "catalog", "product", "suspended", 1, ProductSuspended, "A product was suspended from the public list",
    title_zh="产品已暂停展示",
    example={**_PRODUCT, "version": 1, "reasons": ["重点平台称号已撤销"], "suspended_on": "2027-04-15"},
)
PRODUCT_REINSTATED = EventSpec(
    "catalog", "product", "reinstated", 1, ProductReinstated, "A suspended product was listed again",
    title_zh="产品已恢复展示", example={**_PRODUCT, "version": 1, "reinstated_on": "2027-06-01"},
)
_RECORD = {"record_id": "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", "product_id": _PRODUCT["product_id"],
           "target_kind": "platform", "target_ref": "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"}
ADAPTATION_VERIFIED = EventSpec(
    "catalog", "adaptation", "verified", 1, AdaptationVerified, "A product was verified to work with a target",
    title_zh="适配验证已通过",
    example={**_RECORD, "version": 1, "target_name": "示例工业互联网平台开放接口", "verifier_organisation_id":
             "2b3c4d5e-6f7a-4b8c-9d9e-0f1a2b3c4d5e", "verified_on": "2026-06-01", "valid_until": "2027-05-31"},
)
ADAPTATION_EXPIRED = EventSpec(
    "catalog", "adaptation", "expired", 1, AdaptationExpired, "An adaptation record passed its validity date",
    title_zh="适配验证已过期", example={**_RECORD, "valid_until": "2027-05-31"},
)

PUBLISHED: list[EventSpec[Any]] = [
    PRODUCT_SUBMITTED, PRODUCT_ADMITTED, PRODUCT_RETURNED, PRODUCT_REJECTED, PRODUCT_CHANGED, PRODUCT_DELISTED, PRODUCT_SUSPENDED,
    PRODUCT_REINSTATED, ADAPTATION_VERIFIED, ADAPTATION_EXPIRED,
]


# ---- 精准匹配 (matching) ---------------------------------------------------------------------------


class RecommendedProduct(EventPayload):
    """One recommended product version, in rank order, with the Chinese explanation the enterprise reads."""

    rank: int = Field(ge=1)
    product_id: EntityId
    version: int = Field(ge=1)
    catalogue_number: str
    scenes: list[str] = Field(description="the enterprise's weakest scenes the product addresses")
    explanation: str = Field(description="推荐理由, built from the assessment")


class RecommendationIssued(EventPayload):
    """An assessment that counts yielded recommendations of admitted products for the enterprise; they supersede the
    enterprise's earlier ones. 已向企业推荐产品。"""

    recommendation_set_id: EntityId
    assessment_id: EntityId
    enterprise_id: EntityId
    edition_id: str
    level: int = Field(ge=0, le=4)
    weakest_scenes: list[str]
    items: list[RecommendedProduct]
    supersedes: EntityId | None = Field(default=None, description="the recommendation set this one replaces")
    rules: str = Field(description="the version of the matching rules used")
    issued_on: date


RECOMMENDATION_ISSUED = EventSpec(
    "catalog", "recommendation", "issued", 1, RecommendationIssued, "Products were recommended to an enterprise",
    title_zh="已向企业推荐产品",
    example={"recommendation_set_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
             "assessment_id": "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a", "enterprise_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f",
             "edition_id": "2024", "level": 1, "weakest_scenes": ["S05"], "rules": "matching-2026",
             "items": [{"rank": 1, **{k: _PRODUCT[k] for k in ("product_id",)}, "version": 1,
                        "catalogue_number": "GZ-XKQZ-2026-0001", "scenes": ["S05"],
                        "explanation": "计划排程 当前为一级；企业整体为一级，达到二级需 6 个场景达到二级，其中 3 个为约束性场景；"
                                       "该产品覆盖计划排程；本行业已有 2 家企业采用"}],
             "supersedes": None, "issued_on": "2026-05-10"},
)

PUBLISHED.extend([RECOMMENDATION_ISSUED])


# ---- 集中采购 (group purchase) ----------------------------------------------------------------------


class GroupPurchaseOpened(EventPayload):
    """A cluster body opened a group purchase of an admitted product version at a negotiated price no higher than
    the catalogue price of the package. 集中采购已发起。"""

    group_purchase_id: EntityId
    cluster_body_id: EntityId
    product_id: EntityId
    version: int = Field(ge=1)
    package_code: str
    catalogue_price_fen: int = Field(ge=0)
    price_fen: int = Field(ge=0, description="the negotiated price per place, in fen")
    places: int = Field(ge=1)
    opens_on: date
    closes_on: date


class GroupPurchaseEnrolled(EventPayload):
    """A member enterprise of the cluster enrolled in a group purchase. 企业已报名集中采购。"""

    group_purchase_id: EntityId
    cluster_body_id: EntityId
    enterprise_id: EntityId
    product_id: EntityId
    version: int = Field(ge=1)
    price_fen: int = Field(ge=0)
    enrolled_on: date
    places_taken: int = Field(ge=1)


class GroupPurchaseClosed(EventPayload):
    """The cluster body closed a group purchase's enrolment. 集中采购已截止报名。"""

    group_purchase_id: EntityId
    cluster_body_id: EntityId
    product_id: EntityId
    version: int = Field(ge=1)
    enrolled: int = Field(ge=0)
    closed_on: date


class GroupPurchaseDelivered(EventPayload):
    """The cluster body recorded delivery of the product to an enrolled enterprise: the enterprise adopted the
    product version (funding counts these for the district's graded award). 集中采购已交付。"""

    group_purchase_id: EntityId
    cluster_body_id: EntityId
    enterprise_id: EntityId
    product_id: EntityId
    version: int = Field(ge=1)
    price_fen: int = Field(ge=0)
    district: str | None = None
    delivered_on: date


_GP = {"group_purchase_id": "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", "cluster_body_id": "4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a",
       "product_id": _PRODUCT["product_id"], "version": 1}
GROUP_PURCHASE_OPENED = EventSpec(
    "catalog", "group_purchase", "opened", 1, GroupPurchaseOpened, "A cluster body opened a group purchase",
    title_zh="集中采购已发起",
    example={**_GP, "package_code": "basic", "catalogue_price_fen": 1_980_000, "price_fen": 1_500_000, "places": 20,
             "opens_on": "2026-05-10", "closes_on": "2026-06-10"},
)
GROUP_PURCHASE_ENROLLED = EventSpec(
    "catalog", "group_purchase", "enrolled", 1, GroupPurchaseEnrolled, "An enterprise enrolled in a group purchase",
    title_zh="企业已报名集中采购",
    example={**_GP, "enterprise_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f", "price_fen": 1_500_000,
             "enrolled_on": "2026-05-12", "places_taken": 1},
)
GROUP_PURCHASE_CLOSED = EventSpec(
    "catalog", "group_purchase", "closed", 1, GroupPurchaseClosed, "A group purchase closed its enrolment",
    title_zh="集中采购已截止报名", example={**_GP, "enrolled": 12, "closed_on": "2026-06-10"},
)
GROUP_PURCHASE_DELIVERED = EventSpec(
    "catalog", "group_purchase", "delivered", 1, GroupPurchaseDelivered, "A group purchase was delivered to an enterprise",
    title_zh="集中采购已交付",
    example={**_GP, "enterprise_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f", "price_fen": 1_500_000,
             "district": "baiyun", "delivered_on": "2026-07-01"},
)

PUBLISHED.extend([GROUP_PURCHASE_OPENED, GROUP_PURCHASE_ENROLLED, GROUP_PURCHASE_CLOSED, GROUP_PURCHASE_DELIVERED])


# ---- ratings (评价) -------------------------------------------------------------------------------


class ProductRated(EventPayload):
    """An enterprise that adopted a product version rated it (1–5, with a comment). 企业已评价产品。"""

    rating_id: EntityId
    product_id: EntityId
    version: int = Field(ge=1)
    enterprise_id: EntityId
    score: int = Field(ge=1, le=5)
    rated_on: date


PRODUCT_RATED = EventSpec(
    "catalog", "product", "rated", 1, ProductRated, "An adopter rated a product version", title_zh="企业已评价产品",
    example={"rating_id": "9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "product_id": _PRODUCT["product_id"], "version": 1,
             "enterprise_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f", "score": 5, "rated_on": "2026-07-15"},
)

PUBLISHED.extend([PRODUCT_RATED])


# ---- industry common solutions and annual work plans (S0 二(三)) ---------------------------------------------


class SolutionProduct(EventPayload):
    """An admitted product version a solution is made of."""

    product_id: EntityId
    version: int = Field(ge=1)


class SolutionPublished(EventPayload):
    """A key platform published an industry common solution (行业共性解决方案) made of admitted products, alone or
    jointly with partner platforms, each of which confirmed (联合共建). 行业共性解决方案已发布。"""

    solution_id: EntityId
    lead_organisation_id: EntityId
    partner_organisation_ids: list[EntityId]
    title: str
    sector: str
    products: list[SolutionProduct] = Field(description="the admitted product versions it is made of")
    published_on: date


class WorkPlanTarget(EventPayload):
    """One sector's targets in an annual work plan."""

    sector: str
    enterprises_to_serve: int = Field(ge=0)
    products_to_apply: int = Field(ge=0)


class WorkPlanFiled(EventPayload):
    """A key platform filed its annual transformation work plan (年度转型工作计划) with targets by sector.
    年度转型工作计划已报送。"""

    work_plan_id: EntityId
    organisation_id: EntityId
    year: int = Field(ge=2000, le=2100)
    targets: list[WorkPlanTarget]
    filed_on: date


SOLUTION_PUBLISHED = EventSpec(
    "catalog", "solution", "published", 1, SolutionPublished, "An industry common solution was published",
    title_zh="行业共性解决方案已发布",
    example={"solution_id": "ad0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", "lead_organisation_id": _PRODUCT["organisation_id"],
             "partner_organisation_ids": ["1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"], "title": "定制家居柔性生产解决方案",
             "sector": "custom_furniture", "products": [{"product_id": _PRODUCT["product_id"], "version": 1}],
             "published_on": "2026-06-01"},
)
WORK_PLAN_FILED = EventSpec(
    "catalog", "work_plan", "filed", 1, WorkPlanFiled, "A key platform filed its annual work plan",
    title_zh="年度转型工作计划已报送",
    example={"work_plan_id": "be1f2a3b-4c5d-4e6f-9a7b-8c9d0e1f2a3b", "organisation_id": _PRODUCT["organisation_id"],
             "year": 2026, "targets": [{"sector": "custom_furniture", "enterprises_to_serve": 50, "products_to_apply": 3}],
             "filed_on": "2026-03-01"},
)

PUBLISHED.extend([SOLUTION_PUBLISHED, WORK_PLAN_FILED])
