"""Facts published by the registry (征集 · 遴选): organisations, calls, applications, titles, the pilot pool."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from ..events import EventPayload, EventSpec
from .common import EntityId, Uscc

OrganisationKind = Literal[
    "enterprise", "platform", "traction_unit", "diagnosis_provider", "third_party", "agency", "provider", "cluster_body"
]
VerificationStatus = Literal["unverified", "verified", "rejected"]


class OrganisationRegistered(EventPayload):
    """An organisation (enterprise or provider) entered the registry. 组织已登记。"""

    organisation_id: EntityId
    uscc: Uscc
    name: str = Field(description="名称")
    kind: OrganisationKind
    district: str | None = Field(default=None, description="区 code")
    sector: str | None = Field(default=None, description="pilot sector code")
    industry_code: str | None = Field(default=None, description="GB/T 4754 行业代码")
    size_class: Literal["large", "medium", "small", "micro"] | None = None
    verification: VerificationStatus | None = Field(
        default=None, description="unverified for a public sign-up until a district officer decides; none: verified"
    )
    systems: list[str] | None = Field(
        default=None, description="systems the enterprise says it runs (ERP, MES, PLM, WMS, ...), as codes; none: not said"
    )


class OrganisationUpdated(EventPayload):
    """An organisation's profile changed; the payload is the profile after the change. 组织信息已更新。"""

    organisation_id: EntityId
    uscc: Uscc
    name: str
    kind: OrganisationKind
    district: str | None = None
    sector: str | None = None
    industry_code: str | None = None
    size_class: Literal["large", "medium", "small", "micro"] | None = None
    version: int = Field(ge=1)
    verification: VerificationStatus | None = Field(default=None, description="none: verified (registered by an official)")
    systems: list[str] | None = Field(
        default=None, description="systems the enterprise says it runs (ERP, MES, PLM, WMS, ...), as codes"
    )


_ORG_EXAMPLE = {
    "organisation_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f",
    "uscc": "91440101MA0000001Q",
    "name": "广州示例制造有限公司",
    "kind": "enterprise",
    "district": "huangpu",
    "sector": "custom_furniture",
    "industry_code": "C2110",
    "size_class": "small",
}

ORGANISATION_REGISTERED = EventSpec(
    "registry", "organisation", "registered", 1, OrganisationRegistered,
    "An organisation was registered", example=_ORG_EXAMPLE, title_zh="组织已登记",
)
ORGANISATION_UPDATED = EventSpec(
    "registry", "organisation", "updated", 1, OrganisationUpdated,
    "An organisation's profile was updated", example={**_ORG_EXAMPLE, "version": 2}, title_zh="组织信息已更新",
)


class OrganisationVerified(EventPayload):
    """A signed-up organisation was verified by a district (or city) officer, or automatically through the
    province's enterprise identity service. From now on its self-assessments count. 组织已核验。"""

    organisation_id: EntityId
    uscc: Uscc
    kind: OrganisationKind
    district: str | None = None
    verified_by: Literal["district_officer", "city_officer", "external_identity"]
    verified_on: date
    version: int = Field(ge=1)


class OrganisationRejected(EventPayload):
    """A signed-up organisation was rejected, with the reason. 组织核验未通过。"""

    organisation_id: EntityId
    uscc: Uscc
    reason: str
    rejected_on: date
    version: int = Field(ge=1)


ORGANISATION_VERIFIED = EventSpec(
    "registry", "organisation", "verified", 1, OrganisationVerified, "A signed-up organisation was verified",
    title_zh="组织已核验",
    example={"organisation_id": _ORG_EXAMPLE["organisation_id"], "uscc": _ORG_EXAMPLE["uscc"], "kind": "enterprise",
             "district": "huangpu", "verified_by": "district_officer", "verified_on": "2026-03-02", "version": 2},
)
ORGANISATION_REJECTED = EventSpec(
    "registry", "organisation", "rejected", 1, OrganisationRejected, "A signed-up organisation was rejected",
    title_zh="组织核验未通过",
    example={"organisation_id": _ORG_EXAMPLE["organisation_id"], "uscc": _ORG_EXAMPLE["uscc"],
             "reason": "营业执照信息与统一社会信用代码不符", "rejected_on": "2026-03-02", "version": 2},
)


# ---- the expert pool (专家库) and declared relationships (the conflict data) -------------------

RelationshipKind = Literal["shareholding", "group_membership", "staff_move"]


class ExpertProfileSet(EventPayload):
    """An expert joined the pool or their profile changed; the payload is the profile after the change. Consumers
    that draw review panels (catalog's admission review) keep it as their read model of the pool. 专家信息已更新。"""

    expert_account_id: EntityId
    display_name: str
    organisation_id: EntityId | None = Field(default=None, description="the expert's own organisation, if any")
    fields: list[str] = Field(description="fields of expertise (专业领域)")
    district: str | None = Field(default=None, description="区 code, when the expert is bound to one")
    can_chair: bool = True
    declared_conflicts: list[EntityId] = Field(default_factory=list, description="organisations the expert declares a conflict with")
    active: bool = True
    version: int = Field(ge=1, description="the profile's version; a consumer ignores an older one")


class ExpertLeftPool(EventPayload):
    """An expert left the pool (role withdrawn or account deactivated); no panel draws them any more. 专家已出库。"""

    expert_account_id: EntityId
    version: int = Field(ge=1)


class RelationshipDeclared(EventPayload):
    """Two organisations declared a relationship (shareholding, group, staff moving): conflict data for panels.
    Direction does not matter. 关联关系已申报。"""

    relationship_id: EntityId
    organisation_a_id: EntityId
    organisation_b_id: EntityId
    kind: RelationshipKind
    declared_on: date


class RelationshipWithdrawn(EventPayload):
    """A declared relationship was withdrawn by an official. 关联关系已撤回。"""

    relationship_id: EntityId
    organisation_a_id: EntityId
    organisation_b_id: EntityId
    reason: str


_EXPERT = {"expert_account_id": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b"}
_REL = {"relationship_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "organisation_a_id": _ORG_EXAMPLE["organisation_id"],
        "organisation_b_id": "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"}
EXPERT_PROFILE_SET = EventSpec(
    "registry", "expert", "profile_set", 1, ExpertProfileSet, "An expert's pool profile was set", title_zh="专家信息已更新",
    example={**_EXPERT, "display_name": "李专家", "organisation_id": None, "fields": ["工业互联网", "智能制造"],
             "district": None, "can_chair": True, "declared_conflicts": [], "active": True, "version": 1},
)
EXPERT_LEFT_POOL = EventSpec(
    "registry", "expert", "left_pool", 1, ExpertLeftPool, "An expert left the pool", title_zh="专家已出库",
    example={**_EXPERT, "version": 2},
)
RELATIONSHIP_DECLARED = EventSpec(
    "registry", "relationship", "declared", 1, RelationshipDeclared, "A relationship between organisations was declared",
    title_zh="关联关系已申报", example={**_REL, "kind": "shareholding", "declared_on": "2026-02-01"},
)
RELATIONSHIP_WITHDRAWN = EventSpec(
    "registry", "relationship", "withdrawn", 1, RelationshipWithdrawn, "A declared relationship was withdrawn",
    title_zh="关联关系已撤回", example={**_REL, "reason": "股权已转让"},
)


# ---- 产业生态联合体 (a traction unit's partners) and 特色产业集群 (cluster bodies and members) ------


class EcosystemPartnerConfirmed(EventPayload):
    """A traction unit declared a provider as a partner of its ecosystem alliance (产业生态联合体) and the partner
    confirmed. Catalog marks the partner's products so. 生态联合体成员已确认。"""

    membership_id: EntityId
    traction_unit_id: EntityId
    traction_unit_uscc: Uscc
    partner_id: EntityId
    partner_uscc: Uscc
    confirmed_on: date


class EcosystemPartnerEnded(EventPayload):
    """A partner left a traction unit's ecosystem alliance. 生态联合体成员关系已终止。"""

    membership_id: EntityId
    traction_unit_id: EntityId
    partner_id: EntityId
    reason: str
    ended_on: date


class ClusterMemberApproved(EventPayload):
    """An enterprise became a member of a cluster body's characteristic industrial cluster (特色产业集群): recommended
    by the district, approved by the city. Catalog lets it enrol in the cluster's group purchases. 集群成员已确认。"""

    membership_id: EntityId
    cluster_body_id: EntityId
    cluster_body_uscc: Uscc
    cluster_name: str
    enterprise_id: EntityId
    enterprise_uscc: Uscc
    district: str
    approved_on: date


class ClusterMemberRemoved(EventPayload):
    """An enterprise left a cluster. 集群成员已移出。"""

    membership_id: EntityId
    cluster_body_id: EntityId
    enterprise_id: EntityId
    reason: str
    removed_on: date


_ECO = {"membership_id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "traction_unit_id": _ORG_EXAMPLE["organisation_id"],
        "partner_id": "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"}
_CLUSTER = {"membership_id": "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f", "cluster_body_id": "4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f8a",
            "enterprise_id": _ORG_EXAMPLE["organisation_id"]}
ECOSYSTEM_PARTNER_CONFIRMED = EventSpec(
    "registry", "ecosystem", "partner_confirmed", 1, EcosystemPartnerConfirmed,
    "A partner of a traction unit's ecosystem alliance confirmed", title_zh="生态联合体成员已确认",
    example={**_ECO, "traction_unit_uscc": _ORG_EXAMPLE["uscc"], "partner_uscc": "91440101MA0000002N",
             "confirmed_on": "2026-03-10"},
)
ECOSYSTEM_PARTNER_ENDED = EventSpec(
    "registry", "ecosystem", "partner_ended", 1, EcosystemPartnerEnded, "A partner left an ecosystem alliance",
    title_zh="生态联合体成员关系已终止", example={**_ECO, "reason": "合作协议到期", "ended_on": "2027-03-10"},
)
CLUSTER_MEMBER_APPROVED = EventSpec(
    "registry", "cluster", "member_approved", 1, ClusterMemberApproved, "An enterprise joined a cluster",
    title_zh="集群成员已确认",
    example={**_CLUSTER, "cluster_body_uscc": "91440101MA0000003L", "cluster_name": "白云区定制家居产业集群",
             "enterprise_uscc": _ORG_EXAMPLE["uscc"], "district": "baiyun", "approved_on": "2026-04-01"},
)
CLUSTER_MEMBER_REMOVED = EventSpec(
    "registry", "cluster", "member_removed", 1, ClusterMemberRemoved, "An enterprise left a cluster",
    title_zh="集群成员已移出", example={**_CLUSTER, "reason": "企业迁出本区", "removed_on": "2026-10-01"},
)


# ---- accounts ---------------------------------------------------------------------------------


class AccountDeactivated(EventPayload):
    """An account was deactivated: every service refuses its access tokens from now on, without waiting for them to
    expire, and the registry refuses its refresh tokens and logins. 账号已停用。"""

    account_id: EntityId
    organisation_id: EntityId | None = Field(default=None, description="所属单位; none for officials and experts")
    version: int = Field(ge=1, description="the account's version after the change; a consumer ignores an older one")


class AccountReactivated(EventPayload):
    """A deactivated account was activated again: its tokens are accepted again everywhere (it signs in anew, since
    deactivation ended its sessions). 账号已恢复启用。"""

    account_id: EntityId
    organisation_id: EntityId | None = Field(default=None, description="所属单位; none for officials and experts")
    version: int = Field(ge=1, description="the account's version after the change; a consumer ignores an older one")


_ACCOUNT = {"account_id": "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a", "organisation_id": _ORG_EXAMPLE["organisation_id"]}
ACCOUNT_DEACTIVATED = EventSpec(
    "registry", "account", "deactivated", 1, AccountDeactivated, "An account was deactivated", title_zh="账号已停用",
    example={**_ACCOUNT, "version": 2},
)
ACCOUNT_REACTIVATED = EventSpec(
    "registry", "account", "reactivated", 1, AccountReactivated, "A deactivated account was activated again",
    title_zh="账号已恢复启用", example={**_ACCOUNT, "version": 3},
)


# ---- 征集: calls and applications -------------------------------------------------------------

# The kind of a call and of the title it grants is jurisdiction data (the keys of ``titles`` in the jurisdiction's
# YAML): a code, not a closed list. Guangzhou: key_platform, traction_unit, diagnosis_provider, third_party,
# digital_workshop, smart_manufacturing_factory, typical_scenario, chain_case, excellent_traction_unit,
# excellent_provider; Zhongshan: key_platform (标杆平台), demonstration_factory, demonstration_workshop, iiot_benchmark.
# Consumers key their rules on the code and show ``name_zh``; a code they have no rule for is not an error. At most
# 50 characters: the consumers' read models (``sihua_shared.readmodels.known_titles_table``) store that many.
KindCode = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=50,
          description="a title kind of the jurisdiction (jurisdiction data), e.g. key_platform, digital_workshop"),
]
CallKind = KindCode


class CallOpened(EventPayload):
    """A call for applications opened. 征集已发布。"""

    call_id: EntityId
    kind: CallKind
    category: str | None = Field(default=None, description="platform category (S0 二(一)) for key-platform calls")
    sector: str | None = Field(default=None, description="pilot sector for traction-unit calls")
    title: str
    opens_on: date
    closes_on: date | None = Field(default=None, description="None: open all year (常态化征集)")
    experts_per_application: int = Field(ge=1)


class CallClosed(EventPayload):
    """A call stopped accepting applications. 征集已截止。"""

    call_id: EntityId
    closed_on: date
    reason: str = ""


class ApplicationSubmitted(EventPayload):
    """An organisation submitted (or resubmitted) an application to a call. 申报已提交。"""

    application_id: EntityId
    call_id: EntityId
    organisation_id: EntityId
    uscc: Uscc
    version: int = Field(ge=1)


class ApplicationReturned(EventPayload):
    """The formal check returned an application for revision. 申报已退回补正。"""

    application_id: EntityId
    call_id: EntityId
    organisation_id: EntityId
    reasons: list[str]
    version: int = Field(ge=1)


class ExpertAssigned(EventPayload):
    """An expert was assigned to review an application. 已分配评审专家。"""

    application_id: EntityId
    call_id: EntityId
    expert_account_id: EntityId
    chair: bool = False
    due_on: date | None = None
    assignment_seed: int


class ApplicationDecided(EventPayload):
    """The final decision on an application after publicity. 遴选结果已确定。"""

    application_id: EntityId
    call_id: EntityId
    organisation_id: EntityId
    decision: Literal["selected", "rejected"]
    final_score: str | None = Field(default=None, description="exact decimal string, e.g. '86.25'")
    rank: int | None = None
    version: int = Field(ge=1)


class ObjectionFiled(EventPayload):
    """An objection was filed during publicity. 公示期异议已提出。"""

    objection_id: EntityId
    application_id: EntityId
    call_id: EntityId
    organisation_id: EntityId = Field(description="the applicant the objection concerns")
    filed_by_account_id: EntityId


class ObjectionResolved(EventPayload):
    """An objection was resolved. 异议已处理。"""

    objection_id: EntityId
    application_id: EntityId
    call_id: EntityId
    organisation_id: EntityId
    upheld: bool
    resolution: str


# ---- titles -----------------------------------------------------------------------------------

TitleKind = KindCode


class TitleGranted(EventPayload):
    """A title was granted on selection, e.g. 广州市四化赋能重点平台. 称号已授予。"""

    title_id: EntityId
    title_number: str
    kind: TitleKind
    name_zh: str = Field(description="称号名称, the jurisdiction's name of the title kind")
    organisation_id: EntityId
    uscc: Uscc
    call_id: EntityId | None = None
    application_id: EntityId | None = None
    valid_from: date
    valid_until: date
    year: int | None = Field(
        default=None, ge=1000, le=9999,
        description="the year the title was granted in (its number's year; the year a yearly cap counts it in); "
                    "always set by the registry, optional for facts recorded before it was added",
    )
    source: str | None = Field(default=None, description="the policy clause of the kind, e.g. S2 三(五)")


class TitleRevoked(EventPayload):
    """A title was revoked by a city officer or on a failing evaluation verdict (S0 二(六)). 称号已撤销。"""

    title_id: EntityId
    title_number: str
    kind: TitleKind
    organisation_id: EntityId
    uscc: Uscc
    reason: str
    revoked_on: date
    revoked_by: Literal["city_officer", "evaluation"]
    cycle_id: EntityId | None = None


# ---- the pilot pool (诊断+改造入库名单) ----------------------------------------------------------


class EnterpriseEnrolled(EventPayload):
    """An SME entered the city pilot pool (S2 二, 五). 企业已入库试点名单。"""

    enterprise_id: EntityId
    uscc: Uscc
    sector: str
    district: str
    size_class: Literal["medium", "small", "micro"]
    enrolled_on: date


class EnterpriseRemoved(EventPayload):
    """An SME left the city pilot pool. 企业已移出试点名单。"""

    enterprise_id: EntityId
    uscc: Uscc
    reason: str
    removed_on: date


_IDS = {
    "call_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "application_id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
    "organisation_id": _ORG_EXAMPLE["organisation_id"],
}

CALL_OPENED = EventSpec(
    "registry", "call", "opened", 1, CallOpened, "A call for applications opened", title_zh="征集已发布",
    example={"call_id": _IDS["call_id"], "kind": "key_platform", "category": "industrial_internet",
             "title": "2026年广州市四化赋能重点平台征集", "opens_on": "2026-01-05", "closes_on": None,
             "experts_per_application": 5},
)
CALL_CLOSED = EventSpec(
    "registry", "call", "closed", 1, CallClosed, "A call closed", title_zh="征集已截止",
    example={"call_id": _IDS["call_id"], "closed_on": "2026-06-30", "reason": "申报期结束"},
)
APPLICATION_SUBMITTED = EventSpec(
    "registry", "application", "submitted", 1, ApplicationSubmitted, "An application was submitted", title_zh="申报已提交",
    example={**_IDS, "uscc": _ORG_EXAMPLE["uscc"], "version": 2},
)
APPLICATION_RETURNED = EventSpec(
    "registry", "application", "returned", 1, ApplicationReturned, "An application was returned for revision",
    title_zh="申报已退回补正", example={**_IDS, "reasons": ["缺少近三年财务审计报告"], "version": 3},
)
EXPERT_ASSIGNED = EventSpec(
    "registry", "application", "expert_assigned", 1, ExpertAssigned, "An expert was assigned to an application",
    title_zh="已分配评审专家",
    example={"application_id": _IDS["application_id"], "call_id": _IDS["call_id"],
             "expert_account_id": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "chair": True, "due_on": "2026-03-01",
             "assignment_seed": 20260105},
)
APPLICATION_DECIDED = EventSpec(
    "registry", "application", "decided", 1, ApplicationDecided, "An application was decided", title_zh="遴选结果已确定",
    example={**_IDS, "decision": "selected", "final_score": "86.25", "rank": 1, "version": 7},
)
OBJECTION_FILED = EventSpec(
    "registry", "objection", "filed", 1, ObjectionFiled, "An objection was filed during publicity", title_zh="公示期异议已提出",
    example={**_IDS, "objection_id": "4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c",
             "filed_by_account_id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"},
)
OBJECTION_RESOLVED = EventSpec(
    "registry", "objection", "resolved", 1, ObjectionResolved, "An objection was resolved", title_zh="异议已处理",
    example={**_IDS, "objection_id": "4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c", "upheld": False,
             "resolution": "经核查，申报材料属实，异议不成立"},
)
_TITLE = {
    "title_id": "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
    "title_number": "GZSH-KP-2026-0001",
    "kind": "key_platform",
    "organisation_id": _ORG_EXAMPLE["organisation_id"],
    "uscc": _ORG_EXAMPLE["uscc"],
}
TITLE_GRANTED = EventSpec(
    "registry", "title", "granted", 1, TitleGranted, "A title was granted", title_zh="称号已授予",
    example={**_TITLE, "name_zh": "广州市四化赋能重点平台", "call_id": _IDS["call_id"],
             "application_id": _IDS["application_id"], "valid_from": "2026-04-01", "valid_until": "2028-03-31",
             "year": 2026, "source": "S0 二(二)"},
)
TITLE_REVOKED = EventSpec(
    "registry", "title", "revoked", 1, TitleRevoked, "A title was revoked", title_zh="称号已撤销",
    example={**_TITLE, "reason": "年度评价不合格", "revoked_on": "2027-04-15", "revoked_by": "evaluation",
             "cycle_id": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"},
)
ENTERPRISE_ENROLLED = EventSpec(
    "registry", "pilot_pool", "enterprise_enrolled", 1, EnterpriseEnrolled, "An SME entered the pilot pool",
    title_zh="已纳入试点企业名单",
    example={"enterprise_id": _ORG_EXAMPLE["organisation_id"], "uscc": _ORG_EXAMPLE["uscc"], "sector": "custom_furniture",
             "district": "baiyun", "size_class": "small", "enrolled_on": "2026-02-10"},
)
ENTERPRISE_REMOVED = EventSpec(
    "registry", "pilot_pool", "enterprise_removed", 1, EnterpriseRemoved, "An SME left the pilot pool",
    title_zh="已移出试点企业名单",
    example={"enterprise_id": _ORG_EXAMPLE["organisation_id"], "uscc": _ORG_EXAMPLE["uscc"],
             "reason": "企业申请退出", "removed_on": "2026-08-01"},
)
