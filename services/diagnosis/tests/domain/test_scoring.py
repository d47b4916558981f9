"""Scoring and levels, computed by hand from the index (handbook §2.2 points, §3.1 ladder, §3.2 bands)."""

from __future__ import annotations

import json

import pytest

from diagnosis.domain.edition_schema import ScoreAndScenesRules
from diagnosis.domain.levels import evaluate_levels
from diagnosis.domain.scoring import score_assessment

from .kit import CONSTRAINED, FULL, GUIDING, SCENES, ZERO, band_edition, build, edition, node, options, payload, raw_band, scenes

ALL_AT_4 = scenes(4)

# -- handbook §2.2: every option's points (weight % × item maximum) ---------------------------------------
ITEM_POINTS = [
    ("Q1", ["A"], 0), ("Q1", ["B"], 2000), ("Q1", ["B", "C"], 4000), ("Q1", ["C", "D", "E"], 6000), ("Q1", ["B", "C", "D", "E"], 8000),
    ("Q2", ["A"], 0), ("Q2", ["B"], 1500), ("Q2", ["C"], 3000), ("Q2", ["D"], 4500), ("Q2", ["E"], 6000),
    ("Q3", ["A"], 0), ("Q3", ["B"], 1500), ("Q3", ["C"], 3000), ("Q3", ["D"], 4500), ("Q3", ["E"], 6000),
    ("Q4", ["A"], 0), ("Q4", ["B"], 700), ("Q4", ["N"], 700), ("Q4", ["O"], 900), ("Q4", ["B", "O"], 1600),
    ("Q4", list("BCDEFGHIJKLMN"), 9100), ("Q4", list("BCDEFGHIJKLMNO"), 10000),
    ("Q5", ["A"], 0), ("Q5", ["B"], 2500), ("Q5", ["C"], 5000), ("Q5", ["D"], 7500), ("Q5", ["E"], 10000),
    ("Q6", ["A"], 0), ("Q6", ["B"], 1250), ("Q6", ["C", "E"], 2500), ("Q6", ["B", "C", "D"], 3750), ("Q6", ["B", "C", "D", "E"], 5000),
    ("Q7", ["A"], 0), ("Q7", ["D"], 1250), ("Q7", ["B", "C", "D", "E"], 5000),
    ("Q8", ["A"], 0), ("Q8", ["B"], 1500), ("Q8", ["C"], 3000), ("Q8", ["D"], 4500), ("Q8", ["E"], 6000), ("Q8", ["F"], 7500),
    ("Q9", ["A"], 0), ("Q9", ["B"], 1875), ("Q9", ["B", "C"], 3750), ("Q9", ["B", "C", "D"], 5625), ("Q9", ["B", "C", "D", "E"], 7500),
    ("Q10", ["A"], 0), ("Q10", ["F"], 1500), ("Q10", ["B", "C", "D"], 4500), ("Q10", ["B", "C", "D", "E", "F"], 7500),
    ("Q11", ["A"], 0), ("Q11", ["B"], 1875), ("Q11", ["C"], 3750), ("Q11", ["D"], 5625), ("Q11", ["E"], 7500),
    ("Q12", ["A"], 0), ("Q12", ["B"], 3500), ("Q12", ["C"], 7000),
    ("Q13", ["A"], 0), ("Q13", ["B"], 3500), ("Q13", ["C"], 7000),
    ("Q14", ["A"], 0), ("Q14", ["B"], 1500), ("Q14", ["C"], 3000),
    ("Q15", ["A"], 0), ("Q15", ["B"], 1500), ("Q15", ["C"], 3000),
]  # fmt: skip


@pytest.mark.parametrize(("item", "chosen", "milli"), ITEM_POINTS, ids=[f"{i}-{''.join(c)}" for i, c, _ in ITEM_POINTS])
def test_item_points_follow_handbook_2_2(item: str, chosen: list[str], milli: int) -> None:
    result = score_assessment(edition(), payload({**ZERO, item: chosen}, ALL_AT_4))
    assert result.item_milli[item] == milli
    assert result.total_milli == milli


def test_maxima_add_up_to_50_30_20_handbook_2_2() -> None:
    result = score_assessment(edition(), payload(FULL, ALL_AT_4))
    assert result.dimension_milli == {"foundation": 50000, "management": 30000, "outcomes": 20000}
    assert result.total_milli == result.max_milli == 100000
    assert result.indicator_milli["foundation.equipment"] == 20000  # 50 × 40 %
    assert result.indicator_milli["foundation.equipment.network"] == 8000  # 50 × 40 % × 40 %
    assert result.indicator_milli["outcomes.market"] == 6000  # 20 × 30 %
    assert result.level == 4


# -- handbook §3.1: the score ladder at every threshold (scenes all at level 4, so the score binds) ----
# Totals: Q5 10 = 10; Q1+Q2+Q3+Q5 = 8+6+6+10 = 30; + Q7 5 + Q8 7.5 + Q10 7.5 = 50; + Q12..Q15 7+7+3+3 = 70;
# "+tail" adds 9.975 (kit.TAIL). Q4+Q5 = 20; Q1..Q5 = 40; + Q6 5 + Q8 7.5 + Q9 7.5 = 60; + Q7 5 + Q10 + Q11 = 80.
SCORE_LADDER = [
    # (full items, tail, total milli, level by score)
    ((), False, 0, 0),
    (("Q5",), True, 19975, 0),
    (("Q4", "Q5"), False, 20000, 1),
    (("Q1", "Q2", "Q3", "Q5"), True, 39975, 1),
    (("Q1", "Q2", "Q3", "Q4", "Q5"), False, 40000, 2),
    (("Q1", "Q2", "Q3", "Q5", "Q7", "Q8", "Q10"), True, 59975, 2),
    (("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q8", "Q9"), False, 60000, 3),
    (("Q1", "Q2", "Q3", "Q5", "Q7", "Q8", "Q10", "Q12", "Q13", "Q14", "Q15"), True, 79975, 3),
    (("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q10", "Q11"), False, 80000, 4),
    (tuple(FULL), False, 100000, 4),
]


@pytest.mark.parametrize(("full", "tail", "total", "level"), SCORE_LADDER, ids=[str(t) for _, _, t, _ in SCORE_LADDER])
def test_score_ladder_handbook_3_1(full: tuple[str, ...], tail: bool, total: int, level: int) -> None:
    result = score_assessment(edition(), payload(options(full, tail), ALL_AT_4))
    assert result.total_milli == total
    assert (result.level_by_score, result.level_by_scenes, result.level) == (level, 4, level)
    assert result.binding == ("both" if level == 4 else "score")


# -- handbook §3.1: the scene ladder at every rung, N(L) and C(L) at and one below each threshold ------
# Score is 100 so the scenes bind. C = constrained (★), G = guiding.
C, G = CONSTRAINED, GUIDING
SCENE_LADDER = [
    ("L1: 3C+3G at 1", scenes(0, l1=C[:3] + G[:3]), 1),
    ("L1 short one scene: 3C+2G", scenes(0, l1=C[:3] + G[:2]), 0),
    ("L1 short one constrained: 2C+4G", scenes(0, l1=C[:2] + G[:4]), 0),
    ("L2: 3C+3G at 2", scenes(1, l2=C[:3] + G[:3]), 2),
    ("L2 short one scene: 3C+2G", scenes(1, l2=C[:3] + G[:2]), 1),
    ("L2 short one constrained: 2C+4G", scenes(1, l2=C[:2] + G[:4]), 1),
    ("L2 with scenes at 2 but fewer than 6 at 1", scenes(0, l2=C[:3] + G[:2]), 0),
    ("L3: 5C+3G at 3", scenes(2, l3=C[:5] + G[:3]), 3),
    ("L3 short one scene: 5C+2G", scenes(2, l3=C[:5] + G[:2]), 2),
    ("L3 short one constrained: 4C+4G", scenes(2, l3=C[:4] + G[:4]), 2),
    ("L4: 6C+4G at 4", scenes(3, l4=C[:6] + G[:4]), 4),
    ("L4 short one scene: 6C+3G", scenes(3, l4=C[:6] + G[:3]), 3),
    ("L4 short one constrained: 5C+5G", scenes(3, l4=C[:5] + G[:5]), 3),
    ("all sixteen at 4", scenes(4), 4),
    ("all at 0", scenes(0), 0),
]


@pytest.mark.parametrize(("levels", "expected"), [(s, e) for _, s, e in SCENE_LADDER], ids=[n for n, _, _ in SCENE_LADDER])
def test_scene_ladder_handbook_3_1(levels: dict[str, int], expected: int) -> None:
    result = score_assessment(edition(), payload(FULL, levels))
    assert (result.level_by_scenes, result.level_by_score, result.level) == (expected, 4, expected)


# -- handbook §3.1: both conditions, the binding ladder and the gap to the next level ------------------
GAPS = [
    # (name, full items, tail, scenes, level, by score, by scenes, binding, gap)
    ("score short 0.025 of 一级", ("Q5",), True, scenes(4), 0, 0, 4, "score", {"level": 1, "score_milli_missing": 25, "scene_level": 1,
                                                                                "scenes_missing": 0, "constrained_missing": 0}),
    ("one scene short of 三级", tuple(FULL), False, scenes(2, l3=C[:5] + G[:2]), 2, 4, 2, "scenes",
     {"level": 3, "score_milli_missing": 0, "scene_level": 3, "scenes_missing": 1, "constrained_missing": 0}),
    ("score and constrained both short of 三级", ("Q1", "Q2", "Q3", "Q5", "Q7", "Q8", "Q10"), True, scenes(2, l3=C[:4] + G[:4]), 2, 2, 2,
     "both", {"level": 3, "score_milli_missing": 25, "scene_level": 3, "scenes_missing": 0, "constrained_missing": 1}),
    ("nothing", (), False, scenes(0), 0, 0, 0, "both", {"level": 1, "score_milli_missing": 20000, "scene_level": 1,
                                                         "scenes_missing": 6, "constrained_missing": 3}),
    ("二级 by score, 一级 by scenes", ("Q1", "Q2", "Q3", "Q4", "Q5"), False, scenes(1, l2=C[:2] + G[:2]), 1, 2, 1, "scenes",
     {"level": 2, "score_milli_missing": 0, "scene_level": 2, "scenes_missing": 2, "constrained_missing": 1}),
    ("四级", tuple(FULL), False, scenes(4), 4, 4, 4, "both", None),
]  # fmt: skip


@pytest.mark.parametrize(("full", "tail", "levels", "level", "by_score", "by_scenes", "binding", "gap"),
                         [g[1:] for g in GAPS], ids=[g[0] for g in GAPS])  # fmt: skip
def test_level_binding_and_gap_handbook_3_1(full: tuple[str, ...], tail: bool, levels: dict[str, int], level: int, by_score: int,
                                            by_scenes: int, binding: str, gap: dict[str, int] | None) -> None:  # fmt: skip
    result = score_assessment(edition(), payload(options(full, tail), levels)).to_dict()
    assert (result["level"], result["level_by_score"], result["level_by_scenes"], result["binding"]) == (
        level,
        by_score,
        by_scenes,
        binding,
    )
    assert result["next_level_gap"] == gap


def test_scene_counts_all_and_constrained_handbook_3_1() -> None:
    levels = scenes(1, l2=["S02", "S04"], l3=["S01", "S03", "S14"], l4=["S06", "S15"])
    result = score_assessment(edition(), payload(ZERO, levels))
    # N(1)=16 C(1)=10; at ≥2: S02 S04 S01 S03 S14 S06 S15 = 7, of them ★ S01 S03 S06 = 3; ≥3: 5 / 3; ≥4: 2 / 1.
    assert result.to_dict()["scene_counts"] == {
        "1": {"all": 16, "constrained": 10},
        "2": {"all": 7, "constrained": 3},
        "3": {"all": 5, "constrained": 3},
        "4": {"all": 2, "constrained": 1},
    }
    assert result.constrained_scenes == CONSTRAINED


def test_ladder_monotone_so_level_is_min_of_both_handbook_3_1() -> None:
    rules = edition().rules
    assert isinstance(rules, ScoreAndScenesRules)
    for total in (0, 19999, 20000, 39999, 40000, 59999, 60000, 79999, 80000, 100000):
        for n in range(17):
            for c in range(min(n, 10) + 1):
                outcome = evaluate_levels(rules, total, {at: (n, c) for at in range(1, 5)})
                assert outcome.level == min(outcome.by_score, outcome.by_scenes)


def test_weakest_scenes_lowest_first_constrained_first() -> None:
    # N(3) = 6 at 3 + S15 at 4 = 7 < 8, so level 2; the next rung (三级) counts scenes at 3.
    levels = scenes(2, l1=["S16", "S12"], l3=C[:5] + G[:1], l4=["S15"])
    result = score_assessment(edition(), payload(FULL, levels))
    assert result.level == 2
    # level 1 first (★ S12 before S16), then level 2: ★ S09 S10 S11 S13 before guiding S04 S05 S14
    assert result.weakest_scenes == ["S12", "S16", "S09", "S10", "S11", "S13", "S04", "S05", "S14"]


def test_weakest_scenes_at_the_top_are_those_below_level_4() -> None:
    result = score_assessment(edition(), payload(FULL, scenes(4, l3=["S14", "S03"])))
    assert result.level == 4 and result.next_level_gap is None
    assert result.weakest_scenes == ["S03", "S14"]


def test_result_is_json_and_stamped_with_edition_and_provenance_handbook_3() -> None:
    result = score_assessment(edition(), payload(FULL, scenes(3)))
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["edition_id"] == "2024"
    assert data["edition_hash"] == edition().content_hash and len(data["edition_hash"]) == 64
    assert data["edition_version"] == f"2024@{edition().content_hash[:16]}"
    assert data["profile"] == "default" and data["level_mode"] == "score_and_scenes"
    assert data["provenance"]["level_rules"] == "3P"
    assert data["provenance"]["level_rules_evaluation"] == "RECONSTRUCTED"
    assert data["provenance"]["choices"]["items.Q8.options.F.label"] == "PLATFORM"
    assert data["level"] == 3 and data["level_name"] == "三级"
    assert list(data["scene_levels"]) == SCENES
    assert data["options"]["Q4"] == FULL["Q4"] and data["derived_items"] == []


# -- handbook §3.2: 2022 score bands, with the small test edition ---------------------------------------
# T1: A 0, B 20, C 40, D 60; T2: B 20, C 19.999, D 0.001 points.
BANDS = [
    ("A", ["A"], 0, 0),
    ("A", ["D"], 1, 0),
    ("A", ["C"], 19999, 0),
    ("A", ["B"], 20000, 1),
    ("A", ["C", "D"], 20000, 1),
    ("B", ["C"], 39999, 1),
    ("B", ["B"], 40000, 2),
    ("C", ["C"], 59999, 2),
    ("D", ["A"], 60000, 3),
    ("D", ["C"], 79999, 3),
    ("D", ["B"], 80000, 4),
    ("D", ["B", "C", "D"], 100000, 4),
]


@pytest.mark.parametrize(("t1", "t2", "total", "level"), BANDS, ids=[str(b[2]) for b in BANDS])
def test_score_bands_2022_handbook_3_2(t1: str, t2: list[str], total: int, level: int) -> None:
    result = score_assessment(band_edition(), {"answers": {"T1": {"options": [t1]}, "T2": {"options": t2}}})
    assert (result.total_milli, result.level, result.level_by_score) == (total, level, level)
    assert result.level_mode == "score_bands" and result.level_by_scenes == 4
    assert result.binding == ("both" if level == 4 else "score")
    assert result.scene_levels == {} and result.scene_counts == {} and result.weakest_scenes == []
    assert result.provenance.level_rules == "OFFICIAL"
    if level < 4:
        assert result.next_level_gap is not None
        nxt = {0: 20000, 1: 40000, 2: 60000, 3: 80000}[level]
        assert result.next_level_gap.model_dump() == {"level": level + 1, "score_milli_missing": nxt - total, "scene_level": None,
                                                      "scenes_missing": 0, "constrained_missing": 0}  # fmt: skip


def test_score_band_bounds_are_configurable_handbook_3_2() -> None:
    # The other reading of the shared boundary: 一级 is 20–40 inclusive, 二级 starts just above 40.
    tree = raw_band()
    node(tree, "level_rules", "bands", 0).update(max_incl=True)
    node(tree, "level_rules", "bands", 1).update(min_milli=40001)
    closed = build(tree)
    at_40 = {"answers": {"T1": {"options": ["B"]}, "T2": {"options": ["B"]}}}
    assert score_assessment(closed, at_40).level == 1
    assert score_assessment(band_edition(), at_40).level == 2
