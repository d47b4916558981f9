"""The rules that make an edition's scenes, profiles and level ladder whole (see ``edition_rules``).

Scenes are complete (a descriptor for every level, each scene in exactly one group); profiles name real
scenes; level names cover every level; the ladder is reachable and monotone — each higher rung implies
the lower — so the final level is min(level by score, level by scenes) (handbook §3.1); score bands are
contiguous (handbook §3.2).
"""

from __future__ import annotations

from collections import Counter

from diagnosis.domain.edition_schema import EditionDocument, ScoreAndScenesRules, ScoreBandRules
from diagnosis.domain.problems import duplicates
from diagnosis.domain.problems import problem as _p
from sihua_shared.errors import Problem


def check_scenes(doc: EditionDocument) -> list[Problem]:
    problems: list[Problem] = []
    scene_ids = [s.id for s in doc.scenes]
    if not doc.scenes:
        return problems
    if doc.scene_levels is None:
        return [_p("scene_levels", "scene_levels", "有场景时须给出场景等级范围", "scenes need scene_levels")]
    if doc.scene_levels.min > 1:
        problems.append(_p("scene_levels", "scene_levels", "场景最低等级不能高于 1", "scene_levels.min must be 0 or 1"))
    wanted = set(range(1, doc.scene_levels.max + 1))
    for scene in doc.scenes:
        missing = sorted(wanted - {k for k, v in scene.levels.items() if v.strip()})
        extra = sorted(set(scene.levels) - wanted)
        if missing or extra:
            problems.append(
                _p(
                    f"scenes.{scene.id}.levels",
                    "scene_descriptors",
                    f"等级描述不完整：缺少 {missing}，多余 {extra}",
                    f"level descriptors incomplete: missing {missing}, extra {extra}",
                )
            )
    if doc.scene_groups:
        grouped = Counter(s for g in doc.scene_groups for s in g.scenes)
        for sid in grouped.keys() - set(scene_ids):
            problems.append(_p("scene_groups", "unknown_scene", f"场景分组引用了不存在的场景 {sid}", f"a group names unknown scene {sid}"))
        for sid in scene_ids:
            if grouped[sid] != 1:
                problems.append(
                    _p(
                        f"scenes.{sid}",
                        "scene_groups",
                        f"场景应恰属于一个分组（现为 {grouped[sid]} 个）",
                        f"the scene must be in exactly one group (found {grouped[sid]})",
                    )
                )
    profile_ids = {p.id for p in doc.profiles}
    if doc.default_profile is None or doc.default_profile not in profile_ids:
        problems.append(_p("default_profile", "default_profile", "默认行业配置不存在", "default_profile names no profile"))
    for profile in doc.profiles:
        listed = profile.constrained_scenes or []
        problems += duplicates(f"profiles.{profile.id}.constrained_scenes", listed)
        for sid in sorted(set(listed) - set(scene_ids)):
            problems.append(_p(f"profiles.{profile.id}", "unknown_scene", f"约束性场景 {sid} 不存在", f"unknown constrained scene {sid}"))
    return problems


def constrained_sets(doc: EditionDocument) -> dict[str, frozenset[str]]:
    """The constrained scenes of each profile (the scenes' own flags when a profile lists none)."""
    flagged = frozenset(s.id for s in doc.scenes if s.constrained)
    return {p.id: flagged if p.constrained_scenes is None else frozenset(p.constrained_scenes) for p in doc.profiles}


def check_rules(doc: EditionDocument) -> list[Problem]:
    rules = doc.level_rules
    levels = [r.level for r in rules.rungs] if isinstance(rules, ScoreAndScenesRules) else [b.level for b in rules.bands]
    problems: list[Problem] = []
    if levels != list(range(1, len(levels) + 1)):
        problems.append(
            _p("level_rules", "rungs", f"等级应为从 1 起连续递增，现为 {levels}", f"levels must run 1, 2, … in order; found {levels}")
        )
    named = sorted(n.level for n in doc.levels)
    if named != list(range(0, len(levels) + 1)):
        problems.append(
            _p(
                "levels",
                "level_names",
                "须为 0（未达一级）至最高等级各给出名称",
                "levels must name 0 (no level) and every level of the rules",
            )
        )
    if isinstance(rules, ScoreBandRules):
        return problems + _check_bands_rules(rules, doc.score_scale_milli)
    if not doc.scenes:
        return [*problems, _p("level_rules", "rules_need_scenes", "场景条件需要场景", "score-and-scenes rules need scenes")]
    top_scene = doc.scene_levels.max if doc.scene_levels else 0
    fewest_constrained = min((len(s) for s in constrained_sets(doc).values()), default=0)
    for rung in rules.rungs:
        field = f"level_rules.rungs.{rung.level}"
        if (
            rung.min_score_milli > doc.score_scale_milli
            or rung.scene_level > top_scene
            or rung.min_scenes > len(doc.scenes)
            or rung.min_constrained > fewest_constrained
            or rung.min_constrained > rung.min_scenes
        ):
            problems.append(
                _p(
                    field,
                    "rung_unreachable",
                    "该等级的条件无法达到（分数、场景等级或场景数超出范围）",
                    "the rung cannot be reached: score, scene level or scene counts beyond what the edition allows",
                )
            )
    for low, high in zip(rules.rungs, rules.rungs[1:], strict=False):
        if not (
            low.min_score_milli <= high.min_score_milli
            and low.scene_level <= high.scene_level
            and low.min_scenes <= high.min_scenes
            and low.min_constrained <= high.min_constrained
        ):
            problems.append(
                _p(
                    f"level_rules.rungs.{high.level}",
                    "rungs_not_monotone",
                    "高一级的条件应不低于低一级的条件",
                    "each rung's conditions must be at least those of the rung below",
                )
            )
    return problems


def _check_bands_rules(rules: ScoreBandRules, scale: int) -> list[Problem]:
    """Bands must be valid and contiguous (integer milli-points: after a closed upper bound b comes b + 1)."""
    problems: list[Problem] = []
    for band in rules.bands:
        field = f"level_rules.bands.{band.level}"
        if band.max_milli is not None and band.max_milli <= band.min_milli or band.min_milli > scale:
            problems.append(_p(field, "bands", "分数段上下限无效", "the band's bounds are invalid"))
        if band.max_milli is None and band is not rules.bands[-1]:
            problems.append(_p(field, "bands", "只有最高分数段可以没有上限", "only the top band may be open-ended"))
    for low, high in zip(rules.bands, rules.bands[1:], strict=False):
        if low.max_milli is not None and high.min_milli != low.max_milli + (1 if low.max_incl else 0):
            problems.append(
                _p(f"level_rules.bands.{high.level}", "bands", "分数段应首尾相接、不重叠", "the band must start where the band below ends")
            )
    return problems
