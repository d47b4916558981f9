"""Every computable measure, by hand from the seed text, at each cap's boundary (issue 13 §5).

Money in fen (1元 = 100 fen; 1万元 = 1,000,000 fen). Each row names the clause it checks; the amount is worked out in
the comment from the seed's figures: rate × base floored to the fen, then every cap in the file's order.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from funding.domain.engine import Claim, MissingInputs, PriorAward, compute
from funding.domain.policies import shipped_policies

WAN = 1_000_000  # 1万元 in fen
POLICIES = {v.policy_id: v.document for j in ("guangzhou", "zhongshan") for v in shipped_policies(j)}
MEASURES = {m.id: (p, m) for p in POLICIES.values() for m in p.measures}
DAY = date(2026, 3, 10)


def run(measure_id: str, inputs: dict[str, Any], facts: dict[str, Any] | None = None, priors: tuple[PriorAward, ...] = (),
        *, applied_on: date = DAY, project: str = "p1", district: str | None = "baiyun") -> Any:
    policy, measure = MEASURES[measure_id]
    claim = Claim("ent-1", project, applied_on, inputs, facts or {}, district=district)
    return compute(policy, measure, claim, priors)


def prior(measure_id: str, amount: int, *, group: str | None = None, project: str = "p0", on: date = date(2025, 5, 1),
          year: int | None = None, applicant: str = "ent-1", district: str | None = "baiyun") -> PriorAward:
    return PriorAward(applicant, measure_id, group or measure_id, project, district, on, year or on.year, amount)


PROPOSE = {"proposal_reason": "按成效评审提出"}
PILOT = {"pilot": 1}  # in the city pilot pool (S2 四(一)1)

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], tuple[PriorAward, ...], int]] = [
    # S0 三(一): ≤ 50% of the amount invested, ≤ 500万元
    ("S0 三(一) under the cap, .5 fen floored", "s0-promotion-centre", {"invested_total_fen": 999_999_999}, {}, (), 499_999_999),
    ("S0 三(一) exactly at 500万", "s0-promotion-centre", {"invested_total_fen": 1_000_000_000}, {}, (), 500 * WAN),
    ("S0 三(一) one fen over still 500万", "s0-promotion-centre", {"invested_total_fen": 1_000_000_002}, {}, (), 500 * WAN),
    # S0 三(二): ≤ 30%, ≤ 3000万 per platform, cumulative over its awards
    ("S0 三(二) at 3000万", "s0-platform-capability", {"invested_total_fen": 10_000_000_000}, {}, (), 3000 * WAN),
    ("S0 三(二) 2900万 already paid", "s0-platform-capability", {"invested_total_fen": 10_000_000_000}, {},
     (prior("s0-platform-capability", 2900 * WAN),), 100 * WAN),
    ("S0 三(二) official proposes less", "s0-platform-capability",
     {"invested_total_fen": 1_000 * WAN, "proposed_fen": 250 * WAN, **PROPOSE}, {}, (), 250 * WAN),
    # S0 三(三): the agreed fee, ≤ 20万元 per enterprise diagnosis project
    ("S0 三(三) fee at 20万", "s0-diagnosis", {"diagnosis_fee_fen": 20 * WAN}, {}, (), 20 * WAN),
    ("S0 三(三) fee over 20万", "s0-diagnosis", {"diagnosis_fee_fen": 20 * WAN + 1}, {}, (), 20 * WAN),
    ("S0 三(三) the project already paid", "s0-diagnosis", {"diagnosis_fee_fen": 20 * WAN}, {},
     (prior("s0-diagnosis", 20 * WAN, project="p1"),), 0),
    # S0 三(四): ≤ 30% of the project total, ≤ 1亿元
    ("S0 三(四) .9 fen floored under 1亿", "s0-transformation", {"project_total_fen": 33_333_333_333}, {}, (), 9_999_999_999),
    ("S0 三(四) at 1亿", "s0-transformation", {"project_total_fen": 33_333_333_334}, {}, (), 10_000 * WAN),
    # S0 三(五): proposed within the highest honour's cap (从高不重复)
    ("S0 三(五) cross-industry at 500万", "s0-honours", {"proposed_fen": 500 * WAN, **PROPOSE},
     {"honour": "national_cross_industry_iiot"}, (), 500 * WAN),
    ("S0 三(五) two honours: the highest cap 300万", "s0-honours", {"proposed_fen": 400 * WAN, **PROPOSE},
     {"honour": ("national_specialised_iiot", "national_green_factory")}, (), 300 * WAN),
    ("S0 三(五) green factory 50万", "s0-honours", {"proposed_fen": 60 * WAN, **PROPOSE},
     {"honour": "national_green_factory"}, (), 50 * WAN),
    ("S0 三(五) an award exactly three years before: outside the window", "s0-honours", {"proposed_fen": 100 * WAN, **PROPOSE},
     {"honour": "digital_lighthouse"}, (prior("s1-iiot-platform", 300 * WAN, group="iiot-honours", on=date(2023, 3, 10)),), 100 * WAN),
    ("S0 三(五) an S1 award within three years: refused", "s0-honours", {"proposed_fen": 100 * WAN, **PROPOSE},
     {"honour": "digital_lighthouse"}, (prior("s1-iiot-platform", 300 * WAN, group="iiot-honours", on=date(2023, 3, 11)),), 0),
    # S1 二 1: ≤ 30% of the project cost, ≤ 500万元 per project
    ("S1 二 1 under", "s1-chain", {"project_total_fen": 1_666_666_666}, {}, (), 499_999_999),
    ("S1 二 1 at 500万", "s1-chain", {"project_total_fen": 1_666_666_667}, {}, (), 500 * WAN),
    ("S1 二 1 same project paid 400万", "s1-chain", {"project_total_fen": 5_000 * WAN}, {},
     (prior("s1-chain", 400 * WAN, project="p1"),), 100 * WAN),
    # S1 二 2: proposed, ≤ 500万元
    ("S1 二 2 proposal over the cap", "s1-cluster-platform", {"proposed_fen": 600 * WAN, **PROPOSE}, {}, (), 500 * WAN),
    # S1 三 5 and 四 8: ≤ 30%, ≤ 500万元
    ("S1 三 5 at 500万", "s1-5g", {"project_total_fen": 2_000 * WAN}, {}, (), 500 * WAN),
    ("S1 四 8 30%", "s1-xinchuang", {"investment_fen": 1_000 * WAN}, {}, (), 300 * WAN),
    # S1 三 7: one-time 500万 / 300万, one award group with S0 三(五)
    ("S1 三 7 cross-industry 500万", "s1-iiot-platform", {}, {"honour": "national_cross_industry_iiot"}, (), 500 * WAN),
    ("S1 三 7 specialised 300万", "s1-iiot-platform", {}, {"honour": "national_specialised_iiot"}, (), 300 * WAN),
    ("S1 三 7 an S0 honour last year: refused even if higher", "s1-iiot-platform", {}, {"honour": "national_cross_industry_iiot"},
     (prior("s0-honours", 50 * WAN, group="iiot-honours", on=date(2025, 3, 1)),), 0),
    # S1 五 10: one-time 30万元, once
    ("S1 五 10 30万", "s1-integration-certification", {}, {}, (), 30 * WAN),
    ("S1 五 10 once only", "s1-integration-certification", {}, {}, (prior("s1-integration-certification", 30 * WAN),), 0),
    # S2 四(一)1: min(approved, verified) × batch rate ≤ 50%; level caps 60/100/150万 cumulative with other funds
    ("S2 四(一)1 level 2 at 60万", "s2-transformation",
     {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN, "batch_rate": "40%"}, {"level": 2, "pilot": 1},
     (), 60 * WAN),
    ("S2 四(一)1 level 2 capped", "s2-transformation",
     {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN, "batch_rate": "50%"}, {"level": 2, "pilot": 1},
     (), 60 * WAN),
    ("S2 四(一)1 level 3 uncapped 75万", "s2-transformation",
     {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN, "batch_rate": "50%"}, {"level": 3, "pilot": 1},
     (), 75 * WAN),
    ("S2 四(一)1 the approved figure is lower", "s2-transformation",
     {"approved_investment_fen": 100 * WAN, "verified_actual_investment_fen": 150 * WAN, "batch_rate": "1/3"}, {"level": 3, "pilot": 1}, (),
     33_333_333),
    ("S2 四(一)1 level 4 later: the difference", "s2-transformation",
     {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 200 * WAN, "batch_rate": "50%"}, {"level": 4, "pilot": 1},
     (prior("s2-transformation", 60 * WAN),), 90 * WAN),
    ("S2 四(一)1 central and provincial funds count", "s2-transformation",
     {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 200 * WAN, "batch_rate": "50%", "other_funds_fen": 50 * WAN},
     {"level": 3, "pilot": 1}, (prior("s2-transformation", 40 * WAN),), 10 * WAN),
    ("S2 四(一)1 level 1: not eligible", "s2-transformation",
     {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN, "batch_rate": "50%"}, {"level": 1, "pilot": 1},
     (), 0),
    # S2 四(一)1 数字贷: ≤ 3% of the loan, ≤ 50万 per enterprise per year, ≤ the interest actually paid
    ("S2 数字贷 3%", "s2-digital-loan", {"loan_contract_amount_fen": 1_000 * WAN, "actual_interest_paid_fen": 40 * WAN,
                                        "interest_period_start": "2026-01-01"}, PILOT, (), 30 * WAN),
    ("S2 数字贷 not a pilot enterprise: refused", "s2-digital-loan", {"loan_contract_amount_fen": 1_000 * WAN,
                                                                  "actual_interest_paid_fen": 40 * WAN,
                                                                  "interest_period_start": "2026-01-01"}, {"pilot": 0}, (), 0),
    ("S2 数字贷 the interest paid is lower", "s2-digital-loan", {"loan_contract_amount_fen": 1_000 * WAN,
                                                             "actual_interest_paid_fen": 25 * WAN,
                                                             "interest_period_start": "2026-01-01"}, PILOT, (), 25 * WAN),
    ("S2 数字贷 at 50万 a year", "s2-digital-loan", {"loan_contract_amount_fen": 2_000 * WAN, "actual_interest_paid_fen": 80 * WAN,
                                                  "interest_period_start": "2026-01-01"}, PILOT, (), 50 * WAN),
    ("S2 数字贷 20万 already this year", "s2-digital-loan", {"loan_contract_amount_fen": 2_000 * WAN, "actual_interest_paid_fen": 80 * WAN,
                                                         "interest_period_start": "2026-01-01"}, PILOT,
     (prior("s2-digital-loan", 20 * WAN, year=2026),), 30 * WAN),
    ("S2 数字贷 last year's subsidy does not count", "s2-digital-loan", {"loan_contract_amount_fen": 2_000 * WAN,
                                                                    "actual_interest_paid_fen": 80 * WAN,
                                                                    "interest_period_start": "2026-01-01"}, PILOT,
     (prior("s2-digital-loan", 50 * WAN, year=2025),), 50 * WAN),
    ("S2 数字贷 the interest period's year, not the decision's", "s2-digital-loan",
     {"loan_contract_amount_fen": 2_000 * WAN, "actual_interest_paid_fen": 80 * WAN, "interest_period_start": "2025-12-15"}, PILOT,
     (prior("s2-digital-loan", 50 * WAN, year=2025, on=date(2026, 1, 5)),), 0),
    # S2 四(二)2: tier awards ≤ 100/80/50万; platform projects ≤ 30% ≤ 250万
    ("S2 四(二)2 一档 100万", "s2-traction-tier", {"proposed_fen": 100 * WAN, **PROPOSE}, {"tier": "一档"}, (), 100 * WAN),
    ("S2 四(二)2 二档 80万", "s2-traction-tier", {"proposed_fen": 100 * WAN, **PROPOSE}, {"tier": "二档"}, (), 80 * WAN),
    ("S2 四(二)2 三档 50万", "s2-traction-tier", {"proposed_fen": 50 * WAN + 1, **PROPOSE}, {"tier": "三档"}, (), 50 * WAN),
    ("S2 四(二)2 no tier: refused", "s2-traction-tier", {"proposed_fen": 50 * WAN, **PROPOSE}, {}, (), 0),
    ("S2 四(二)2 platform at 250万", "s2-traction-platform", {"approved_investment_fen": 833_333_334}, {}, (), 250 * WAN),
    ("S2 四(二)2 platform under", "s2-traction-platform", {"approved_investment_fen": 833_333_333}, {}, (), 249_999_999),
    # S2 四(二)3: ≤ 1500万 per district, over every body of the district
    ("S2 四(二)3 district has 1400万", "s2-group-purchase", {"proposed_fen": 200 * WAN, **PROPOSE}, {"group_purchase_deliveries": 1},
     (prior("s2-group-purchase", 1400 * WAN, applicant="other-body"),), 100 * WAN),
    ("S2 四(二)3 another district's awards do not count", "s2-group-purchase", {"proposed_fen": 200 * WAN, **PROPOSE},
     {"group_purchase_deliveries": 1},
     (prior("s2-group-purchase", 1500 * WAN, applicant="other-body", district="huadu"),), 200 * WAN),
    ("S2 四(三)4 training ≤ 300万", "s2-training", {"proposed_fen": 301 * WAN, **PROPOSE}, {}, (), 300 * WAN),
    ("S2 四(三)5 third party ≤ 1200万", "s2-third-party", {"proposed_fen": 1200 * WAN, **PROPOSE}, {}, (), 1200 * WAN),
    ("S2 四(三)6 platform operation ≤ 500万", "s2-public-platform", {"proposed_fen": 501 * WAN, **PROPOSE}, {}, (), 500 * WAN),
    # S4 (一)(二): factory ≤ 1000万, workshop ≤ 200万 once; a workshop-rewarded factory gets the difference
    ("S4 (一) factory 1000万", "s4-demo-factory", {"proposed_fen": 1000 * WAN, "project_total_investment_fen": 5000 * WAN, **PROPOSE},
     {"titles": ("demonstration_factory",)}, (), 1000 * WAN),
    ("S4 (一) after a 200万 workshop: 800万", "s4-demo-factory",
     {"proposed_fen": 1000 * WAN, "project_total_investment_fen": 5000 * WAN, **PROPOSE},
     {"titles": ("demonstration_factory", "demonstration_workshop")},
     (prior("s4-demo-workshop", 200 * WAN),), 800 * WAN),
    ("S4 (一) not recognised as a factory: refused", "s4-demo-factory",
     {"proposed_fen": 1000 * WAN, "project_total_investment_fen": 5000 * WAN, **PROPOSE}, {"titles": ("demonstration_workshop",)}, (), 0),
    ("S4 (二) workshop 200万", "s4-demo-workshop", {"proposed_fen": 250 * WAN, "project_total_investment_fen": 5000 * WAN, **PROPOSE},
     {"titles": ("demonstration_workshop",)}, (), 200 * WAN),
    ("S4 (二) one workshop per enterprise", "s4-demo-workshop",
     {"proposed_fen": 100 * WAN, "project_total_investment_fen": 5000 * WAN, **PROPOSE}, {"titles": ("demonstration_workshop",)},
     (prior("s4-demo-workshop", 150 * WAN),), 0),
    ("S4 (三) benchmark ≤ 100万", "s4-iiot-benchmark", {"proposed_fen": 120 * WAN, "project_total_investment_fen": 500 * WAN, **PROPOSE},
     {}, (), 100 * WAN),
    # S4 (四): 20% of equipment + software, minus what other city funds paid for, ≤ 2000万 per project
    ("S4 (四) with an excluded part", "s4-tech-transformation",
     {"equipment_software_investment_fen": 10_000 * WAN, "other_city_funded_fen": 2_000 * WAN,
      "project_total_investment_fen": 12_000 * WAN},
     {}, (), 1_600 * WAN),
    ("S4 (四) at 2000万", "s4-tech-transformation",
     {"equipment_software_investment_fen": 10_000 * WAN, "project_total_investment_fen": 12_000 * WAN}, {}, (), 2_000 * WAN),
    # S4 (五): 30% of the equipment contract and invoice amount, ≤ 1500万 per enterprise in total
    ("S4 (五) 1400万 already", "s4-chain-collaboration",
     {"equipment_contract_invoice_fen": 1_000 * WAN, "project_total_investment_fen": 2_000 * WAN},
     {}, (prior("s4-chain-collaboration", 1_400 * WAN),), 100 * WAN),
    # S4 (六): ≤ 50% (100% for a benchmark platform's service), ≤ 30万 per enterprise per year
    ("S4 (六) 50% under the cap", "s4-cloud-voucher", {"contract_amount_fen": 40 * WAN, "project_total_investment_fen": 40 * WAN},
     {"benchmark": False}, (), 20 * WAN),
    ("S4 (六) 50% capped at 30万", "s4-cloud-voucher", {"contract_amount_fen": 70 * WAN, "project_total_investment_fen": 70 * WAN},
     {"benchmark": False}, (), 30 * WAN),
    ("S4 (六) benchmark 100%", "s4-cloud-voucher", {"contract_amount_fen": 20 * WAN, "project_total_investment_fen": 20 * WAN},
     {"benchmark": True}, (), 20 * WAN),
    ("S4 (六) 25万 already this year", "s4-cloud-voucher", {"contract_amount_fen": 20 * WAN, "project_total_investment_fen": 20 * WAN},
     {"benchmark": True}, (prior("s4-cloud-voucher", 25 * WAN, on=date(2026, 1, 2)),), 5 * WAN),
    # S4 (七)(八)(九)(十一)
    ("S4 (七) landing ≤ 2000万", "s4-platform-landing", {"proposed_fen": 2_100 * WAN, **PROPOSE}, {}, (), 2_000 * WAN),
    ("S4 (七) cluster platform ≤ 300万", "s4-cluster-service-platform", {"proposed_fen": 300 * WAN, **PROPOSE}, {}, (), 300 * WAN),
    ("S4 (八) ≤ 500万 a year", "s4-platform-performance",
     {"proposed_fen": 800 * WAN, "project_total_investment_fen": 10_000 * WAN, **PROPOSE},
     {"benchmark": False}, (), 500 * WAN),
    ("S4 (八) benchmark ≤ 1500万", "s4-platform-performance",
     {"proposed_fen": 1_500 * WAN, "project_total_investment_fen": 10_000 * WAN, **PROPOSE}, {"benchmark": True}, (), 1_500 * WAN),
    ("S4 (八) a fourth year: refused", "s4-platform-performance",
     {"proposed_fen": 100 * WAN, "project_total_investment_fen": 10_000 * WAN, **PROPOSE}, {"benchmark": True},
     tuple(prior("s4-platform-performance", 100 * WAN, on=date(y, 6, 1)) for y in (2023, 2024, 2025)), 0),
    ("S4 (八) a third year", "s4-platform-performance",
     {"proposed_fen": 100 * WAN, "project_total_investment_fen": 10_000 * WAN, **PROPOSE}, {"benchmark": True},
     tuple(prior("s4-platform-performance", 100 * WAN, on=date(y, 6, 1)) for y in (2024, 2025)), 100 * WAN),
    ("S4 (九) ≤ 500万 a year", "s4-platform-ecosystem", {"proposed_fen": 600 * WAN, **PROPOSE}, {}, (), 500 * WAN),
    ("S4 (十一) ≤ 50万", "s4-cluster-diagnosis", {"proposed_fen": 60 * WAN, **PROPOSE}, {}, (), 50 * WAN),
    # S4 附则(一): public money for the project plus this award ≤ the project's total investment
    ("S4 附则(一) the project's investment bounds", "s4-tech-transformation",
     {"equipment_software_investment_fen": 100 * WAN, "project_total_investment_fen": 100 * WAN, "other_public_funding_fen": 75 * WAN},
     {}, (prior("s4-iiot-benchmark", 10 * WAN, project="p1", applicant="platform-1"),), 15 * WAN),
]


@pytest.mark.parametrize(("label", "measure", "inputs", "facts", "priors", "expected"), CASES, ids=[c[0] for c in CASES])
def test_measure_by_hand(label: str, measure: str, inputs: dict[str, Any], facts: dict[str, Any],
                         priors: tuple[PriorAward, ...], expected: int) -> None:
    result = run(measure, inputs, facts, priors)
    assert result.amount_fen == expected, [(s.rule, s.amount_fen) for s in result.steps]
    assert isinstance(result.amount_fen, int)
    assert all(isinstance(s.amount_fen, int) for s in result.steps)
    assert result.steps and all(s.clause for s in result.steps)


def test_every_measure_of_the_digest_is_in_the_files() -> None:
    clauses = {m.clause for _, m in MEASURES.values()}
    for clause in ("S0 三(一)", "S0 三(二)", "S0 三(三)", "S0 三(四)", "S0 三(五)", "S1 二 1", "S1 二 2", "S1 三 5", "S1 三 7",
                   "S1 四 8", "S1 五 10", "S2 四(一)1", "S2 四(二)2", "S2 四(二)3", "S2 四(三)4", "S2 四(三)5", "S2 四(三)6",
                   "S4 (一)", "S4 (二)", "S4 (三)", "S4 (四)", "S4 (五)", "S4 (六)", "S4 (七)", "S4 (八)", "S4 (九)", "S4 (十一)"):
        assert clause in clauses, clause
    assert {p.status for p in POLICIES.values()} == {"draft", "in_force"}
    assert POLICIES["gz-s1-digital-transformation"].status == "draft" and POLICIES["zs-s4-digital-intelligent"].status == "draft"


def test_not_computable_measures_are_listed_never_guessed() -> None:
    listed = sorted(m.id for _, m in MEASURES.values() if not m.computable)
    assert listed == ["s1-key-enterprise", "s1-talent", "s4-loan-interest", "s4-major-projects", "s4-park-management"]
    result = run("s4-major-projects", {"proposed_fen": 100 * WAN, **PROPOSE})
    assert (result.amount_fen, result.computable, result.refusals[0].code) == (0, False, "not_computable")


def test_the_trace_lists_rules_in_order_with_readings_and_the_draft_flag() -> None:
    result = run("s2-transformation", {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN,
                                       "batch_rate": "50%"}, {"level": 2, "pilot": 1})
    assert [s.rule for s in result.steps] == [
        "base:approved_or_verified_lower", "share", "cap:level-cap", "condition:pilot>=1", "condition:level>=2"]
    assert [s.amount_fen for s in result.steps] == [150 * WAN, 75 * WAN, 60 * WAN, 1, 1]
    assert result.steps[1].inputs["rate"] == "1/2" and result.steps[2].inputs["level"] == 2
    assert not result.draft
    provenances = " ".join(r["provenance"] for r in result.readings)
    assert "S2 transformation subsidy" in provenances
    assert run("s1-chain", {"project_total_fen": WAN}).draft  # S1 is a draft: computes, flagged


def test_replaying_gives_the_same_trace() -> None:
    args = ("s4-tech-transformation", {"equipment_software_investment_fen": 3_333_333_337, "project_total_investment_fen": 10**10}, {})
    assert run(*args).as_json() == run(*args).as_json()


def test_tranches_split_to_the_fen() -> None:
    result = run("s4-tech-transformation", {"equipment_software_investment_fen": 5_000_000_005, "project_total_investment_fen": 10**10})
    assert result.amount_fen == 1_000_000_001
    assert [(t.share, t.amount_fen) for t in result.tranches] == [("30%", 300_000_000), ("70%", 700_000_001)]


def test_missing_and_invalid_inputs_are_named() -> None:
    with pytest.raises(MissingInputs) as missing:
        run("s2-transformation", {"approved_investment_fen": 1}, {"level": 2, "pilot": 1})
    assert missing.value.names == ("batch_rate", "verified_actual_investment_fen")
    with pytest.raises(MissingInputs) as over:
        run("s2-transformation", {"approved_investment_fen": 1, "verified_actual_investment_fen": 1, "batch_rate": "51%"},
            {"level": 2, "pilot": 1})
    assert over.value.invalid == ("batch_rate",)
    with pytest.raises(MissingInputs) as floats:
        run("s1-chain", {"project_total_fen": 1.5})
    assert floats.value.invalid == ("project_total_fen",)
    with pytest.raises(MissingInputs) as reason:
        run("s1-cluster-platform", {"proposed_fen": 1})
    assert reason.value.names == ("proposal_reason",)
