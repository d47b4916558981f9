"""Facts published by funding (资金奖补): applications and their decisions, policy versions activated.

Money is integer fen (1元 = 100 fen), never a float. An approved application carries its amount and the summary
of its computation's trace: each rule applied in order with its clause and the amount after it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from ..events import EventPayload, EventSpec
from .common import EntityId, Uscc

Fen = int


class ApplicationFact(EventPayload):
    application_id: EntityId
    policy_id: str
    policy_version_id: str
    measure_id: str
    clause: str = Field(description="the measure's clause, e.g. S2 四(一)1")
    applicant_id: EntityId
    applicant_uscc: Uscc
    project_id: str = Field(description="the project shared across measures (no double application for one project)")
    district: str | None = None
    draft_policy: bool = Field(description="the policy is a draft (征求意见稿): the amount is computed, flagged")


class ApplicationSubmitted(ApplicationFact):
    """An applicant submitted an application for one measure. 奖补申请已提交。"""

    submitted_on: date
    submitted_by_account_id: str


class ApplicationReviewed(ApplicationFact):
    """A city officer or third-party reviewer reviewed (审核) the application. 奖补申请已审核。"""

    reviewed_on: date
    reviewed_by_account_id: str
    computed_amount_fen: Fen = Field(ge=0, description="the amount the review computed, in fen")


class TraceLine(EventPayload):
    rule: str
    clause: str
    amount_fen: Fen = Field(description="the amount after the rule, in fen (a condition's line: 1 met, 0 unmet)")


class ApplicationApproved(ApplicationFact):
    """A different city officer approved (审批) the application; the award entered the ledger. 奖补申请已审批通过。"""

    approved_on: date
    approved_by_account_id: str
    amount_fen: Fen = Field(ge=0, description="the amount awarded, in fen")
    award_group: str
    trace: list[TraceLine] = Field(description="the computation's rules in order")
    readings: list[str] = Field(default_factory=list, description="the readings of open points the amount relied on")


class ApplicationRejected(ApplicationFact):
    """The application was rejected, with its reasons. 奖补申请未通过。"""

    rejected_on: date
    rejected_by_account_id: str
    stage: Literal["review", "approval"]
    reasons: list[str] = Field(min_length=1)


class PolicyVersionActivated(EventPayload):
    """A version of a funding policy was registered (shipped, or uploaded by an official); applications dated on or
    after its ``effective_from`` use it. 资金政策版本已启用。"""

    policy_id: str
    version_id: str
    content_hash: str
    jurisdiction: str
    title: str
    status: Literal["draft", "in_force", "expired"]
    valid_from: date
    valid_until: date | None = None
    effective_from: date
    measures: list[str]
    activated_by_account_id: str
    shipped: bool


_APP = {
    "application_id": "2f6c1a8e-3b4d-4e5f-9a6b-7c8d9e0f1a2b",
    "policy_id": "gz-s2-sme-pilot",
    "policy_version_id": "gz-s2-sme-pilot@0123456789ab",
    "measure_id": "s2-transformation",
    "clause": "S2 四(一)1",
    "applicant_id": "5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "applicant_uscc": "91440101MA0000001Q",
    "project_id": "proj-2026-001",
    "district": "baiyun",
    "draft_policy": False,
}

APPLICATION_SUBMITTED = EventSpec(
    "funding", "application", "submitted", 1, ApplicationSubmitted, "An application for a measure was submitted",
    title_zh="奖补申请已提交",
    example={**_APP, "submitted_on": "2026-03-10", "submitted_by_account_id": "acct-ent-1"},
)
APPLICATION_REVIEWED = EventSpec(
    "funding", "application", "reviewed", 1, ApplicationReviewed, "An application was reviewed (审核)",
    title_zh="奖补申请已审核",
    example={**_APP, "reviewed_on": "2026-03-12", "reviewed_by_account_id": "acct-reviewer", "computed_amount_fen": 60_000_000},
)
APPLICATION_APPROVED = EventSpec(
    "funding", "application", "approved", 1, ApplicationApproved, "An application was approved (审批) and awarded",
    title_zh="奖补申请已审批通过",
    example={**_APP, "approved_on": "2026-03-15", "approved_by_account_id": "acct-approver", "amount_fen": 60_000_000,
             "award_group": "s2-transformation",
             "trace": [{"rule": "base:approved_or_verified_lower", "clause": "S2 四(一)1", "amount_fen": 150_000_000},
                       {"rule": "share", "clause": "S2 四(一)1", "amount_fen": 75_000_000},
                       {"rule": "cap:level-cap", "clause": "S2 四(一)1", "amount_fen": 60_000_000}],
             "readings": ["补助基数取核定投入与核定实际投入两者较低者"]},
)
APPLICATION_REJECTED = EventSpec(
    "funding", "application", "rejected", 1, ApplicationRejected, "An application was rejected",
    title_zh="奖补申请未通过",
    example={**_APP, "rejected_on": "2026-03-12", "rejected_by_account_id": "acct-reviewer", "stage": "review",
             "reasons": ["验收未通过"]},
)
POLICY_VERSION_ACTIVATED = EventSpec(
    "funding", "policy", "version_activated", 1, PolicyVersionActivated, "A funding policy version was activated",
    title_zh="资金政策版本已启用",
    example={"policy_id": "gz-s2-sme-pilot", "version_id": "gz-s2-sme-pilot@0123456789ab", "content_hash": "0" * 64,
             "jurisdiction": "guangzhou", "title": "广州市中小企业数字化转型城市试点工作方案（2024—2026年）",
             "status": "in_force", "valid_from": "2024-01-01", "valid_until": "2026-12-31", "effective_from": "2024-01-01",
             "measures": ["s2-transformation", "s2-digital-loan"], "activated_by_account_id": "system", "shipped": True},
)
