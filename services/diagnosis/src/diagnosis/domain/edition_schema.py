"""The shape of an edition file of the SME digital-level index (schema ``sme-digital-level/1``).

These models check structure and types only; the rules that tie nodes together (maxima add up, options
fit their items, scenes complete, a monotone ladder) live in ``edition_rules``. Every node carries a
provenance label (handbook: assessment-index-2024.md, "Provenance labels"); options, bands and scene
descriptors inherit their item's or scene's label unless they name their own.

Points are integer milli-points (1 point = 1000). Percentages (weights, band bounds, tolerances) are
exact decimals, never floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Provenance = Literal["OFFICIAL", "PLATFORM", "3P", "RECONSTRUCTED"]
PROVENANCE_LABELS: tuple[str, ...] = ("OFFICIAL", "PLATFORM", "3P", "RECONSTRUCTED")
SCHEMA_ID = "sme-digital-level/1"

NonNegative = Annotated[int, Field(ge=0)]
EDITION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
"""An edition id names versions (``2024@3f2a…``) in paths and fits its column."""


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Issuer(Node):
    doc_no: str
    date: str


class LevelName(Node):
    level: NonNegative
    name: str
    name_en: str
    description: str | None = None
    provenance: Provenance
    note: str | None = None


class SceneLevelRange(Node):
    min: NonNegative
    max: Annotated[int, Field(ge=1)]
    provenance: Provenance
    note: str | None = None


class Indicator(Node):
    id: str
    name: str
    name_en: str | None = None
    weight_pct: Annotated[Decimal, Field(gt=0, le=100)]
    indicators: list[Indicator] = []
    items: list[str] = []
    provenance: Provenance
    note: str | None = None


class Dimension(Node):
    id: str
    name: str
    name_en: str
    assessed_by: Literal["points", "scenes"]
    max_milli: NonNegative | None = None
    indicators: list[Indicator] = []
    provenance: Provenance
    note: str | None = None


class InputSpec(Node):
    """A number the enterprise enters (device counts, revenue, energy use, …) to derive an option."""

    id: str
    label: str
    label_en: str
    unit: str | None = None
    type: Literal["integer", "decimal"]
    min: Decimal = Decimal(0)
    max: Decimal | None = None
    at_most: str | None = None
    """Another input this one may not exceed (digital devices ≤ total devices)."""
    provenance: Provenance
    note: str | None = None


class Band(Node):
    """A percentage band of a ratio; by default open on the left, closed on the right: (lo, hi]."""

    lo: Annotated[Decimal, Field(ge=0)]
    hi: Decimal
    lo_incl: bool = False
    hi_incl: bool = True


class Option(Node):
    id: str
    label: str
    pts_milli: NonNegative
    exclusive: bool = False
    """"无": chosen alone or not at all."""
    band: Band | None = None
    trend: Literal["worse", "flat", "better"] | None = None
    scene: str | None = None
    """The scene this option names (Q4's business links)."""
    provenance: Provenance | None = None
    note: str | None = None


class RatioDerivation(Node):
    """Option = the band holding 100 × numerator / denominator."""

    kind: Literal["ratio_band"]
    numerator: str
    denominator: str
    provenance: Provenance
    note: str | None = None

    def uses(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)

    def divisors(self) -> tuple[str, ...]:
        return (self.denominator,)


class TrendDerivation(Node):
    """Option = the trend from 前年 (prev) to 上年 (last) of ``last/per_last`` against ``prev/per_prev``.

    ``per_*`` turns a total into a per-unit figure (per 百元 of revenue, per employee); the factor 100 of
    "per 百元" cancels in the comparison. Within ``flat_tolerance_pct`` of the 前年 figure counts as 持平.
    """

    kind: Literal["trend"]
    last: str
    prev: str
    per_last: str | None = None
    per_prev: str | None = None
    better: Literal["higher", "lower"]
    flat_tolerance_pct: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    provenance: Provenance
    note: str | None = None

    def uses(self) -> tuple[str, ...]:
        return (self.last, self.prev, *self.divisors())

    def divisors(self) -> tuple[str, ...]:
        return tuple(r for r in (self.per_last, self.per_prev) if r is not None)


Derivation = Annotated[RatioDerivation | TrendDerivation, Field(discriminator="kind")]


class Item(Node):
    id: str
    title: str
    title_en: str | None = None
    type: Literal["single", "multi"]
    max_milli: NonNegative
    inputs: list[str] = []
    derive: Derivation | None = None
    options: list[Option]
    provenance: Provenance
    note: str | None = None


class SceneGroup(Node):
    id: str
    name: str
    name_en: str | None = None
    scenes: list[str]
    provenance: Provenance


class Scene(Node):
    id: str
    name: str
    name_en: str
    constrained: bool
    prompt: str | None = None
    levels: dict[int, str]
    """Descriptor of each level 1..max."""
    provenance: Provenance
    note: str | None = None


class Profile(Node):
    """A sector's set of constrained scenes; without a list, the scenes' own ``constrained`` flags."""

    id: str
    name: str
    constrained_scenes: list[str] | None = None
    provenance: Provenance
    note: str | None = None


class Rung(Node):
    level: Annotated[int, Field(ge=1)]
    min_score_milli: NonNegative
    scene_level: Annotated[int, Field(ge=1)]
    min_scenes: NonNegative
    min_constrained: NonNegative


class ScoreBand(Node):
    """[min_milli, max_milli) unless ``max_incl``; no ``max_milli`` means no upper bound."""

    level: Annotated[int, Field(ge=1)]
    min_milli: NonNegative
    max_milli: NonNegative | None = None
    max_incl: bool = False


class ScoreAndScenesRules(Node):
    """2024: a level needs its score threshold and its scene counts (all and constrained) at once."""

    mode: Literal["score_and_scenes"]
    provenance: Provenance
    evaluation_provenance: Provenance | None = None
    note: str | None = None
    rungs: list[Rung]


class ScoreBandRules(Node):
    """2022: the level is the band holding the total score."""

    mode: Literal["score_bands"]
    provenance: Provenance
    evaluation_provenance: Provenance | None = None
    note: str | None = None
    bands: list[ScoreBand]


LevelRules = Annotated[ScoreAndScenesRules | ScoreBandRules, Field(discriminator="mode")]


class EditionDocument(Node):
    schema_id: str = Field(alias="schema")
    id: Annotated[str, Field(pattern=EDITION_ID_PATTERN)]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    issuer: Issuer | None = None
    sector: str | None = None
    provenance: Provenance
    provenance_labels: dict[str, str]
    score_scale_milli: Annotated[int, Field(gt=0)]
    levels: list[LevelName]
    scene_levels: SceneLevelRange | None = None
    dimensions: list[Dimension]
    inputs: list[InputSpec] = []
    items: list[Item]
    scene_groups: list[SceneGroup] = []
    scenes: list[Scene] = []
    profiles: list[Profile] = []
    default_profile: str | None = None
    level_rules: LevelRules
    notes: list[str] = []
