"""Baseline and post-transformation assessments of one enterprise side by side: the uplift (issue item 4)."""

from __future__ import annotations

import json

from diagnosis.domain.comparison import compare_results
from diagnosis.domain.scoring import score_assessment

from .kit import CONSTRAINED, FULL, GUIDING, build, edition, node, options, payload, raw_2024, scenes

C, G = CONSTRAINED, GUIDING


def test_uplift_from_level_1_to_level_3() -> None:
    # Baseline: Q4+Q5 = 20 points, six scenes at 1 (3★) → 一级.
    before = score_assessment(edition(), payload(options(("Q4", "Q5")), scenes(0, l1=C[:3] + G[:3])))
    # After: Q1..Q6, Q8, Q9 = 60 points, eight scenes at 3 (5★), the rest at 2 → 三级.
    after = score_assessment(edition(), payload(options(("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q8", "Q9")), scenes(2, l3=C[:5] + G[:3])))
    assert (before.level, after.level) == (1, 3)
    diff = compare_results(before.to_dict(), after.to_dict())
    assert diff.level_uplift == 2 and diff.level.model_dump() == {"before": 1, "after": 3, "delta": 2}
    assert diff.total_milli.model_dump() == {"before": 20000, "after": 60000, "delta": 40000}
    # foundation 20 → 45 (Q1 8 + Q2 6 + Q3 6 + Q6 5 added), management 0 → 15 (Q8 7.5 + Q9 7.5)
    assert {k: v.delta for k, v in diff.dimension_milli.items()} == {"foundation": 25000, "management": 15000, "outcomes": 0}
    assert diff.item_milli["Q1"].delta == 8000 and diff.item_milli["Q5"].delta == 0
    assert diff.scene_levels["S01"].model_dump() == {"before": 1, "after": 3, "delta": 2}
    assert diff.scenes_raised == [f"S{i:02d}" for i in range(1, 17)] and diff.scenes_lowered == []
    # N(3): 0 → 8, of them ★ 0 → 5
    assert diff.scene_counts["3"]["all"].delta == 8 and diff.scene_counts["3"]["constrained"].delta == 5
    assert diff.same_edition and diff.before_edition == diff.after_edition == edition().version_id
    json.dumps(diff.to_dict(), ensure_ascii=False)


def test_a_lowered_scene_and_a_level_loss_show() -> None:
    before = score_assessment(edition(), payload(FULL, scenes(4)))
    after = score_assessment(edition(), payload(FULL, scenes(4, l2=["S03", "S05", "S07", "S09", "S10", "S11", "S13"])))
    diff = compare_results(before, after)
    # N(4) = 9 < 10; at ≥3 only ★ S01 S06 S08 S12 remain, 4 < 5: 四级 → 二级 by scenes
    assert diff.level_uplift == -2 and diff.level_by_scenes.after == 2 and diff.level_by_score.delta == 0
    assert diff.scene_counts["3"]["constrained"].model_dump() == {"before": 10, "after": 4, "delta": -6}
    assert diff.scenes_lowered == ["S03", "S05", "S07", "S09", "S10", "S11", "S13"] and diff.scenes_raised == []


def test_results_of_different_editions_compare_what_they_share() -> None:
    tree = raw_2024()
    node(tree, "scenes", "S12", "constrained").update(choose="3P")
    nine = build(tree)
    data = payload(FULL, scenes(3))
    diff = compare_results(score_assessment(edition(), data), score_assessment(nine, data))
    assert not diff.same_edition and diff.before_edition != diff.after_edition
    assert diff.level_uplift == 0 and diff.scene_counts["1"]["constrained"].delta == -1
