"""Properties of the engine over every computable measure (issue 13 §5): no amount exceeds any of its caps, and
splitting a project into two applications never increases the total."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from funding.domain.engine import Claim, Computation, MissingInputs, PriorAward, compute
from funding.domain.policies import shipped_policies
from funding.domain.policy_schema import BASE_INPUTS, Measure, PolicyDocument

POLICIES = [v.document for j in ("guangzhou", "zhongshan") for v in shipped_policies(j)]
COMPUTABLE = [(p, m) for p in POLICIES for m in p.measures if m.computable]
DAY = date(2026, 3, 10)
MONEY = st.integers(min_value=0, max_value=5 * 10**10)
FACTS = st.fixed_dictionaries({
    "level": st.integers(min_value=0, max_value=4),
    "pilot": st.sampled_from([0, 1, 1]),
    "tier": st.sampled_from(["一档", "二档", "三档"]),
    "honour": st.sampled_from(["national_cross_industry_iiot", "national_specialised_iiot", "digital_lighthouse",
                               "national_green_factory"]),
    "benchmark": st.booleans(),
    "titles": st.just(("demonstration_factory", "demonstration_workshop")),
})


@st.composite
def claims(draw: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {name: draw(MONEY) for names in BASE_INPUTS.values() for name in names}
    inputs |= {
        "batch_rate": f"{draw(st.integers(0, 50))}%",
        "proposed_fen": draw(MONEY),
        "proposal_reason": "按成效评审提出",
        "actual_interest_paid_fen": draw(MONEY),
        "project_total_investment_fen": draw(MONEY),
        "other_public_funding_fen": draw(st.integers(0, 10**9)),
        "other_funds_fen": draw(st.integers(0, 10**8)),
        "interest_period_start": "2026-01-01",
    }
    inputs["other_city_funded_fen"] = draw(st.integers(0, inputs["equipment_software_investment_fen"]))
    return inputs


PRIORS = st.lists(st.builds(
    PriorAward, applicant_id=st.sampled_from(["ent-1", "ent-2"]), measure_id=st.sampled_from([m.id for _, m in COMPUTABLE]),
    award_group=st.sampled_from(["iiot-honours", "x"]), project_id=st.sampled_from(["p1", "p2"]),
    district=st.sampled_from(["baiyun", "huadu"]), decided_on=st.dates(date(2022, 1, 1), date(2026, 3, 1)),
    year=st.sampled_from([2025, 2026]), amount_fen=st.integers(0, 10**9)), max_size=4)


def _run(policy: PolicyDocument, measure: Measure, inputs: dict[str, Any], facts: dict[str, Any],
         priors: list[PriorAward]) -> Computation:
    return compute(policy, measure, Claim("ent-1", "p1", DAY, inputs, facts, district="baiyun"), priors)


@given(st.sampled_from(COMPUTABLE), claims(), FACTS, PRIORS)
def test_no_amount_exceeds_any_of_its_caps(pm: Any, inputs: dict[str, Any], facts: dict[str, Any], priors: list[PriorAward]) -> None:
    policy, measure = pm
    result = _run(policy, measure, inputs, facts, priors)
    assert isinstance(result.amount_fen, int) and result.amount_fen >= 0
    caps = [s for s in result.steps if s.rule.startswith("cap:")]
    assert len(caps) == len(measure.caps)
    for step in caps:
        limits = [step.inputs[k] for k in ("remaining_fen", "actual_interest_paid_fen") if k in step.inputs]
        assert limits and result.amount_fen <= min(limits), step
        if "cap_fen" in step.inputs:
            assert result.amount_fen <= step.inputs["cap_fen"]
    assert sum(t.amount_fen for t in result.tranches) in (0, result.amount_fen)


@given(st.sampled_from(COMPUTABLE), claims(), claims(), FACTS, PRIORS)
def test_splitting_a_project_never_increases_the_total(pm: Any, first: dict[str, Any], second: dict[str, Any],
                                                     facts: dict[str, Any], priors: list[PriorAward]) -> None:
    """The same project claimed as two applications (the second seeing the first in the ledger) pays no more than
    one application claiming the sums; the project's total investment and other levels' funds are the project's."""
    policy, measure = pm
    shared = ("project_total_investment_fen", "other_public_funding_fen", "other_funds_fen")
    for name in shared:
        second[name] = first[name]
    second["batch_rate"] = first["batch_rate"]
    whole = {k: (first[k] + second[k] if k.endswith("_fen") and k not in shared else first[k]) for k in first}
    try:
        a = _run(policy, measure, first, facts, priors)
        award = PriorAward("ent-1", measure.id, measure.group, "p1", "baiyun", DAY, a.year or DAY.year, a.amount_fen)
        b = _run(policy, measure, second, facts, [*priors, award])
        w = _run(policy, measure, whole, facts, priors)
    except MissingInputs:
        return
    assert a.amount_fen + b.amount_fen <= w.amount_fen
