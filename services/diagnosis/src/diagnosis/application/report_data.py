"""A stored result, its edition and the enterprise's profile → the data a diagnosis report shows.

Pure: no database, no I/O. The "why" and "what is missing" lines are worded here from the edition's own
rules, so a report explains a level with the thresholds it was scored against.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..domain.edition_schema import ScoreAndScenesRules
from ..domain.index import Edition
from ..reports.model import DimensionScore, Enterprise, Gap, ReportData, SceneLevel, WeakScene, level_name, points

WEAKEST_SHOWN = 5
SOURCE_LABELS = {"edition": "指标来源", "level_rules": "等级规则来源", "level_rules_evaluation": "等级判定方法来源"}


def _gap_lines(edition: Edition, result: Mapping[str, Any]) -> tuple[str, ...]:
    level, by_score, by_scenes = result["level"], result["level_by_score"], result["level_by_scenes"]
    why = (
        f"按得分可评{level_name(by_score)}，按场景等级可评{level_name(by_scenes)}；"
        f"两项条件须同时满足，最终等级取较低者：{level_name(level)}。"
    )
    gap = result.get("next_level_gap")
    if gap is None:
        return (why,)
    target, total = gap["level"], result["total_milli"]
    rules = edition.rules
    if not isinstance(rules, ScoreAndScenesRules):
        band = rules.bands[target - 1]
        missing = f"还差 {points(gap['score_milli_missing'])} 分" if gap["score_milli_missing"] else "已满足"
        return why, f"{level_name(target)}须总分达到 {points(band.min_milli)} 分，当前 {points(total)} 分，{missing}。"
    rung = rules.rungs[target - 1]
    counts = result["scene_counts"].get(str(rung.scene_level), {"all": 0, "constrained": 0})
    at = level_name(rung.scene_level)

    score_missing, scenes_missing, constrained_missing = (
        gap["score_milli_missing"], gap["scenes_missing"], gap["constrained_missing"]
    )
    return (
        why,
        f"{level_name(target)}须总分达到 {points(rung.min_score_milli)} 分：当前 {points(total)} 分，"
        + (f"还差 {points(score_missing)} 分。" if score_missing else "已满足。"),
        f"{level_name(target)}须至少 {rung.min_scenes} 个场景达到{at}及以上：当前 {counts['all']} 个，"
        + (f"还差 {scenes_missing} 个。" if scenes_missing else "已满足。"),
        f"其中约束性场景须至少 {rung.min_constrained} 个达到{at}及以上：当前 {counts['constrained']} 个，"
        + (f"还差 {constrained_missing} 个。" if constrained_missing else "已满足。"),
    )


def _weakest(edition: Edition, result: Mapping[str, Any]) -> tuple[WeakScene, ...]:
    shown = []
    for sid in result["weakest_scenes"][:WEAKEST_SHOWN]:
        scene = edition.scenes[sid]
        level = result["scene_levels"][sid]
        nxt = scene.levels.get(level + 1)
        advice = f"达到{level_name(level + 1)}：{nxt}" if nxt else "保持并巩固现有应用水平。"
        shown.append(WeakScene(f"{sid} {scene.name}", level, advice))
    return tuple(shown)


def _provenance(edition: Edition, result: Mapping[str, Any]) -> tuple[str, ...]:
    labels = edition.document.provenance_labels
    stamped = result.get("provenance", {})
    lines = [f"{zh}：{stamped[k]}（{labels.get(stamped[k], '')}）" for k, zh in SOURCE_LABELS.items() if stamped.get(k)]
    lines += [f"争议条目 {path} 采用 {choice} 口径" for path, choice in sorted(stamped.get("choices", {}).items())]
    return tuple(lines)


def build_report_data(
    *,
    report_id: str,
    issued_on: date,
    edition: Edition,
    assessment: Mapping[str, Any],
    enterprise: Enterprise,
    plan_lines: tuple[str, ...] = (),
) -> ReportData:
    result = assessment["result"]
    gap = result.get("next_level_gap")
    scene_level = gap["scene_level"] if gap and gap.get("scene_level") else 0
    constrained = set(result["constrained_scenes"])
    dimensions = tuple(
        DimensionScore(d.name, result["dimension_milli"][d.id], d.max_milli or 0)
        for d in edition.document.dimensions
        if d.assessed_by == "points"
    )
    scenes = tuple(
        SceneLevel(sid, edition.scenes[sid].name, result["scene_levels"][sid], scene_level, sid in constrained)
        for sid in edition.scene_ids
    )
    description = next((n.description for n in edition.document.levels if n.level == result["level"]), None)
    return ReportData(
        report_id=report_id,
        issued_at=issued_on,
        enterprise=enterprise,
        mode="on_site" if assessment["kind"] == "onsite" else "self",
        stage="post" if assessment["stage"] == "post_transformation" else "baseline",
        edition_id=result["edition_version"],
        level=result["level"],
        level_by_score=result["level_by_score"],
        level_by_scenes=result["level_by_scenes"],
        binding=result["binding"],
        total_milli=result["total_milli"],
        max_milli=result["max_milli"],
        dimensions=dimensions,
        scenes=scenes,
        gap=Gap(
            target_level=gap["level"] if gap else None,
            points_missing_milli=gap["score_milli_missing"] if gap else 0,
            scenes_missing=gap["scenes_missing"] if gap else 0,
            constrained_scenes_missing=gap["constrained_missing"] if gap else 0,
            lines=_gap_lines(edition, result),
        ),
        weakest=_weakest(edition, result),
        plan_lines=plan_lines,
        provenance=_provenance(edition, result),
        level_meaning_text=f"{description}。" if description and not description.endswith("。") else description,
    )
