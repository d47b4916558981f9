"""The data a diagnosis report shows, independent of the scoring engine.

Points are integers in thousandths (milli-points), as the index handbook asks; they are shown as
points with one decimal. Levels are 0..4 where 0 means "未达一级".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Binding = Literal["score", "scenes", "both"]
AssessmentMode = Literal["self", "on_site"]
AssessmentStage = Literal["baseline", "post"]

REPORT_TITLE = "中小企业数字化水平评测诊断报告"

LEVEL_NAMES: dict[int, str] = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}

# The official level descriptions (2022 notice, carried over as the meaning of each level); the text
# for level 0 is the project's own wording.
LEVEL_MEANINGS: dict[int, str] = {
    0: "尚未达到一级的得分或场景要求，数字化应用处于起步阶段。",
    1: "开展了基础业务流程梳理和数据规范化管理，并进行了信息技术简单应用。",
    2: "利用信息技术手段或管理工具实现了单一业务数字化管理。",
    3: "应用信息系统及数字化技术进行数据分析，实现全部主营业务数字化管控。",
    4: "利用全业务链数据集成分析，实现数据驱动的业务协同与智能决策。",
}

MODE_LABELS: dict[str, str] = {"self": "自评", "on_site": "现场评定"}
STAGE_LABELS: dict[str, str] = {"baseline": "改造前（基线）", "post": "改造后"}
BINDING_LABELS: dict[str, str] = {
    "score": "由得分决定（场景条件已满足更高等级）",
    "scenes": "由场景等级决定（得分已满足更高等级）",
    "both": "得分与场景等级一致",
}


def level_name(level: int) -> str:
    """一级..四级, or 未达一级 for 0."""
    return LEVEL_NAMES[level]


def points(milli: int) -> str:
    """Milli-points shown as points with one decimal, rounded half up: 35250 -> '35.3'."""
    value = (Decimal(milli) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value:.1f}"


def _check_level(name: str, value: int) -> None:
    if value not in LEVEL_NAMES:
        raise ValueError(f"{name} must be 0..4, got {value!r}")


@dataclass(frozen=True, slots=True)
class Enterprise:
    name: str
    uscc: str
    district: str
    sector: str


@dataclass(frozen=True, slots=True)
class DimensionScore:
    name: str
    score_milli: int
    max_milli: int

    @property
    def ratio(self) -> float:
        return self.score_milli / self.max_milli if self.max_milli else 0.0


@dataclass(frozen=True, slots=True)
class SceneLevel:
    code: str
    name: str
    level: int
    required_level: int
    """The level this scene needs for the enterprise's next level (0 when the next level asks nothing of it)."""
    constrained: bool

    def __post_init__(self) -> None:
        _check_level("scene level", self.level)
        _check_level("required level", self.required_level)

    @property
    def meets(self) -> bool:
        return self.level >= self.required_level


@dataclass(frozen=True, slots=True)
class Gap:
    target_level: int | None
    """The next level, or None when the enterprise is already at 四级."""
    points_missing_milli: int = 0
    scenes_missing: int = 0
    constrained_scenes_missing: int = 0
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WeakScene:
    name: str
    level: int
    suggestion: str


@dataclass(frozen=True, slots=True)
class ReportData:
    report_id: str
    issued_at: date
    enterprise: Enterprise
    mode: AssessmentMode
    stage: AssessmentStage
    edition_id: str
    level: int
    level_by_score: int
    level_by_scenes: int
    binding: Binding
    total_milli: int
    max_milli: int
    dimensions: tuple[DimensionScore, ...]
    scenes: tuple[SceneLevel, ...]
    gap: Gap
    weakest: tuple[WeakScene, ...] = ()
    plan_lines: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    level_meaning_text: str | None = field(default=None)
    """Overrides the handbook's meaning of the level (an edition may word it differently)."""

    def __post_init__(self) -> None:
        for name in ("level", "level_by_score", "level_by_scenes"):
            _check_level(name, getattr(self, name))
        if self.level != min(self.level_by_score, self.level_by_scenes):
            raise ValueError("level must be the lower of level_by_score and level_by_scenes")
        by_score, by_scenes = self.level_by_score, self.level_by_scenes
        expected = "score" if by_score < by_scenes else "scenes" if by_scenes < by_score else "both"
        if self.binding != expected:
            raise ValueError(f"binding is {expected!r} for these levels, got {self.binding!r}")

    @property
    def level_name(self) -> str:
        return level_name(self.level)

    @property
    def level_meaning(self) -> str:
        return self.level_meaning_text or LEVEL_MEANINGS[self.level]

    @property
    def mode_label(self) -> str:
        return MODE_LABELS[self.mode]

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def binding_label(self) -> str:
        return BINDING_LABELS[self.binding]
