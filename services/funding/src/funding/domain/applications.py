"""Applications for one measure, pure: states, who may apply, which inputs are the official's, the rule that one
project is not funded twice (S4 附则(三); S2 四(一)1 lets the loan-interest subsidy combine with the transformation
subsidy), and review and approval by two different people.

States: ``draft`` → ``submitted`` → ``reviewed`` (审核) → ``approved`` (审批) or ``rejected`` (at review or approval).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sihua_shared.statemachine import Machine

from .policy_schema import Measure

STATES = ("draft", "submitted", "reviewed", "approved", "rejected")
OPEN_STATES = ("submitted", "reviewed", "approved")
MACHINE: Machine[str, str] = Machine(
    "funding application", "奖补申请", STATES,
    {("draft", "submit"): "submitted", ("submitted", "review"): "reviewed", ("submitted", "reject"): "rejected",
     ("reviewed", "approve"): "approved", ("reviewed", "reject"): "rejected"},
    {"draft": "草稿", "submitted": "已提交", "reviewed": "已审核", "approved": "已审批通过", "rejected": "未通过"},
    {"submit": "提交", "review": "审核", "approve": "审批通过", "reject": "不予通过"},
)

# Figures an official sets (核定, the batch's rate, a proposed amount): never the applicant's.
OFFICIAL_INPUTS = frozenset({"approved_investment_fen", "verified_actual_investment_fen", "batch_rate", "proposed_fen",
                             "proposal_reason"})
# Facts an official may attest at review (a national honour, a benchmark platform's service), beside those funding
# keeps from other services (levels, tiers, titles, diagnosis fees).
OFFICIAL_FACTS = frozenset({"honour", "benchmark"})
# Inputs an applicant may give (money in fen, the interest period's start).
APPLICANT_INPUTS = frozenset({
    "invested_total_fen", "project_total_fen", "investment_fen", "equipment_software_investment_fen",
    "equipment_contract_invoice_fen", "loan_contract_amount_fen", "contract_amount_fen", "actual_interest_paid_fen",
    "project_total_investment_fen", "other_public_funding_fen", "other_funds_fen", "other_city_funded_fen",
    "interest_period_start",
})


def transition(state: str, action: str) -> str:
    return MACHINE.step(state, action)


def may_apply(measure: Measure, organisation_kind: str) -> bool:
    """The organisation entitled to apply for the measure (an enterprise, a platform, a traction unit...)."""
    return measure.computable and organisation_kind in measure.applicants


def unknown_inputs(inputs: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    allowed = set(allowed)
    return sorted(k for k in inputs if k not in allowed)


@dataclass(frozen=True)
class OpenApplication:
    application_id: str
    measure_id: str
    exempt: bool
    combinable_with: tuple[str, ...]


def double_applications(measure: Measure, others: Iterable[OpenApplication]) -> list[str]:
    """The open applications for the same project that this one would double (S4 附则(三)): none when both
    measures are exempt ((一)(二)(三)(八)(十二)) or either names the other as combinable (S2 四(一)1)."""
    clashes = []
    for other in others:
        if other.measure_id == measure.id:
            clashes.append(other.application_id)
            continue
        if measure.project_exempt and other.exempt:
            continue
        if other.measure_id in measure.combinable_with or measure.id in other.combinable_with:
            continue
        clashes.append(other.application_id)
    return clashes


def same_person(reviewed_by: str | None, approver: str) -> bool:
    """Review (审核) and approval (审批) are two different people."""
    return reviewed_by is not None and reviewed_by == approver
