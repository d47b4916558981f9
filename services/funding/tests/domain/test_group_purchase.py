"""S2 四(二)3 group-purchase district award, by hand from the seed: the cluster body (特色产业集群相关责任主体),
recommended by its district and approved by the city, is awarded "根据其数字化产品应用成效进行分级奖补"; central and
city funds at most 1500万元 per district. No formula: the official proposes the graded amount with a reason; the
engine takes its basis from catalog's group-purchase facts (deliveries in the district), refuses without a delivery
(the policy file's condition), and checks the amount against the district's cap over every body (the ledger)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from funding.domain.engine import Claim, MissingInputs, PriorAward, compute
from funding.domain.policies import shipped_policies

WAN = 1_000_000
DAY = date(2026, 9, 10)
S2 = next(v.document for v in shipped_policies("guangzhou") if v.policy_id == "gz-s2-sme-pilot")
MEASURE = S2.measure("s2-group-purchase")
CLAUSE = "S2 四(二)3"


def basis(deliveries: int, enterprises: int | None = None, amount: int = 0, saving: int = 0) -> dict[str, Any]:
    """The facts funding gathers from catalog's group purchases for the application's district."""
    return {"group_purchase_deliveries": deliveries, "group_purchase_enterprises": deliveries if enterprises is None else enterprises,
            "group_purchase_amount_fen": amount, "group_purchase_saving_fen": saving,
            "group_purchase": {"district": "baiyun", "purchases": [], "by_district": []}}


def body_award(amount: int, *, body: str = "body-2", district: str = "baiyun", measure: str = "s2-group-purchase") -> PriorAward:
    return PriorAward(body, measure, measure, f"gp-{body}", district, date(2026, 5, 1), 2026, amount)


def run(proposed: int, facts: dict[str, Any], priors: tuple[PriorAward, ...] = ()) -> Any:
    assert MEASURE is not None
    claim = Claim("body-1", "gp-2026", DAY, {"proposed_fen": proposed, "proposal_reason": "三家企业已交付，按成效评为二级"},
                  facts, district="baiyun")
    return compute(S2, MEASURE, claim, priors)


CASES: list[tuple[str, int, dict[str, Any], tuple[PriorAward, ...], int, tuple[str, ...]]] = [
    # (name naming the clause, proposed, facts, the district's ledger, amount, refusal codes)
    (f"{CLAUSE} one delivery in the district: the proposal stands", 300 * WAN, basis(1, amount=1_500_000), (), 300 * WAN, ()),
    (f"{CLAUSE} no delivery in the district: refused (condition)", 300 * WAN, basis(0), (), 0, ("condition_unmet",)),
    (f"{CLAUSE} no group-purchase facts at all: refused", 300 * WAN, {}, (), 0, ("condition_unmet",)),
    (f"{CLAUSE} at the district cap 1500万", 1500 * WAN, basis(40), (), 1500 * WAN, ()),
    (f"{CLAUSE} one fen over the cap", 1500 * WAN + 1, basis(40), (), 1500 * WAN, ()),
    (f"{CLAUSE} another body of the district has 1400万: 100万 left", 300 * WAN, basis(5), (body_award(1400 * WAN),), 100 * WAN, ()),
    (f"{CLAUSE} two bodies of the district have 1500万: nothing left", 1 * WAN, basis(5),
     (body_award(900 * WAN), body_award(600 * WAN, body="body-3")), 0, ()),
    (f"{CLAUSE} the applicant's own earlier award counts too", 800 * WAN, basis(5),
     (body_award(1000 * WAN, body="body-1"),), 500 * WAN, ()),
    (f"{CLAUSE} another district's awards do not count", 1500 * WAN, basis(5), (body_award(1500 * WAN, district="huadu"),),
     1500 * WAN, ()),
    (f"{CLAUSE} other measures' awards in the district do not count", 1500 * WAN, basis(5),
     (body_award(1500 * WAN, measure="s2-training"),), 1500 * WAN, ()),
]


@pytest.mark.parametrize(("name", "proposed", "facts", "priors", "expected", "refusals"), CASES, ids=[c[0] for c in CASES])
def test_group_purchase_award(name: str, proposed: int, facts: dict[str, Any], priors: tuple[PriorAward, ...], expected: int,
                              refusals: tuple[str, ...]) -> None:
    result = run(proposed, facts, priors)
    assert result.amount_fen == expected
    assert tuple(r.code for r in result.refusals) == refusals
    assert all(r.clause == CLAUSE for r in result.refusals)
    assert result.amount_fen <= 1500 * WAN


def test_the_trace_shows_the_basis_the_condition_and_the_district_cap() -> None:
    result = run(300 * WAN, basis(3, enterprises=2, amount=4_500_000, saving=1_440_000), (body_award(1000 * WAN),))
    rules = [s.rule for s in result.steps]
    assert rules == ["basis:group_purchase", "proposed", "cap:district-1500wan", "condition:group_purchase_deliveries>=1"]
    first = result.steps[0]
    assert first.clause == CLAUSE and first.amount_fen == 4_500_000
    assert first.inputs["group_purchase_deliveries"] == 3 and first.inputs["group_purchase_enterprises"] == 2
    assert first.inputs["group_purchase_saving_fen"] == 1_440_000
    cap = result.steps[2].inputs
    assert cap["prior_fen"] == 1000 * WAN and cap["remaining_fen"] == 500 * WAN and cap["district"] == "baiyun"
    assert result.amount_fen == 300 * WAN
    assert any("应用成效" in r["text"] for r in result.readings)


def test_the_official_still_gives_the_amount_and_its_reason() -> None:
    assert MEASURE is not None
    with pytest.raises(MissingInputs) as missing:
        compute(S2, MEASURE, Claim("body-1", "gp-2026", DAY, {}, basis(2), district="baiyun"))
    assert set(missing.value.names) == {"proposed_fen", "proposal_reason"}
