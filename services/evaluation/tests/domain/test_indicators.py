"""Indicators from facts: counts, uplift and the adjusted uplift worked out by hand, points, grades, findings."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

from evaluation.domain.indicators import (
    ACCEPTANCE_FAILED,
    ACCEPTED,
    ASSESSMENT_COMPLETED,
    COMPLAINT_DECIDED,
    CONTRACTED,
    DELIVERED,
    PARTNER_CONFIRMED,
    PARTNER_ENDED,
    PRODUCT_ADMITTED,
    PRODUCT_DELISTED,
    PRODUCT_RATED,
    PROJECT_COMPLETED,
    SURVEY_ANSWERED,
    WORK_PLAN_FILED,
    Fact,
    Finding,
    adjusted_uplift,
    compute,
    enterprise_uplifts,
    measure,
    points,
)
from evaluation.domain.model import shipped_models
from evaluation.domain.sampling import draw

D = date(2026, 5, 1)


def _assess(eid: str, enterprise: str, stage: str, level: int, day: int = 1, official: bool | None = None) -> Fact:
    return Fact(eid, ASSESSMENT_COMPLETED, date(2026, 1, day), None, enterprise,
                {"stage": stage, "level": level, "official_record": official})


def _project(eid: str, provider: str, enterprise: str) -> Fact:
    return Fact(eid, PROJECT_COMPLETED, D, provider, enterprise, {})


def test_uplift_takes_the_earliest_official_baseline_and_the_latest_post() -> None:
    facts = [_assess("b1", "e1", "baseline", 1, 1), _assess("b2", "e1", "baseline", 2, 2),
             _assess("p0", "e1", "post_transformation", 4, 3, official=False),  # practice: ignored
             _assess("p1", "e1", "post_transformation", 2, 4), _assess("p2", "e1", "post_transformation", 3, 5),
             _assess("b3", "e2", "baseline", 1)]  # no post: no uplift
    assert enterprise_uplifts(facts) == {"e1": (1, 2, ["b1", "p2"])}


def test_adjusted_uplift_subtracts_the_same_start_same_sector_peers() -> None:
    # the provider served a, b (furniture, baseline 1: uplift 2 and 1) and c (auto, baseline 2: uplift 1)
    uplifts = {"a": (1, 2, ["ab", "ap"]), "b": (1, 1, ["bb", "bp"]), "c": (2, 1, ["cb", "cp"]),
               "p1": (1, 0, []), "p2": (1, 1, []),  # furniture peers at level 1: mean 0.5
               "q1": (2, 1, []),  # auto peer at level 2: mean 1
               "r1": (1, 3, [])}  # auto at level 1: nobody of ours to compare with
    sectors = {"a": "furniture", "b": "furniture", "p1": "furniture", "p2": "furniture", "c": "auto", "q1": "auto",
               "r1": "auto"}
    result = adjusted_uplift({"a", "b", "c"}, uplifts, sectors, Decimal("1.96"))
    # differences: a 2 − 0.5 = 1.5, b 1 − 0.5 = 0.5, c 1 − 1 = 0 → mean 2/3
    assert [d for _, d in result.differences] == [Fraction(3, 2), Fraction(1, 2), Fraction(0)]
    assert result.mean == Decimal("0.667") and result.n == 3 and result.unmatched == 0
    s = math.sqrt(((1.5 - 2 / 3) ** 2 + (0.5 - 2 / 3) ** 2 + (2 / 3) ** 2) / 2)
    half = 1.96 * s / math.sqrt(3)
    assert result.interval == (Decimal(f"{2 / 3 - half:.3f}"), Decimal(f"{2 / 3 + half:.3f}"))
    assert result.facts == ["ab", "ap", "bb", "bp", "cb", "cp"]
    lone = adjusted_uplift({"r1"}, uplifts, sectors, Decimal("1.96"))
    assert (lone.mean, lone.n, lone.unmatched, lone.interval) == (None, 0, 1, None)


def test_points_are_linear_clamped_and_fewer_is_better_when_inverted() -> None:
    assert points(Decimal(45), Decimal(10), Decimal(0), Decimal(50)) == 9
    assert points(Decimal(80), Decimal(10), Decimal(0), Decimal(50)) == 10
    assert points(Decimal(1), Decimal(5), Decimal(5), Decimal(0)) == 4
    assert points(None, Decimal(5), Decimal(0), Decimal(1)) == 0


def test_compute_links_each_value_to_its_facts_and_findings_deduct() -> None:
    model = shipped_models()["gz-key-platform-2026"].model
    facts = [_project("f1", "P", "e1"), _project("f2", "P", "e1"), _project("f3", "Q", "e2"),
             Fact("s1", SURVEY_ANSWERED, D, "P", "e1", {"score_milli": 90_000}),
             *(Fact(f"k{n}", COMPLAINT_DECIDED, D, provider, None, {"complaint_id": f"c{n}", "outcome": outcome})
               for n, (provider, outcome) in enumerate((("P", "upheld"), ("P", "dismissed"), ("Q", "upheld"))))]
    grading = compute(model, "P", facts, sectors={},
                      findings=[Finding("fd1", "major", "e1", "报告与现场不符")])
    by_id = {v.indicator_id: v for v in grading.values}
    assert (by_id["enterprises_served"].value, by_id["enterprises_served"].facts) == (Decimal(1), ["f1", "f2"])
    assert by_id["diagnoses_completed"].value == 2
    assert (by_id["satisfaction"].value, by_id["satisfaction"].points_milli, by_id["satisfaction"].facts) == (
        Decimal("90.000"), 25_000, ["s1"])
    # one upheld complaint about P (the dismissed one and Q's do not count): fewer is better, 5 → 0 points
    complaints = by_id["complaints"]
    assert (complaints.value, complaints.points_milli, complaints.facts, complaints.note) == (
        Decimal(1), 4000, ["k0"], "complaints=c0")
    assert by_id["contracts_signed"].value == 0 and by_id["contracts_signed"].source == "computed"
    assert by_id["work_plan_attainment"].value is None and by_id["product_ratings"].value is None
    # 25 + 4 + 15·1/50 + 10·2/50 = 29.7 points, less 5 for the major finding
    assert grading.deductions_milli == 5000 and grading.score_milli == 24_700 and grading.grade == "不合格"
    assert grading.trace()["findings"][0]["finding_id"] == "fd1"


def test_the_sample_is_the_first_n_by_hmac_sha256_of_seed_and_id() -> None:
    seed, ids = "00ff" * 8, [f"ent-{n}" for n in range(12)]
    by_hand = sorted(ids, key=lambda e: hmac.new(seed.encode(), e.encode(), hashlib.sha256).hexdigest())[:5]
    assert draw(seed, ids + ids[:3], 5) == by_hand
    assert draw(seed, ids[:2], 5) == sorted(ids[:2], key=lambda e: hmac.new(seed.encode(), e.encode(), "sha256").hexdigest())


def test_quarters_end_where_the_calendar_says() -> None:
    from evaluation.domain.cycles import current_quarter, quarter_end

    assert [quarter_end(2026, q) for q in (1, 2, 3, 4)] == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30),
                                                          date(2026, 12, 31)]
    assert (current_quarter(2026, date(2026, 5, 2)), current_quarter(2026, date(2027, 1, 3))) == (2, 4)


def _contract(eid: str, unit: str, enterprise: str, project: str, *products: str) -> Fact:
    return Fact(eid, CONTRACTED, D, unit, enterprise, {"project_id": project, "lines": [{"product_id": p} for p in products]})


def test_catalog_and_funding_facts_by_hand() -> None:
    """Contracts as party or supplier, acceptances and their pass rate, listed products, an alliance's products,
    adopters, ratings and a work plan against its results, each value with the facts behind it."""
    facts = [
        Fact("adm-a", PRODUCT_ADMITTED, D, "P", None, {"product_id": "pa"}),
        Fact("adm-b", PRODUCT_ADMITTED, D, "P", None, {"product_id": "pb"}),
        Fact("adm-u", PRODUCT_ADMITTED, D, "U", None, {"product_id": "pu"}),
        Fact("adm-x", PRODUCT_ADMITTED, D, "X", None, {"product_id": "px"}),  # U's partner's
        Fact("adm-y", PRODUCT_ADMITTED, D, "Y", None, {"product_id": "py"}),  # a former partner's
        Fact("del-b", PRODUCT_DELISTED, D, "P", None, {"product_id": "pb"}),
        Fact("eco-x", PARTNER_CONFIRMED, D, "U", None, {"membership_id": "m1", "partner_id": "X"}),
        Fact("eco-y", PARTNER_CONFIRMED, D, "U", None, {"membership_id": "m2", "partner_id": "Y"}),
        Fact("end-y", PARTNER_ENDED, D, "U", None, {"membership_id": "m2"}),
        # U contracts three projects: e1 with P's product, e2 with its own, e3 with P's again
        _contract("c1", "U", "e1", "j1", "pa"), _contract("c2", "U", "e2", "j2", "pu"),
        _contract("c3", "U", "e3", "j3", "pa", "pu"),
        Fact("ok1", ACCEPTED, D, "U", "e1", {"project_id": "j1"}), Fact("ok2", ACCEPTED, D, "U", "e2", {"project_id": "j2"}),
        Fact("no3", ACCEPTANCE_FAILED, D, "U", "e3", {"project_id": "j3"}),
        Fact("gp1", DELIVERED, D, "CB", "e4", {"product_id": "pa"}),
        Fact("r1", PRODUCT_RATED, D, None, "e1", {"product_id": "pa", "score": 5}),
        Fact("r2", PRODUCT_RATED, D, None, "e3", {"product_id": "pa", "score": 4}),
        Fact("r3", PRODUCT_RATED, D, None, "e2", {"product_id": "pu", "score": 1}),
        Fact("wp0", WORK_PLAN_FILED, D, "P", None, {"year": 2025, "targets": []}),
        Fact("wp1", WORK_PLAN_FILED, D, "P", None, {"year": 2026, "targets": [
            {"sector": "furniture", "enterprises_to_serve": 4, "products_to_apply": 1},
            {"sector": "auto", "enterprises_to_serve": 0, "products_to_apply": 2}]}),
    ]
    projects = [_project("d1", "P", "e1"), _project("d2", "P", "e5")]
    sectors = {"e1": "furniture", "e3": "auto", "e4": "furniture", "e5": "furniture"}

    def m(method: str, provider: str) -> tuple[object, list[str], object]:
        got = measure(method, facts, provider, year=2026, projects=projects, sectors=sectors)
        return got.value, got.facts, got.n

    assert m("count_contracts", "U")[:2] == (3, ["c1", "c2", "c3"])
    assert m("count_contracts", "P")[:2] == (2, ["c1", "c3"])  # as the supplier of the lines' products
    assert m("count_accepted", "U")[:2] == (2, ["ok1", "ok2"])
    assert m("acceptance_rate", "U") == (Decimal("66.667"), ["ok1", "ok2", "no3"], 3)
    assert m("count_products", "P")[:2] == (1, ["adm-a"])  # pb delisted
    assert m("count_ecosystem_products", "U")[:2] == (2, ["adm-u", "adm-x"])  # Y left the alliance
    assert m("count_adopters", "P")[:2] == (3, ["c1", "c3", "gp1"])  # e1, e3, e4
    assert m("rating_mean", "P") == (Decimal("4.500"), ["r1", "r2"], 2)
    # furniture: 2 of 4 enterprises served (e1, e5) → 1/2, pa applied there (e1, e4) → 1/1; auto: pa only → 1/2
    # mean of (1/2, 1, 1/2) × 100
    value, used, n = m("work_plan_attainment", "P")
    assert (value, n) == (Decimal("66.667"), 3) and used[0] == "wp1" and {"d1", "d2", "c1", "gp1", "c3"} <= set(used)
    assert m("work_plan_attainment", "U")[0] is None
