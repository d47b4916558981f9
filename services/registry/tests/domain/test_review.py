"""Expert review (遴选, S0 二(二): 公平、公正、公开): score aggregation (the panel draw is
sihua_shared.panel, tested in shared/tests/test_panel.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.domain.calls import Criterion, Rubric, key_platform_rubric_template
from registry.domain.ranking import CutOutcome, CutRule, rank_and_cut
from registry.domain.review import ExpertScore, aggregate_scores
from sihua_shared.errors import DomainError

D = Decimal

# ---- aggregation ---------------------------------------------------------------------------------------------------

PLAIN = Rubric((Criterion("all", "总分", 100, D(100)),))


def _scores(*totals: str) -> list[ExpertScore]:
    return [ExpertScore(f"x{i}", {"all": D(t)}) for i, t in enumerate(totals)]


AGGREGATES = [
    # (case, totals, final, dropped (low, high))
    ("3 experts: plain mean", ["80", "85.5", "90.25"], "85.25", (None, None)),
    ("4 experts: plain mean", ["70", "80", "90", "100"], "85.00", (None, None)),
    ("5 experts: drop the single highest and the single lowest", ["10", "80", "82", "84", "100"], "82.00", ("x0", "x4")),
    ("7 experts: only one of each is dropped", ["60", "60", "80", "80", "80", "95", "95"], "79.00", ("x0", "x6")),
    ("mean rounded half-up: 80.0033 → 80.00", ["80", "80", "80.01"], "80.00", (None, None)),
    ("mean rounded half-up: 80.0067 → 80.01", ["80.01", "80.01", "80"], "80.01", (None, None)),
    ("mean exactly on the half: 80.005 → 80.01", ["80", "80.01"], "80.01", (None, None)),
    ("one expert", ["77.77"], "77.77", (None, None)),
]


@pytest.mark.parametrize(("case", "totals", "final", "dropped"), AGGREGATES, ids=[a[0] for a in AGGREGATES])
def test_final_score(case: str, totals: list[str], final: str, dropped: tuple[str | None, str | None]) -> None:
    result = aggregate_scores("a1", PLAIN, _scores(*totals), spread_limit=D(100))
    assert result.final_score == D(final) and str(result.final_score) == final
    assert (result.dropped_low, result.dropped_high) == dropped
    assert [t.counted for t in result.totals] == [t.expert_id not in dropped for t in result.totals]


SPREADS = [
    ("spread equal to the limit is fine", ["70", "85", "90"], D(20), False),
    ("spread above the limit goes to the chair", ["69.99", "85", "90"], D(20), True),
    ("spread counts the dropped scores too", ["10", "80", "82", "84", "100"], D(20), True),
]


@pytest.mark.parametrize(("case", "totals", "limit", "flagged"), SPREADS, ids=[s[0] for s in SPREADS])
def test_disagreement_flag(case: str, totals: list[str], limit: Decimal, flagged: bool) -> None:
    result = aggregate_scores("a1", PLAIN, _scores(*totals), spread_limit=limit)
    assert result.needs_chair_review is flagged
    assert result.spread == max(D(t) for t in totals) - min(D(t) for t in totals)


def test_weighted_totals_per_expert() -> None:
    rubric = Rubric((Criterion("tech", "技术能力", 50, D(10)), Criterion("service", "服务能力", 50, D(20))))
    scores = [
        ExpertScore("a", {"tech": 8, "service": D(15)}),  # 40 + 37.5 = 77.50
        ExpertScore("b", {"tech": 10, "service": D(20)}),  # 100.00
        ExpertScore("c", {"tech": 6, "service": D("12.5")}),  # 30 + 31.25 = 61.25
    ]
    result = aggregate_scores("a1", rubric, scores, spread_limit=D(30))
    assert [t.total for t in result.totals] == [D("77.50"), D("100.00"), D("61.25")]
    assert result.final_score == D("79.58")  # 238.75 / 3 = 79.5833…
    assert result.criterion_means == (D("40.00"), D("39.58"))
    assert result.needs_chair_review is True  # 38.75 > 30


BAD_AGGREGATES = [
    ("no scores", [], None, "no_scores"),
    ("an expert scored twice", [ExpertScore("x", {"all": D(1)}), ExpertScore("x", {"all": D(2)})], None, "duplicate_expert_score"),
    ("a panel member has not scored", _scores("80", "90"), {"x0", "x1", "x2"}, "scores_incomplete"),
    ("someone off the panel scored", _scores("80", "90"), {"x0"}, "score_from_unassigned_expert"),
    ("a score above the criterion's max", [ExpertScore("x", {"all": D("100.01")})], None, "score_out_of_range"),
]


@pytest.mark.parametrize(("case", "scores", "members", "code"), BAD_AGGREGATES, ids=[b[0] for b in BAD_AGGREGATES])
def test_aggregation_refuses(case: str, scores: list[ExpertScore], members: set[str] | None, code: str) -> None:
    with pytest.raises(DomainError) as info:
        aggregate_scores("a1", PLAIN, scores, spread_limit=D(20), panel_members=members)
    assert info.value.code == code


def test_from_panel_to_cut() -> None:
    rubric = key_platform_rubric_template()
    sheets = {
        "alpha": [(35, 25, 25), (36, 26, 24), (34, 24, 26)],  # 85, 86, 84 → 85.00
        "beta": [(30, 28, 27), (31, 27, 27), (29, 29, 27)],  # 85, 85, 85 → 85.00; weaker on 技术能力
        "gamma": [(20, 20, 20), (22, 18, 20), (18, 22, 20)],  # 60
    }
    aggregates = []
    for app, rows in sheets.items():
        scores = [
            ExpertScore(f"{app}-e{i}", dict(zip(rubric.codes, (D(v) for v in row), strict=True))) for i, row in enumerate(rows)
        ]
        aggregates.append(aggregate_scores(app, rubric, scores, spread_limit=D(15)))
    ranked = rank_and_cut([a.scored() for a in aggregates], CutRule(pass_mark=D(70), quota=1))
    assert [(r.application_id, r.final_score, r.rank, r.outcome) for r in ranked] == [
        ("alpha", D("85.00"), 1, CutOutcome.SELECTED),  # tie on the total broken by 技术能力 (35.00 vs 30.00)
        ("beta", D("85.00"), 2, CutOutcome.OVER_QUOTA),
        ("gamma", D("60.00"), 3, CutOutcome.BELOW_PASS_MARK),
    ]
