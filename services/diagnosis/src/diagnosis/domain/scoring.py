"""Answers → result: exact scores (integer milli-points), scene counts, levels, gap, weakest scenes.

Handbook §6, engine algorithm: score each item (single: the option's points; multi: the sum, capped
at the item maximum), sum up the indicator tree to dimensions and the total S, count N(L) and C(L)
with the profile's constrained scenes, evaluate the ladder (``levels``), and stamp the result with the
edition, its hash, the profile and the provenance of the rules, so it can be recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from diagnosis.domain.answer_messages import answer_problem
from diagnosis.domain.answers import Answers, parse_answers
from diagnosis.domain.index import Edition
from diagnosis.domain.levels import Binding, evaluate_levels
from diagnosis.domain.problems import AnswersInvalid


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SceneCount(_Frozen):
    all: int
    constrained: int


class LevelGap(_Frozen):
    level: int
    score_milli_missing: int
    scene_level: int | None
    scenes_missing: int
    constrained_missing: int


class ResultProvenance(_Frozen):
    edition: str
    level_rules: str
    level_rules_evaluation: str
    choices: dict[str, str]
    """Disputed node → the reading (provenance label) the edition used."""


class AssessmentResult(_Frozen):
    """One scored assessment; ``to_dict()`` is its stored and published form."""

    edition_id: str
    edition_hash: str
    edition_version: str
    profile: str | None
    level_mode: Literal["score_and_scenes", "score_bands"]
    level: int
    """The final level: 0 (未达一级) to the top level."""
    level_name: str
    level_by_score: int
    level_by_scenes: int
    binding: Binding
    total_milli: int
    max_milli: int
    dimension_milli: dict[str, int]
    indicator_milli: dict[str, int]
    item_milli: dict[str, int]
    options: dict[str, list[str]]
    """The options in force per item, derived ones included."""
    derived_items: list[str]
    scene_levels: dict[str, int]
    constrained_scenes: list[str]
    scene_counts: dict[str, SceneCount]
    """Scene level L ("1".."4") → scenes, and constrained scenes, at level ≥ L."""
    next_level_gap: LevelGap | None
    weakest_scenes: list[str]
    provenance: ResultProvenance

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssessmentResult:
        return cls.model_validate(dict(data))


def score_assessment(edition: Edition, payload: Mapping[str, Any]) -> AssessmentResult:
    """Check a complete answer payload and score it; raise ``AnswersInvalid`` listing every problem."""
    return score_answers(edition, parse_answers(edition, payload))


def score_answers(edition: Edition, answers: Answers) -> AssessmentResult:
    unanswered = [answer_problem(f"answers.{i}", "answer.missing", item=i) for i in edition.items if i not in answers.options]
    unanswered += [
        answer_problem(f"scenes.{s.id}", "scene.missing", name=s.name, name_en=s.name_en)
        for s in edition.scenes.values()
        if s.id not in answers.scene_levels
    ]
    if unanswered:  # answers checked as a draft (complete=False) cannot be scored
        raise AnswersInvalid(unanswered)
    item_milli: dict[str, int] = {}
    dimension_milli = dict.fromkeys(edition.dimension_ids, 0)
    indicator_milli = dict.fromkeys(edition.indicator_ids, 0)
    for item_id, item in edition.items.items():
        points = item.points
        pts = min(sum(points[o] for o in answers.options[item_id]), item.max_milli)
        item_milli[item_id] = pts
        dimension_milli[item.dimension] += pts
        for ind in item.indicators:
            indicator_milli[ind] += pts
    total = sum(item_milli.values())

    profile = answers.profile
    constrained = edition.constrained.get(profile, frozenset()) if profile is not None else frozenset()
    levels = answers.scene_levels
    _, top_scene = edition.scene_level_range
    counts: dict[int, tuple[int, int]] = {}
    for at in range(1, top_scene + 1):
        reached = [s for s, lv in levels.items() if lv >= at]
        counts[at] = (len(reached), sum(1 for s in reached if s in constrained))
    outcome = evaluate_levels(edition.rules, total, counts)
    gap = outcome.gap
    target = gap.scene_level if gap is not None and gap.scene_level is not None else top_scene

    return AssessmentResult(
        edition_id=edition.id,
        edition_hash=edition.content_hash,
        edition_version=edition.version_id,
        profile=profile,
        level_mode=edition.rules.mode,
        level=outcome.level,
        level_name=edition.level_name(outcome.level),
        level_by_score=outcome.by_score,
        level_by_scenes=outcome.by_scenes,
        binding=outcome.binding,
        total_milli=total,
        max_milli=edition.document.score_scale_milli,
        dimension_milli=dimension_milli,
        indicator_milli=indicator_milli,
        item_milli=item_milli,
        options={i: list(answers.options[i]) for i in edition.items},
        derived_items=[i for i in edition.items if i in answers.derived],
        scene_levels={s: levels[s] for s in edition.scene_ids},
        constrained_scenes=[s for s in edition.scene_ids if s in constrained],
        scene_counts={str(at): SceneCount(all=n, constrained=c) for at, (n, c) in counts.items()},
        next_level_gap=None
        if gap is None
        else LevelGap(
            level=gap.level,
            score_milli_missing=gap.score_milli_missing,
            scene_level=gap.scene_level,
            scenes_missing=gap.scenes_missing,
            constrained_missing=gap.constrained_missing,
        ),
        weakest_scenes=weakest_scenes(edition, levels, constrained, target),
        provenance=ResultProvenance(**edition.provenance()),
    )


def weakest_scenes(edition: Edition, levels: Mapping[str, int], constrained: frozenset[str], target: int) -> list[str]:
    """Scenes below ``target`` (the scene level the next rung asks for; the top scene level at the top),
    lowest first; at equal level constrained scenes first, since they count towards both N and C; then
    in edition order."""
    order = {sid: i for i, sid in enumerate(edition.scene_ids)}
    below = [s for s in edition.scene_ids if levels[s] < target]
    return sorted(below, key=lambda s: (levels[s], s not in constrained, order[s]))


def recompute(edition: Edition, payload: Mapping[str, Any], stored: Mapping[str, Any]) -> tuple[AssessmentResult, list[str]]:
    """Score the stored answers again and name the top-level result fields that changed."""
    fresh = score_assessment(edition, payload).to_dict()
    changed = sorted(k for k in fresh.keys() | stored.keys() if fresh.get(k) != stored.get(k))
    return AssessmentResult.from_dict(fresh), changed
