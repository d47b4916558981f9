"""The computation engine: one measure, one claim, the ledger's prior awards → an amount in fen with its trace.

Pure and exact: integers (fen) and ``Fraction`` only, never floats. Each rule applied is a ``Step`` in order — the
rule, its clause, its inputs, the amount after it — and the readings relied on are listed. Rounding: floor to the
fen once per rule application (a share); caps are applied after, so rounding never exceeds a cap. Rules that
refuse an award (a condition unmet, the three-year rule, once only) are ``Refusal`` s: the amount is then 0.
Replaying the same measure, claim and prior awards gives the same computation (the decision freezes all three).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from .policy_schema import BASE_INPUTS, Cap, Measure, PolicyDocument, parse_rate

FactValue = int | str | tuple[str, ...]
# The facts of S2 四(二)3's basis (catalog's group purchases in the application's district), shown in the trace.
GROUP_PURCHASE_FACTS = ("group_purchase_deliveries", "group_purchase_enterprises", "group_purchase_amount_fen",
                        "group_purchase_saving_fen")


class MissingInputs(Exception):
    """The claim lacks inputs the measure needs (names listed)."""

    def __init__(self, names: Sequence[str], invalid: Sequence[str] = ()) -> None:
        super().__init__(", ".join([*names, *invalid]))
        self.names = tuple(names)
        self.invalid = tuple(invalid)


@dataclass(frozen=True)
class PriorAward:
    """An award in the ledger, as the engine counts it."""

    applicant_id: str
    measure_id: str
    award_group: str
    project_id: str
    district: str | None
    decided_on: date
    year: int
    amount_fen: int


@dataclass(frozen=True)
class Claim:
    """What one application claims: the applicant, the project, the dates, its inputs and the facts relied on."""

    applicant_id: str
    project_id: str
    applied_on: date
    inputs: Mapping[str, Any]
    facts: Mapping[str, FactValue] = field(default_factory=dict)
    district: str | None = None
    decided_on: date | None = None

    @property
    def decision_date(self) -> date:
        return self.decided_on or self.applied_on


@dataclass(frozen=True)
class Step:
    rule: str
    clause: str
    inputs: dict[str, Any]
    amount_fen: int
    reading: str | None = None


@dataclass(frozen=True)
class Refusal:
    code: str
    clause: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class TranchePay:
    share: str
    trigger: str
    amount_fen: int


@dataclass(frozen=True)
class Computation:
    policy_id: str
    measure_id: str
    clause: str
    amount_fen: int
    steps: tuple[Step, ...]
    readings: tuple[dict[str, str], ...]
    refusals: tuple[Refusal, ...] = ()
    tranches: tuple[TranchePay, ...] = ()
    draft: bool = False
    computable: bool = True
    year: int | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def summary(self) -> list[str]:
        return [f"{s.rule} ({s.clause}): {s.amount_fen}" for s in self.steps]


def floor_fen(base_fen: int, rate: Fraction) -> int:
    """``base × rate`` floored to the fen, exactly."""
    return (base_fen * rate.numerator) // rate.denominator


def _fen(inputs: Mapping[str, Any], name: str, missing: list[str], invalid: list[str]) -> int:
    value = inputs.get(name)
    if value is None:
        missing.append(name)
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        invalid.append(name)
        return 0
    return value


def _fact_amount(by: str, table: Mapping[str, int], facts: Mapping[str, FactValue]) -> tuple[int | None, Any]:
    """The amount for the fact's value; several values at once (honours earned together) pay the highest."""
    value = facts.get(by)
    if value is None:
        return None, None
    values = value if isinstance(value, tuple | list) else (value,)
    known = [table[fact_key(v)] for v in values if fact_key(v) in table]
    return (max(known) if known else None), value


def fact_key(value: Any) -> str:
    """A fact's value as the policy tables key it (``true``/``false`` for booleans, ``2`` for level 2)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _matches(prior: PriorAward, group: Sequence[str]) -> bool:
    return prior.measure_id in group or prior.award_group in group


class _Run:
    def __init__(self, policy: PolicyDocument, measure: Measure, claim: Claim, priors: Sequence[PriorAward]) -> None:
        self.policy, self.measure, self.claim, self.priors = policy, measure, claim, priors
        self.steps: list[Step] = []
        self.refusals: list[Refusal] = []
        self.readings: list[dict[str, str]] = [
            {"text": r.text, "provenance": r.provenance, "where": measure.id} for r in measure.readings
        ]
        self.missing: list[str] = []
        self.invalid: list[str] = []

    def step(self, rule: str, clause: str, inputs: dict[str, Any], amount: int, reading: Any = None) -> int:
        text = None
        if reading is not None:
            text = reading.text
            self.readings.append({"text": reading.text, "provenance": reading.provenance, "where": rule})
        self.steps.append(Step(rule, clause, inputs, amount, text))
        return amount

    def refuse(self, code: str, clause: str, zh: str, en: str) -> None:
        self.refusals.append(Refusal(code, clause, zh, en))

    def mine(self) -> list[PriorAward]:
        return [p for p in self.priors if p.applicant_id == self.claim.applicant_id]

    # ---- the amount before caps --------------------------------------------------------------------------------

    def base(self) -> int:
        m, inputs = self.measure, self.claim.inputs
        assert m.base is not None
        names = BASE_INPUTS[m.base]
        values = {n: _fen(inputs, n, self.missing, self.invalid) for n in names}
        amount = min(values.values())
        amount = self.step(f"base:{m.base}", m.clause, values, amount)
        for ex in m.exclusions:
            excluded = _fen(inputs, ex.input, [], self.invalid) if inputs.get(ex.input) is not None else 0
            amount = self.step(f"exclusion:{ex.input}", ex.clause, {"base_fen": amount, ex.input: excluded, "text": ex.text},
                               max(0, amount - excluded))
        return amount

    def rate(self) -> Fraction:
        m = self.measure
        ceiling = m.rate_fraction
        assert ceiling is not None
        if m.rate_by is not None and m.rates is not None:
            value = self.claim.facts.get(m.rate_by)
            key = fact_key(value)
            if value is None or key not in m.rates:
                self.refuse("fact_missing", m.clause, f"缺少事实：{m.rate_by}", f"the fact {m.rate_by} is missing or unknown")
                return Fraction(0)
            return parse_rate(m.rates[key])
        if not m.rate_per_batch:
            return ceiling
        text = self.claim.inputs.get("batch_rate")
        if text is None:
            self.missing.append("batch_rate")
            return ceiling
        try:
            batch = parse_rate(str(text))
        except ValueError:
            self.invalid.append("batch_rate")
            return ceiling
        if batch > ceiling:
            self.invalid.append("batch_rate")
            return ceiling
        return batch

    def before_caps(self) -> int:
        m, inputs = self.measure, self.claim.inputs
        if m.method == "share":
            base = self.base()
            rate = self.rate()
            amount = self.step("share", m.clause, {"base_fen": base, "rate": f"{rate.numerator}/{rate.denominator}",
                                                  "rate_max": m.rate, "rounding": "floor to the fen"},
                               floor_fen(base, rate))
        elif m.method == "fixed":
            if m.fixed_fen is not None:
                amount = self.step("fixed", m.clause, {"fixed_fen": m.fixed_fen}, m.fixed_fen)
            else:
                assert m.fixed_by is not None and m.fixed_amounts_fen is not None
                figure, value = _fact_amount(m.fixed_by, m.fixed_amounts_fen, self.claim.facts)
                if figure is None:
                    self.refuse("fact_missing", m.clause, f"缺少事实：{m.fixed_by}", f"the fact {m.fixed_by} is missing or unknown")
                    figure = 0
                amount = self.step(f"fixed_by:{m.fixed_by}", m.clause,
                                   {m.fixed_by: _plain(value), "table": dict(m.fixed_amounts_fen)}, figure)
        else:  # proposed
            self.basis()
            proposed = _fen(inputs, "proposed_fen", self.missing, self.invalid)
            reason = inputs.get("proposal_reason")
            if not isinstance(reason, str) or len(reason.strip()) < 2:
                self.missing.append("proposal_reason")
            return self.step("proposed", m.clause, {"proposed_fen": proposed, "reason": reason}, proposed)
        if inputs.get("proposed_fen") is not None:  # an official may pay less than the maximum
            lower = _fen(inputs, "proposed_fen", [], self.invalid)
            amount = self.step("proposed_lower", m.clause, {"computed_fen": amount, "proposed_fen": lower,
                                                            "reason": inputs.get("proposal_reason")}, min(amount, lower))
        return amount

    def basis(self) -> None:
        """What the official's proposal rests on (S2 四(二)3: the cluster body's group purchases and deliveries by
        district), as the trace's first step; its amount is what the district's enterprises paid at the negotiated price."""
        m, facts = self.measure, self.claim.facts
        if m.basis != "group_purchase":
            return
        shown = {name: _plain(facts.get(name)) for name in GROUP_PURCHASE_FACTS}
        shown["basis"] = facts.get("group_purchase")
        amount = facts.get("group_purchase_amount_fen")
        self.step("basis:group_purchase", m.clause, shown, amount if isinstance(amount, int) else 0)

    # ---- caps ---------------------------------------------------------------------------------------------------

    def year(self, cap: Cap | None = None) -> int:
        if cap is not None and cap.year_of == "interest_period":
            start = self.claim.inputs.get("interest_period_start")
            try:
                return date.fromisoformat(str(start)).year
            except ValueError:
                self.missing.append("interest_period_start")
                return self.claim.decision_date.year
        return self.claim.decision_date.year

    def cap(self, cap: Cap, amount: int) -> int:
        m, claim, inputs = self.measure, self.claim, self.claim.inputs
        group = cap.group or (m.id,)
        detail: dict[str, Any] = {"scope": cap.scope}
        if cap.scope == "input":
            assert cap.input is not None
            limit = _fen(inputs, cap.input, self.missing, self.invalid)
            detail[cap.input] = limit
            return self.step(f"cap:{cap.id}", cap.clause, {**detail, "amount_fen": amount}, min(amount, limit), cap.reading)
        if cap.scope == "project_investment":
            total = _fen(inputs, "project_total_investment_fen", self.missing, self.invalid)
            other = _fen(inputs, "other_public_funding_fen", [], self.invalid) if inputs.get("other_public_funding_fen") is not None else 0
            prior = sum(p.amount_fen for p in self.priors if p.project_id == claim.project_id)
            remaining = max(0, total - other - prior)
            return self.step(f"cap:{cap.id}", cap.clause, {**detail, "project_total_investment_fen": total,
                                                           "other_public_funding_fen": other, "ledger_prior_fen": prior,
                                                           "remaining_fen": remaining, "amount_fen": amount},
                             min(amount, remaining), cap.reading)
        if cap.amount_fen is not None:
            figure: int | None = cap.amount_fen
        else:
            assert cap.by is not None and cap.amounts_fen is not None
            figure, value = _fact_amount(cap.by, cap.amounts_fen, claim.facts)
            detail[cap.by] = _plain(value)
            if figure is None:
                self.refuse("fact_missing", cap.clause, f"缺少事实：{cap.by}（{cap.id}）", f"the fact {cap.by} is missing or has no cap")
                figure = 0
        detail["cap_fen"] = figure
        if cap.scope == "project":
            prior = sum(p.amount_fen for p in self.priors if _matches(p, group) and p.project_id == claim.project_id)
        elif cap.scope == "enterprise_total":
            prior = sum(p.amount_fen for p in self.mine() if _matches(p, group))
        elif cap.scope == "enterprise_year":
            year = self.year(cap)
            detail["year"] = year
            prior = sum(p.amount_fen for p in self.mine() if _matches(p, group) and p.year == year)
        else:  # district_total
            detail["district"] = claim.district
            prior = sum(p.amount_fen for p in self.priors if _matches(p, group) and p.district == claim.district)
        if cap.subtract_other_funds:
            other = _fen(inputs, "other_funds_fen", [], self.invalid) if inputs.get("other_funds_fen") is not None else 0
            detail["other_funds_fen"] = other
            prior += other
        remaining = max(0, (figure or 0) - prior)
        detail |= {"group": list(group), "prior_fen": prior, "remaining_fen": remaining, "amount_fen": amount}
        return self.step(f"cap:{cap.id}", cap.clause, detail, min(amount, remaining), cap.reading)

    # ---- rules that refuse ----------------------------------------------------------------------------------------

    def refusal_rules(self) -> None:
        m, claim = self.measure, self.claim
        for cond in m.conditions:
            value = claim.facts.get(cond.fact)
            ok = isinstance(value, int) and value >= cond.at_least
            self.step(f"condition:{cond.fact}>={cond.at_least}", cond.clause, {cond.fact: _plain(value)}, int(ok), cond.reading)
            if not ok:
                self.refuse("condition_unmet", cond.clause, f"未满足条件：{cond.fact} 至少 {cond.at_least}",
                            f"condition unmet: {cond.fact} at least {cond.at_least} (is {value})")
        if m.requires_title:
            held = claim.facts.get("titles") or ()
            kinds = held if isinstance(held, tuple | list) else (held,)
            ok = any(k in m.requires_title for k in kinds)
            self.step("requires_title", m.clause, {"any_of": list(m.requires_title), "held": list(kinds)}, int(ok))
            if not ok:
                self.refuse("title_missing", m.clause, "申请单位未获得所需认定称号", "the applicant holds none of the required titles")
        mine = self.mine()
        if m.three_year_rule is not None:
            rule = m.three_year_rule
            start = _years_before(claim.applied_on, rule.years)
            within = [p for p in mine if p.award_group == m.group and start < p.decided_on <= claim.applied_on]
            self.step("three_year_rule", rule.clause, {"group": m.group, "window": [start.isoformat(), claim.applied_on.isoformat()],
                                                     "awards_in_window": [p.decided_on.isoformat() for p in within]},
                      int(not within), rule.reading)
            if within:
                self.refuse("three_year_rule", rule.clause, "三年内只能申报一项奖励（从高不重复）",
                            "one award of this group within three years (从高不重复)")
        if m.once_per_applicant:
            earlier = [p for p in mine if p.award_group == m.group]
            self.step("once_per_applicant", m.clause, {"group": m.group, "earlier": len(earlier)}, int(not earlier))
            if earlier:
                self.refuse("already_awarded", m.clause, "该单位已获得本项奖励", "the applicant already received this award")
        if m.max_years is not None:
            years = {p.year for p in mine if p.measure_id == m.id} | {self.year()}
            self.step("max_years", m.clause, {"years": sorted(years), "max_years": m.max_years}, int(len(years) <= m.max_years))
            if len(years) > m.max_years:
                self.refuse("max_years", m.clause, f"奖励期限最长 {m.max_years} 年", f"at most {m.max_years} years of awards")

    def run(self) -> Computation:
        m, policy = self.measure, self.policy
        draft = policy.status == "draft"
        if not m.computable:
            self.refuse("not_computable", m.clause, "政策未给出可计算的金额，不予计算", "the seed gives no usable figure")
            return Computation(policy.policy_id, m.id, m.clause, 0, (), tuple(self.readings), tuple(self.refusals),
                               draft=draft, computable=False)
        amount = self.before_caps()
        if m.difference_over:
            prior = sum(p.amount_fen for p in self.mine() if _matches(p, m.difference_over))
            amount = self.step("pay_difference", m.clause, {"over": list(m.difference_over), "prior_fen": prior, "amount_fen": amount},
                               max(0, amount - prior))
        for cap in m.caps:
            amount = self.cap(cap, amount)
        self.refusal_rules()
        if self.missing or self.invalid:
            raise MissingInputs(sorted(set(self.missing)), sorted(set(self.invalid)))
        if self.refusals:
            amount = self.step("refused", m.clause, {"codes": [r.code for r in self.refusals]}, 0)
        tranches = _split(m, amount)
        year = self.year(next((c for c in m.caps if c.year_of == "interest_period"), None))
        return Computation(policy.policy_id, m.id, m.clause, amount, tuple(self.steps), tuple(self.readings),
                           tuple(self.refusals), tranches, draft=draft, year=year)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _split(measure: Measure, amount: int) -> tuple[TranchePay, ...]:
    if not measure.tranches:
        return ()
    paid, out = 0, []
    for n, t in enumerate(measure.tranches):
        part = amount - paid if n == len(measure.tranches) - 1 else floor_fen(amount, parse_rate(t.share))
        paid += part
        out.append(TranchePay(t.share, t.trigger, part))
    return tuple(out)


def compute(policy: PolicyDocument, measure: Measure, claim: Claim, priors: Sequence[PriorAward] = ()) -> Computation:
    """The amount of ``claim`` under ``measure`` of ``policy``, given the ledger's ``priors``, with its trace."""
    return _Run(policy, measure, claim, priors).run()
