"""Two assessments of one enterprise side by side (baseline and post-transformation): the uplift.

Works on stored results, so each keeps the edition it was scored with. Items, dimensions and scenes are
compared where both results have them; ``same_edition`` says whether the two were scored against the
same data (same content hash).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from diagnosis.domain.scoring import AssessmentResult


class Change(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    before: int
    after: int
    delta: int


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    before_edition: str
    after_edition: str
    same_edition: bool
    level_uplift: int
    level: Change
    level_by_score: Change
    level_by_scenes: Change
    total_milli: Change
    dimension_milli: dict[str, Change]
    item_milli: dict[str, Change]
    scene_levels: dict[str, Change]
    scene_counts: dict[str, dict[str, Change]]
    """Scene level L → {"all": …, "constrained": …}."""
    scenes_raised: list[str]
    scenes_lowered: list[str]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _change(before: int, after: int) -> Change:
    return Change(before=before, after=after, delta=after - before)


def _changes(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, Change]:
    return {k: _change(before[k], v) for k, v in after.items() if k in before}


def compare_results(before: AssessmentResult | Mapping[str, Any], after: AssessmentResult | Mapping[str, Any]) -> Comparison:
    """``before`` is the earlier assessment (baseline), ``after`` the later one."""
    b = before if isinstance(before, AssessmentResult) else AssessmentResult.from_dict(before)
    a = after if isinstance(after, AssessmentResult) else AssessmentResult.from_dict(after)
    scenes = _changes(b.scene_levels, a.scene_levels)
    counts = {
        at: {"all": _change(b.scene_counts[at].all, c.all), "constrained": _change(b.scene_counts[at].constrained, c.constrained)}
        for at, c in a.scene_counts.items()
        if at in b.scene_counts
    }
    return Comparison(
        before_edition=b.edition_version,
        after_edition=a.edition_version,
        same_edition=b.edition_hash == a.edition_hash,
        level_uplift=a.level - b.level,
        level=_change(b.level, a.level),
        level_by_score=_change(b.level_by_score, a.level_by_score),
        level_by_scenes=_change(b.level_by_scenes, a.level_by_scenes),
        total_milli=_change(b.total_milli, a.total_milli),
        dimension_milli=_changes(b.dimension_milli, a.dimension_milli),
        item_milli=_changes(b.item_milli, a.item_milli),
        scene_levels=scenes,
        scene_counts=counts,
        scenes_raised=[s for s, c in scenes.items() if c.delta > 0],
        scenes_lowered=[s for s, c in scenes.items() if c.delta < 0],
    )
