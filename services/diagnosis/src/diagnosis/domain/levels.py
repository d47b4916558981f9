"""The level from a total score and scene counts, under either level-rule mode the index has had.

- ``score_and_scenes`` (2024, handbook §3.1): a rung holds when S ≥ its score threshold *and* N(L) and
  C(L) reach its scene counts. Level by score and level by scenes are the highest rungs whose one
  condition holds; the level is the highest rung where both hold, which for the monotone ladders the
  loader insists on equals min(level by score, level by scenes).
- ``score_bands`` (2022, handbook §3.2): the level is the band holding S; below the first band, 0.
  Scenes impose nothing, so the level by scenes is the top level and the score always binds.

The gap is to the next level: points missing, and at that rung's scene level the scenes and
constrained scenes missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from diagnosis.domain.edition_schema import ScoreAndScenesRules, ScoreBandRules

Binding = Literal["score", "scenes", "both"]


@dataclass(frozen=True, slots=True)
class Gap:
    level: int
    score_milli_missing: int
    scene_level: int | None
    """The scene level the next rung counts scenes at (None for score bands)."""
    scenes_missing: int
    constrained_missing: int


@dataclass(frozen=True, slots=True)
class LevelOutcome:
    level: int
    by_score: int
    by_scenes: int
    binding: Binding
    gap: Gap | None
    """None at the top level."""


def binding_of(by_score: int, by_scenes: int) -> Binding:
    """Which ladder holds the level down: the lower one, or both when they agree."""
    return "score" if by_score < by_scenes else "scenes" if by_scenes < by_score else "both"


def evaluate_levels(rules: ScoreAndScenesRules | ScoreBandRules, total_milli: int, counts: Mapping[int, tuple[int, int]]) -> LevelOutcome:
    """``counts`` maps a scene level L to (N(L), C(L)): scenes, and constrained scenes, at level ≥ L."""
    if isinstance(rules, ScoreBandRules):
        return _by_bands(rules, total_milli)
    by_score = by_scenes = level = 0
    for rung in rules.rungs:
        n, c = counts.get(rung.scene_level, (0, 0))
        score_ok = total_milli >= rung.min_score_milli
        scenes_ok = n >= rung.min_scenes and c >= rung.min_constrained
        by_score = rung.level if score_ok else by_score
        by_scenes = rung.level if scenes_ok else by_scenes
        level = rung.level if score_ok and scenes_ok else level
    gap = None
    if level < len(rules.rungs):
        rung = rules.rungs[level]
        n, c = counts.get(rung.scene_level, (0, 0))
        gap = Gap(
            rung.level,
            max(0, rung.min_score_milli - total_milli),
            rung.scene_level,
            max(0, rung.min_scenes - n),
            max(0, rung.min_constrained - c),
        )
    return LevelOutcome(level, by_score, by_scenes, binding_of(by_score, by_scenes), gap)


def _by_bands(rules: ScoreBandRules, total_milli: int) -> LevelOutcome:
    level = 0
    for band in rules.bands:
        below_max = band.max_milli is None or total_milli < band.max_milli or band.max_incl and total_milli == band.max_milli
        if total_milli >= band.min_milli and below_max:
            level = band.level
    top = len(rules.bands)
    gap = None
    if level < top:
        gap = Gap(level + 1, max(0, rules.bands[level].min_milli - total_milli), None, 0, 0)
    return LevelOutcome(level, level, top, binding_of(level, top), gap)
