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


# Budgets (资金池, issue 14): per fund source, measure and year.
FundSource = Literal["central", "provincial", "city", "district"]


class BudgetFact(EventPayload):
    budget_id: EntityId
    year: int
    measure_id: str
    fund_source: FundSource = Field(description="资金来源：central 中央 / provincial 省级 / city 市级 / district 区级")
    district: str | None = Field(None, description="the district of a district's budget")
    amount_fen: Fen = Field(ge=0, description="the budget's amount, in fen")


class BudgetReserved(BudgetFact):
    """An approved award reserved its share of a budget. 资金池额度已预留。"""

    application_id: EntityId
    reserved_now_fen: Fen = Field(gt=0, description="the part of the award this budget carries, in fen")
    reserved_fen: Fen = Field(ge=0, description="the budget's reserved total after it (approved, not yet paid)")
    paid_fen: Fen = Field(ge=0)
    remaining_fen: Fen = Field(ge=0)


class BudgetExhausted(BudgetFact):
    """A budget has nothing left to reserve. 资金池额度已用尽。"""

    application_id: EntityId = Field(description="the award that used the last of it")


_BUDGET = {"budget_id": "7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a", "year": 2026, "measure_id": "s2-transformation",
           "fund_source": "city", "district": None, "amount_fen": 1_000_000_000}

BUDGET_RESERVED = EventSpec(
    "funding", "budget", "reserved", 1, BudgetReserved, "An award reserved its share of a budget",
    title_zh="资金池额度已预留",
    example={**_BUDGET, "application_id": _APP["application_id"], "reserved_now_fen": 60_000_000,
             "reserved_fen": 60_000_000, "paid_fen": 0, "remaining_fen": 940_000_000},
)
BUDGET_EXHAUSTED = EventSpec(
    "funding", "budget", "exhausted", 1, BudgetExhausted, "A budget has nothing left to reserve",
    title_zh="资金池额度已用尽",
    example={**_BUDGET, "application_id": _APP["application_id"]},
)


# Transformation projects (数字化改造项目, S2 五(五), issue 14 §2).
class ProjectFact(EventPayload):
    project_id: EntityId
    enterprise_id: EntityId
    enterprise_uscc: Uscc
    traction_unit_id: EntityId
    district: str | None = None


class ContractLine(EventPayload):
    product_id: EntityId
    version: int = Field(ge=1)
    package_code: str
    quantity: int = Field(ge=1)
    unit_price_fen: Fen = Field(ge=0)
    amount_fen: Fen = Field(ge=0)
    above_catalogue_price: bool = Field(description="priced above the catalogue package price (flagged for review)")


class Milestone(EventPayload):
    name: str = Field(description="the milestone's name, unique in the project")
    due_on: date = Field(description="the date it is due")


class ProjectContracted(ProjectFact):
    """A pilot enterprise submitted its contract with a titled traction unit for admitted products. 改造项目已签约。"""

    contract_number: str
    contract_amount_fen: Fen = Field(ge=0)
    declared_investment_fen: Fen = Field(ge=0)
    lines: list[ContractLine]
    title_id: EntityId = Field(description="the traction unit's title valid at contracting")
    contracted_on: date
    milestones: list[Milestone] = Field(default_factory=list, description="the contract's milestones and due dates "
                                        "(a progress report names the one it reached)")


class InvestmentApproved(ProjectFact):
    """The third-party organisation set the approved investment (核定投入). 改造项目投入已核定。"""

    approved_investment_fen: Fen = Field(ge=0)
    approved_on: date
    approved_by_account_id: str


class ProgressReported(ProjectFact):
    """The traction unit reported the project's progress. 改造项目进度已报告。"""

    percent: int = Field(ge=0, le=100)
    reported_on: date
    milestone: str | None = None


class ProjectCompleted(ProjectFact):
    """The traction unit completed the project. 改造项目已完成。"""

    completed_on: date


class AcceptanceApplied(ProjectFact):
    """The enterprise applied for acceptance of the completed project. 改造项目已申请验收。"""

    applied_on: date


class ProjectAccepted(ProjectFact):
    """The project passed acceptance. 改造项目验收通过。"""

    accepted_on: date
    verified_actual_investment_fen: Fen = Field(ge=0)


class ProjectFailed(ProjectFact):
    """The project failed acceptance. 改造项目验收未通过。"""

    failed_on: date
    reasons: list[str] = Field(min_length=1)


_PROJECT = {"project_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "enterprise_id": _APP["applicant_id"],
            "enterprise_uscc": _APP["applicant_uscc"], "traction_unit_id": "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
            "district": "baiyun"}

PROJECT_CONTRACTED = EventSpec(
    "funding", "project", "contracted", 1, ProjectContracted, "A transformation project was contracted",
    title_zh="改造项目已签约",
    example={**_PROJECT, "contract_number": "HT-2026-001", "contract_amount_fen": 39_600_000,
             "declared_investment_fen": 40_000_000, "title_id": "title-1", "contracted_on": "2026-03-10",
             "milestones": [{"name": "上线试运行", "due_on": "2026-06-30"}],
             "lines": [{"product_id": "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", "version": 1, "package_code": "pro", "quantity": 2,
                        "unit_price_fen": 19_800_000, "amount_fen": 39_600_000, "above_catalogue_price": False}]},
)
INVESTMENT_APPROVED = EventSpec(
    "funding", "project", "investment_approved", 1, InvestmentApproved, "A project's approved investment was set",
    title_zh="改造项目投入已核定",
    example={**_PROJECT, "approved_investment_fen": 38_000_000, "approved_on": "2026-03-20",
             "approved_by_account_id": "acct-third-party"},
)
PROGRESS_REPORTED = EventSpec(
    "funding", "project", "progress_reported", 1, ProgressReported, "A project's progress was reported",
    title_zh="改造项目进度已报告",
    example={**_PROJECT, "percent": 50, "reported_on": "2026-05-01", "milestone": "上线试运行"},
)
PROJECT_COMPLETED = EventSpec(
    "funding", "project", "completed", 1, ProjectCompleted, "A transformation project was completed",
    title_zh="改造项目已完成", example={**_PROJECT, "completed_on": "2026-08-01"},
)
ACCEPTANCE_APPLIED = EventSpec(
    "funding", "project", "acceptance_applied", 1, AcceptanceApplied, "A project applied for acceptance",
    title_zh="改造项目已申请验收", example={**_PROJECT, "applied_on": "2026-09-01"},
)
PROJECT_ACCEPTED = EventSpec(
    "funding", "project", "accepted", 1, ProjectAccepted, "A project passed acceptance",
    title_zh="改造项目验收通过", example={**_PROJECT, "accepted_on": "2026-09-20", "verified_actual_investment_fen": 37_000_000},
)
PROJECT_FAILED = EventSpec(
    "funding", "project", "failed", 1, ProjectFailed, "A project failed acceptance",
    title_zh="改造项目验收未通过", example={**_PROJECT, "failed_on": "2026-09-20", "reasons": ["改造内容未完成"]},
)


# Disbursement and claw-back (拨付与追回, issue 14 §5, §6).
Tranche = Literal["whole", "first", "final"]
ClawbackReason = Literal["failed_progress_check", "revoked_acceptance", "double_funding", "recomputed_below_paid"]


class PaymentFact(EventPayload):
    payment_order_id: EntityId
    application_id: EntityId
    measure_id: str
    project_id: str
    applicant_id: EntityId
    applicant_uscc: Uscc
    district: str | None = None
    tranche: Tranche = Field(description="whole 一次性 / first 首笔 (S4 (四) 30%) / final 尾款")
    amount_fen: Fen = Field(gt=0, description="the order's amount, in fen")
    offset_fen: Fen = Field(0, ge=0, description="the part of the amount withheld to settle open claw-backs (抵扣), in fen")


class PaymentOrdered(PaymentFact):
    """A payment order for one tranche of an approved award went to the finance side. 拨付指令已下达。"""

    ordered_on: date
    payee_account_masked: str = Field(description="the payee's account, masked (****1234)")


class PaymentPaid(PaymentFact):
    """The finance side confirmed a payment order paid. 资金已拨付。"""

    paid_on: date
    bank_reference: str
    confirmed_by: Literal["finance", "service", "payment_file"] = Field(
        description="a finance officer, the bank's service client, or an imported payment file")


class ClawbackFact(EventPayload):
    clawback_id: EntityId
    application_id: EntityId
    measure_id: str
    project_id: str
    applicant_id: EntityId
    applicant_uscc: Uscc
    district: str | None = None


class ClawbackOpened(ClawbackFact):
    """A recovery of paid public money was opened. 追回已发起。"""

    reason: ClawbackReason
    amount_fen: Fen = Field(gt=0)
    opened_on: date


class ClawbackOffset(ClawbackFact):
    """Part of a claw-back was settled by withholding it from a later payment to the same enterprise. 追回已抵扣。"""

    payment_order_id: EntityId
    offset_fen: Fen = Field(gt=0)
    outstanding_fen: Fen = Field(ge=0, description="what is still to be recovered after it")
    offset_on: date


class ClawbackRepaid(ClawbackFact):
    """The enterprise repaid part of a claw-back (a receivable). 追回款已退回。"""

    repaid_fen: Fen = Field(gt=0)
    outstanding_fen: Fen = Field(ge=0)
    repaid_on: date


class ClawbackSettled(ClawbackFact):
    """A claw-back was recovered in full. 追回已结清。"""

    amount_fen: Fen = Field(gt=0)
    offset_fen: Fen = Field(ge=0, description="the part recovered by offsets")
    repaid_fen: Fen = Field(ge=0, description="the part repaid")
    settled_on: date


_PAY = {"payment_order_id": "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "application_id": _APP["application_id"],
        "measure_id": "s4-tech-transformation", "project_id": "proj-2026-001", "applicant_id": _APP["applicant_id"],
        "applicant_uscc": _APP["applicant_uscc"], "district": "shiqi", "tranche": "first", "amount_fen": 3_000_000,
        "offset_fen": 0}
_CLAW = {"clawback_id": "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e", "application_id": _APP["application_id"],
         "measure_id": "s4-tech-transformation", "project_id": "proj-2026-001", "applicant_id": _APP["applicant_id"],
         "applicant_uscc": _APP["applicant_uscc"], "district": "shiqi"}

PAYMENT_ORDERED = EventSpec(
    "funding", "payment", "ordered", 1, PaymentOrdered, "A payment order for one tranche of an award was made",
    title_zh="拨付指令已下达", example={**_PAY, "ordered_on": "2026-04-01", "payee_account_masked": "****1234"},
)
PAYMENT_PAID = EventSpec(
    "funding", "payment", "paid", 1, PaymentPaid, "A payment order was confirmed paid", title_zh="资金已拨付",
    example={**_PAY, "paid_on": "2026-04-03", "bank_reference": "BOC-20260403-0001", "confirmed_by": "finance"},
)
CLAWBACK_OPENED = EventSpec(
    "funding", "clawback", "opened", 1, ClawbackOpened, "A claw-back of paid money was opened", title_zh="追回已发起",
    example={**_CLAW, "reason": "failed_progress_check", "amount_fen": 3_000_000, "opened_on": "2026-06-01"},
)
CLAWBACK_OFFSET = EventSpec(
    "funding", "clawback", "offset", 1, ClawbackOffset, "Part of a claw-back was withheld from a later payment",
    title_zh="追回已抵扣",
    example={**_CLAW, "payment_order_id": _PAY["payment_order_id"], "offset_fen": 1_000_000, "outstanding_fen": 2_000_000,
             "offset_on": "2026-09-01"},
)
CLAWBACK_REPAID = EventSpec(
    "funding", "clawback", "repaid", 1, ClawbackRepaid, "Part of a claw-back was repaid", title_zh="追回款已退回",
    example={**_CLAW, "repaid_fen": 2_000_000, "outstanding_fen": 0, "repaid_on": "2026-09-10"},
)
CLAWBACK_SETTLED = EventSpec(
    "funding", "clawback", "settled", 1, ClawbackSettled, "A claw-back was recovered in full", title_zh="追回已结清",
    example={**_CLAW, "amount_fen": 3_000_000, "offset_fen": 1_000_000, "repaid_fen": 2_000_000, "settled_on": "2026-09-10"},
)
