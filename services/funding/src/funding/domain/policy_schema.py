"""The shape of a funding policy file (schema ``sihua-funding-policy/1``), validated on load.

A policy is one document (S0, S1, S2, S4): its number, title, status (``draft`` 征求意见稿, ``in_force``,
``expired``), validity, tax basis and measures. A measure names its clause and how its amount is found:

- ``share``: a share (``rate``) of a ``base`` (approved investment, verified actual investment, the lower of the
  two, equipment and software investment, the loan contract amount, a contract amount, a fee...);
- ``fixed``: a fixed one-time amount (possibly by a fact: the honour earned);
- ``proposed``: a cap without a formula — an official proposes the amount with a reason, the caps check it;
- ``not_computable``: the seed gives no usable figure; listed, never guessed.

Then its caps (absolute per project, by a fact such as the level or tier, per enterprise per year, cumulative per
enterprise or per district, the project's total investment), award group, once-only rules, the three-year rule,
tranches, claw-back triggers, exclusions and the measures it combines with. Money is integer fen; rates are exact
fractions written ``"30%"`` or ``"3/100"``; never floats. Where a seed leaves a point open, ``readings`` record the
reading used with its provenance, so an official can change it by uploading a new version.
"""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_ID = "sihua-funding-policy/1"
MAX_FEN = 10**15  # 100亿元: far beyond any cap, within a BIGINT and exact in JSON
Fen = Annotated[int, Field(ge=0, le=MAX_FEN, strict=True)]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
_RATE = re.compile(r"^\s*(\d{1,6})(?:\s*/\s*(\d{1,6})|\s*%)\s*$")


def parse_rate(text: str) -> Fraction:
    """``"30%"`` → 3/10, ``"3/100"`` → 3/100; exact, between 0 and 1."""
    match = _RATE.match(text)
    if not match:
        raise ValueError(f"rate {text!r} is not written 'N%' or 'P/Q'")
    numerator, denominator = int(match.group(1)), int(match.group(2) or 100)
    if denominator == 0:
        raise ValueError(f"rate {text!r} divides by zero")
    rate = Fraction(numerator, denominator)
    if rate > 1:
        raise ValueError(f"rate {text!r} exceeds 100%")
    return rate


Rate = Annotated[str, Field(min_length=2, max_length=20)]


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reading(Node):
    """A point a seed leaves open, the reading used, and where the reading comes from."""

    text: str = Field(min_length=2)
    provenance: str = Field(min_length=2)


BaseKind = Literal[
    "invested_total",  # 已投入总额
    "project_total",  # 项目投入总额 / 项目投入费用
    "investment",  # 项目投资额
    "approved_investment",  # 核定投入
    "verified_actual_investment",  # 核定实际投入
    "approved_or_verified_lower",  # the lower of the two (reading, S2 四(一)1)
    "equipment_software_investment",  # 设备和软件投入总额
    "equipment_contract_invoice",  # 购买设备合同和发票金额
    "loan_contract_amount",  # 贷款合同金额
    "contract_amount",  # 实际合同金额
    "diagnosis_fee",  # the fee of a completed diagnosis project (diagnosis's fact)
]

# The input each base reads (the lower of two reads both).
BASE_INPUTS: dict[str, tuple[str, ...]] = {
    "invested_total": ("invested_total_fen",),
    "project_total": ("project_total_fen",),
    "investment": ("investment_fen",),
    "approved_investment": ("approved_investment_fen",),
    "verified_actual_investment": ("verified_actual_investment_fen",),
    "approved_or_verified_lower": ("approved_investment_fen", "verified_actual_investment_fen"),
    "equipment_software_investment": ("equipment_software_investment_fen",),
    "equipment_contract_invoice": ("equipment_contract_invoice_fen",),
    "loan_contract_amount": ("loan_contract_amount_fen",),
    "contract_amount": ("contract_amount_fen",),
    "diagnosis_fee": ("diagnosis_fee_fen",),
}

# Facts a cap or a condition may depend on, and where they come from.
FactName = Literal["level", "tier", "honour", "benchmark"]

CapScope = Literal[
    "project",  # per project (cumulative over the ledger's awards of the measure for the same project)
    "enterprise_total",  # per applicant, cumulative over the ledger (the cap's ``group`` of measures)
    "enterprise_year",  # per applicant per calendar year (Asia/Shanghai), over the ledger
    "district_total",  # per district, cumulative over the ledger
    "input",  # an amount the application evidences (the interest actually paid)
    "project_investment",  # public money for the project plus this award ≤ the project's total investment
]


class Cap(Node):
    """A maximum. ``amount_fen`` or ``by`` (an amount per value of a fact) gives the figure; ``scope`` what it is
    counted over; ``group`` which measures' ledger awards count towards it (default: this measure)."""

    id: Id
    clause: str = Field(min_length=2)
    scope: CapScope = "project"
    amount_fen: Fen | None = None
    by: FactName | None = None
    amounts_fen: dict[str, Fen] | None = None
    group: tuple[Id, ...] = ()
    input: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*_fen$")
    year_of: Literal["decision", "interest_period"] = "decision"
    subtract_other_funds: bool = Field(
        default=False, description="count other levels' funds for the enterprise (input other_funds_fen) as prior"
    )
    reading: Reading | None = None

    @model_validator(mode="after")
    def _figure(self) -> Cap:
        if self.scope in ("input", "project_investment"):
            if self.amount_fen is not None or self.by is not None:
                raise ValueError(f"cap {self.id}: an {self.scope} cap takes its figure from the application")
            if self.scope == "input" and not self.input:
                raise ValueError(f"cap {self.id}: an input cap names its input")
            return self
        if (self.amount_fen is None) == (self.by is None):
            raise ValueError(f"cap {self.id}: give exactly one of amount_fen or by")
        if self.by is not None and not self.amounts_fen:
            raise ValueError(f"cap {self.id}: a cap by {self.by} lists amounts_fen")
        if self.by is None and self.amounts_fen:
            raise ValueError(f"cap {self.id}: amounts_fen needs by")
        return self


class Condition(Node):
    """A condition of the measure: a fact at least a value (reaching 二级 for S2's transformation subsidy)."""

    fact: Literal["level", "pilot"]  # pilot: 1 when the enterprise is in the city pilot pool on the application date
    at_least: int = Field(ge=0, le=4)
    clause: str = Field(min_length=2)
    reading: Reading | None = None


class Tranche(Node):
    share: Rate
    trigger: str = Field(min_length=2)
    reading: Reading | None = None

    @field_validator("share")
    @classmethod
    def _share(cls, value: str) -> str:
        parse_rate(value)
        return value


class Clawback(Node):
    """A claw-back rule: what it recovers, for which reason, and whether the recovery may be withheld from the same
    enterprise's later payments (``offset``) or is a receivable until repaid."""

    trigger: str = Field(min_length=2)
    recovers: Literal["first_tranche", "all", "difference"]
    clause: str = Field(min_length=2)
    reason: Literal["failed_progress_check", "revoked_acceptance", "double_funding", "recomputed_below_paid"] | None = None
    offset: bool = Field(default=False, description="offset against the same enterprise's later payments (抵扣)")
    reading: Reading | None = None


class Exclusion(Node):
    """Part of the base that does not count: the input named is subtracted from it."""

    input: str = Field(pattern=r"^[a-z][a-z0-9_]*_fen$")
    text: str = Field(min_length=2)
    clause: str = Field(min_length=2)


class ThreeYearRule(Node):
    """S0 三(五): one award of the group within ``years`` years up to the application date (从高不重复)."""

    years: int = Field(ge=1, le=10)
    clause: str = Field(min_length=2)
    reading: Reading | None = None


ApplicantKind = Literal[
    "enterprise", "platform", "traction_unit", "diagnosis_provider", "third_party", "agency", "provider", "cluster_body"
]
Method = Literal["share", "fixed", "proposed", "not_computable"]


class Measure(Node):
    id: Id
    clause: str = Field(min_length=2)
    name: str = Field(min_length=2)
    applicants: tuple[ApplicantKind, ...] = ("enterprise",)
    method: Method
    base: BaseKind | None = None
    rate: Rate | None = None
    rate_per_batch: bool = Field(default=False, description="the batch's rate is an input (batch_rate), at most rate")
    rate_by: FactName | None = Field(default=None, description="the rate depends on a fact (a benchmark platform's service)")
    rates: dict[str, Rate] | None = None
    fixed_fen: Fen | None = None
    fixed_by: FactName | None = None
    fixed_amounts_fen: dict[str, Fen] | None = None
    caps: tuple[Cap, ...] = ()
    conditions: tuple[Condition, ...] = ()
    requires_title: tuple[str, ...] = Field(
        default=(), description="a recognition title the applicant holds on the application date (any of these kinds)"
    )
    award_group: Id | None = None
    once_per_applicant: bool = Field(default=False, description="one award of the award group per applicant")
    three_year_rule: ThreeYearRule | None = None
    max_years: int | None = Field(default=None, ge=1, le=10, description="awards in at most this many calendar years")
    difference_over: tuple[Id, ...] = Field(
        default=(), description="pay the difference over the applicant's earlier awards of these measures or groups"
    )
    tranches: tuple[Tranche, ...] = ()
    clawbacks: tuple[Clawback, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    combinable_with: tuple[Id, ...] = ()
    project_exempt: bool = Field(default=False, description="exempt from the no-double-application rule")
    readings: tuple[Reading, ...] = ()
    note: str | None = None

    @property
    def rate_fraction(self) -> Fraction | None:
        return parse_rate(self.rate) if self.rate is not None else None

    @property
    def computable(self) -> bool:
        return self.method != "not_computable"

    @property
    def group(self) -> str:
        return self.award_group or self.id

    @model_validator(mode="after")
    def _method(self) -> Measure:
        m = self.method
        if m == "share":
            if self.base is None or self.rate is None:
                raise ValueError(f"measure {self.id}: a share names its base and rate")
            ceiling = parse_rate(self.rate)
            if (self.rate_by is None) != (self.rates is None):
                raise ValueError(f"measure {self.id}: rate_by and rates go together")
            for key, text in (self.rates or {}).items():
                if parse_rate(text) > ceiling:
                    raise ValueError(f"measure {self.id}: the rate for {key} exceeds rate")
        elif self.base is not None or self.rate is not None or self.rate_per_batch:
            raise ValueError(f"measure {self.id}: base and rate belong to a share")
        if m == "fixed":
            if (self.fixed_fen is None) == (self.fixed_by is None):
                raise ValueError(f"measure {self.id}: a fixed amount gives exactly one of fixed_fen or fixed_by")
            if self.fixed_by is not None and not self.fixed_amounts_fen:
                raise ValueError(f"measure {self.id}: fixed_by lists fixed_amounts_fen")
        elif self.fixed_fen is not None or self.fixed_by is not None or self.fixed_amounts_fen:
            raise ValueError(f"measure {self.id}: fixed amounts belong to a fixed measure")
        if m == "proposed" and not self.caps:
            raise ValueError(f"measure {self.id}: a proposed amount needs at least one cap to check")
        if m == "not_computable" and (self.caps or self.tranches):
            raise ValueError(f"measure {self.id}: a measure that is not computable has no caps")
        if m == "not_computable" and not self.note:
            raise ValueError(f"measure {self.id}: say why it is not computable (note)")
        ids = [c.id for c in self.caps]
        if len(set(ids)) != len(ids):
            raise ValueError(f"measure {self.id}: cap ids repeat")
        if self.tranches:
            total = sum((parse_rate(t.share) for t in self.tranches), Fraction(0))
            if total != 1:
                raise ValueError(f"measure {self.id}: tranche shares add up to {total}, not 100%")
        return self


class TaxBasis(Node):
    tax_exclusive: bool | None
    text: str = Field(min_length=2)
    clause: str | None = None
    reading: Reading | None = None


PolicyStatus = Literal["draft", "in_force", "expired"]


class PolicyDocument(Node):
    schema_: Literal["sihua-funding-policy/1"] = Field(alias="schema")
    policy_id: Id
    jurisdiction: Literal["guangzhou", "zhongshan"]
    source: str = Field(min_length=2, description="the seed (S0, S1, S2, S4)")
    doc_no: str | None = None
    title: str = Field(min_length=2)
    status: PolicyStatus
    valid_from: date
    valid_until: date | None = None
    effective_from: date | None = Field(default=None, description="the day this version takes effect (default valid_from)")
    payable_after_expiry_until: date | None = Field(
        default=None, description="applications filed in force may be paid until (S4 附则(四))"
    )
    tax_basis: TaxBasis
    measures: tuple[Measure, ...] = Field(min_length=1)
    readings: tuple[Reading, ...] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def starts(self) -> date:
        return self.effective_from or self.valid_from

    def measure(self, measure_id: str) -> Measure | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    @model_validator(mode="after")
    def _consistent(self) -> PolicyDocument:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        ids = [m.id for m in self.measures]
        if len(set(ids)) != len(ids):
            raise ValueError("measure ids repeat")
        known = set(ids)
        for m in self.measures:
            for other in m.combinable_with:
                if other not in known:
                    raise ValueError(f"measure {m.id}: combinable_with names unknown measure {other}")
        return self
