"""A product (小快轻准 数字化产品和服务) and its versions, pure: the vocabularies of its fields, the checks of a
version's content, the admission-review lifecycle of a version and the listing of a product.

A product has versions 1, 2, …; the first is reviewed for admission, each later one is a change request of the
admitted product (a price or a package changed too) and is reviewed again. Past versions stay readable; at most
one version is open (not yet decided) at a time. The product's *listing* says whether the public sees it:
``unlisted`` until a first version is admitted, then ``listed``; ``suspended`` while what it is marked with
(a title) no longer holds or its provider lost its standing, ``listed`` again when it holds once more;
``delisted`` by a city officer with a reason (final).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from sihua_shared.errors import DomainError, Problem, invalid_all
from sihua_shared.statemachine import Machine

PRODUCT_TYPES = {
    "saas": "SaaS 云服务", "licensed_software": "软件许可", "hardware_with_software": "软硬一体",
    "implementation_service": "实施服务", "solution": "解决方案",
}
BUSINESS_LINKS = {"design": "设计", "manufacturing": "制造", "sales": "销售", "service": "服务", "management": "管理",
                  "security": "安全"}  # S2 三(三)
DEPLOYMENTS = {"cloud": "云部署", "on_premise": "本地部署", "hybrid": "混合部署"}
PRICE_UNITS = {"per_year": "元/年", "per_seat_year": "元/账号·年", "per_seat": "元/账号", "one_off": "元（一次性）",
               "per_month": "元/月"}
MARKS = {"key_platform": "重点平台", "traction_unit": "数字化牵引单位", "ecosystem_partner": "产业生态联合体成员"}
# The organisations that offer products: any verified organisation of a provider kind (S2 三(三)); an enterprise
# offers them only as a traction unit (holding that title).
PROVIDER_KINDS = frozenset({"provider", "platform", "traction_unit", "diagnosis_provider"})
TITLE_MARKS = ("key_platform", "traction_unit")


class Review(StrEnum):
    """The admission-review state of one product version (入库审核, S2 五(三))."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    FORMAL_CHECK = "formal_check"
    EXPERT_REVIEW = "expert_review"
    RETURNED = "returned"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an admitted version replaced by a later admitted one


class Step(StrEnum):
    SUBMIT = "submit"
    START_FORMAL_CHECK = "start_formal_check"
    PASS_FORMAL_CHECK = "pass_formal_check"
    RETURN = "return_for_revision"
    REJECT = "reject"
    ADMIT = "admit"


def _reasons(reasons: Sequence[str] = (), **_: Any) -> None:
    if not [r for r in reasons if r.strip()]:
        raise DomainError("reasons_required", "请填写理由", "give at least one reason", field="body.reasons")


REVIEW = Machine[Review, Step](
    entity_en="product version",
    entity_zh="产品版本",
    states=tuple(Review),
    transitions={
        (Review.DRAFT, Step.SUBMIT): Review.SUBMITTED,
        (Review.RETURNED, Step.SUBMIT): Review.SUBMITTED,
        (Review.SUBMITTED, Step.START_FORMAL_CHECK): Review.FORMAL_CHECK,
        (Review.FORMAL_CHECK, Step.PASS_FORMAL_CHECK): Review.EXPERT_REVIEW,
        (Review.FORMAL_CHECK, Step.RETURN): Review.RETURNED,
        (Review.FORMAL_CHECK, Step.REJECT): Review.REJECTED,
        (Review.EXPERT_REVIEW, Step.ADMIT): Review.ADMITTED,
        (Review.EXPERT_REVIEW, Step.RETURN): Review.RETURNED,
        (Review.EXPERT_REVIEW, Step.REJECT): Review.REJECTED,
    },
    state_labels={
        Review.DRAFT: "草稿", Review.SUBMITTED: "已提交", Review.FORMAL_CHECK: "形式审查中", Review.EXPERT_REVIEW: "专家评审中",
        Review.RETURNED: "退回修改", Review.ADMITTED: "已入库", Review.REJECTED: "未通过", Review.SUPERSEDED: "已被新版本替代",
    },
    action_labels={
        Step.SUBMIT: "提交", Step.START_FORMAL_CHECK: "开始形式审查", Step.PASS_FORMAL_CHECK: "形式审查通过",
        Step.RETURN: "退回修改", Step.REJECT: "不予入库", Step.ADMIT: "准予入库",
    },
    guards={Step.RETURN: _reasons, Step.REJECT: _reasons},
)
OPEN = frozenset({Review.DRAFT, Review.SUBMITTED, Review.FORMAL_CHECK, Review.EXPERT_REVIEW, Review.RETURNED})
EDITABLE = frozenset({Review.DRAFT, Review.RETURNED})
PROVIDER_STEPS = frozenset({Step.SUBMIT})


class Listing(StrEnum):
    UNLISTED = "unlisted"
    LISTED = "listed"
    SUSPENDED = "suspended"
    DELISTED = "delisted"


def check_content(content: Mapping[str, Any], known_scenes: Mapping[str, str]) -> None:
    """What a version must hold beyond its fields' types: package codes unique, at least one package, scenes of
    the edition in force, no duplicates in the lists. Every problem at once, each naming its field."""
    problems: list[Problem] = []
    codes = [p["code"] for p in content.get("packages", [])]
    if not codes:
        problems.append(Problem("body.packages", "packages_required", "至少填写一个套餐及价格", "give at least one package"))
    for i, code in enumerate(codes):
        if codes.index(code) != i:
            problems.append(Problem(f"body.packages.{i}.code", "package_code_duplicate", "套餐代码重复",
                                    f"package code {code!r} is repeated"))
    for i, scene in enumerate(content.get("scenes", [])):
        if scene not in known_scenes:
            problems.append(Problem(f"body.scenes.{i}", "unknown_scene", f"场景 {scene} 不在现行指标版本中",
                                    f"scene {scene!r} is not a scene of the edition in force"))
    for name in ("scenes", "business_links", "sectors", "interfaces"):
        values = list(content.get(name, []))
        if len(set(values)) != len(values):
            problems.append(Problem(f"body.{name}", "duplicate_values", "存在重复项", f"{name} lists a value twice"))
    if problems:
        raise invalid_all("product_content_invalid", "产品信息有误", "the product's content is invalid", problems)


def min_price_fen(content: Mapping[str, Any]) -> int | None:
    prices = [int(p["price_fen"]) for p in content.get("packages", [])]
    return min(prices) if prices else None


def catalogue_number(year: int, sequence: int) -> str:
    """入库编号: GZ-XKQZ-<year>-<4-digit sequence within the year>."""
    return f"GZ-XKQZ-{year}-{sequence:04d}"
