"""An edition of the SME digital-level index as versioned data: load, check, pre-index, identify.

The file is YAML (or the same tree as a mapping). Disputed nodes are variants (``variants``), resolved
before anything else; the choices made are kept on the edition and stamped on every result. A broken
file is refused with ``EditionInvalid`` listing every problem found.

The content hash is the SHA-256 of the canonical JSON of the whole tree (alternatives and notes
included, YAML comments and layout not), so any change of meaning gives a new hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from diagnosis.domain.edition_rules import check_document
from diagnosis.domain.edition_schema import (
    EditionDocument,
    Indicator,
    InputSpec,
    Item,
    RatioDerivation,
    Scene,
    ScoreAndScenesRules,
    ScoreBandRules,
    TrendDerivation,
)
from diagnosis.domain.ladder_rules import constrained_sets
from diagnosis.domain.problems import EditionInvalid
from diagnosis.domain.variants import VariantChoice, resolve_variants, structural_problem
from sihua_shared.errors import Problem


@dataclass(frozen=True, slots=True)
class BandRule:
    lo: Fraction
    lo_incl: bool
    hi: Fraction
    hi_incl: bool
    option: str

    def holds(self, pct: Fraction) -> bool:
        above = pct >= self.lo if self.lo_incl else pct > self.lo
        below = pct <= self.hi if self.hi_incl else pct < self.hi
        return above and below


@dataclass(frozen=True, slots=True)
class CompiledItem:
    """An item pre-indexed for scoring and answer checks."""

    id: str
    type: str
    max_milli: int
    dimension: str
    indicators: tuple[str, ...]
    """The indicator ids from the dimension down to the item's leaf."""
    points: Mapping[str, int]
    exclusive: frozenset[str]
    inputs: tuple[str, ...]
    derive: RatioDerivation | TrendDerivation | None
    bands: tuple[BandRule, ...]
    trend_options: Mapping[str, str]
    """worse / flat / better → option id."""
    spec: Item


@dataclass(frozen=True, slots=True)
class Edition:
    """A loaded, checked and pre-indexed edition. Treat as immutable."""

    document: EditionDocument
    content_hash: str
    choices: tuple[VariantChoice, ...]
    items: Mapping[str, CompiledItem]
    inputs: Mapping[str, InputSpec]
    dimension_ids: tuple[str, ...]
    """Scored dimensions, in file order."""
    indicator_ids: tuple[str, ...]
    scenes: Mapping[str, Scene]
    scene_ids: tuple[str, ...]
    constrained: Mapping[str, frozenset[str]]
    """Profile id → its constrained scenes."""
    rules: ScoreAndScenesRules | ScoreBandRules
    top_level: int

    @property
    def id(self) -> str:
        return self.document.id

    @property
    def version_id(self) -> str:
        """Edition id and content hash prefix: ``2024@3f2a…``; changes whenever the data does."""
        return f"{self.document.id}@{self.content_hash[:16]}"

    @property
    def default_profile(self) -> str | None:
        return self.document.default_profile

    @property
    def scene_level_range(self) -> tuple[int, int]:
        rng = self.document.scene_levels
        return (rng.min, rng.max) if rng else (0, 0)

    def level_name(self, level: int) -> str:
        return next(n.name for n in self.document.levels if n.level == level)

    def provenance(self) -> dict[str, Any]:
        """What a result is stamped with: the edition's label, the level rules' label, the readings chosen."""
        return {
            "edition": self.document.provenance,
            "level_rules": self.rules.provenance,
            "level_rules_evaluation": self.rules.evaluation_provenance or self.rules.provenance,
            "choices": {c.path: c.chosen for c in self.choices},
        }


# -- loading -------------------------------------------------------------------------------------------


def load_edition(path: str | Path) -> Edition:
    return load_edition_text(Path(path).read_text(encoding="utf-8"))


def load_edition_text(text: str) -> Edition:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EditionInvalid([Problem("$", "edition.yaml", f"YAML 无法解析：{exc}", f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, Mapping):
        raise EditionInvalid([Problem("$", "edition.yaml", "文件顶层应为映射", "the top of the file must be a mapping")])
    return edition_from_document(data)


def load_shipped_edition(name: str = "index-2024") -> Edition:
    """An edition shipped with the service (``diagnosis/editions/<name>.yaml``)."""
    return load_edition_text(resources.files("diagnosis").joinpath("editions", f"{name}.yaml").read_text(encoding="utf-8"))


def edition_from_document(data: Mapping[str, Any]) -> Edition:
    """Check and pre-index an edition tree; raise ``EditionInvalid`` with every problem found."""
    document, choices, problems = parse_document(data)
    if document is None or problems:
        raise EditionInvalid(problems)
    return _compile(document, content_hash(data), choices)


def check_edition(data: Mapping[str, Any]) -> list[Problem]:
    """Every problem of an edition tree (empty when it loads)."""
    return parse_document(data)[2]


def parse_document(data: Mapping[str, Any]) -> tuple[EditionDocument | None, tuple[VariantChoice, ...], list[Problem]]:
    choices: list[VariantChoice] = []
    problems: list[Problem] = []
    resolved = resolve_variants(data, choices, problems)
    if problems:
        return None, tuple(choices), problems
    try:
        document = EditionDocument.model_validate(resolved)
    except ValidationError as exc:
        return None, tuple(choices), [structural_problem(resolved, err) for err in exc.errors()]
    return document, tuple(choices), check_document(document)


def content_hash(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(_canonical(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # surrogatepass: a lone surrogate (a YAML escape can spell one) still hashes; whether it can be stored is the
    # uploading use case's question, not the parser's
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _canonical(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_canonical(v) for v in node]
    if isinstance(node, date | datetime):
        return node.isoformat()
    if isinstance(node, float | Decimal):
        return str(Decimal(str(node)).normalize())
    return node


# -- pre-indexing --------------------------------------------------------------------------------------


def _compile(doc: EditionDocument, digest: str, choices: tuple[VariantChoice, ...]) -> Edition:
    placement: dict[str, tuple[str, tuple[str, ...]]] = {}
    indicator_ids: list[str] = []

    def place(dim_id: str, indicators: list[Indicator], trail: tuple[str, ...]) -> None:
        for ind in indicators:
            indicator_ids.append(ind.id)
            place(dim_id, ind.indicators, (*trail, ind.id))
            for item_id in ind.items:
                placement[item_id] = (dim_id, (*trail, ind.id))

    scored = [d for d in doc.dimensions if d.assessed_by == "points"]
    for dim in scored:
        place(dim.id, dim.indicators, ())
    items = {item.id: _compile_item(item, *placement[item.id]) for item in doc.items}
    rules = doc.level_rules
    top = len(rules.rungs) if isinstance(rules, ScoreAndScenesRules) else len(rules.bands)
    return Edition(
        document=doc,
        content_hash=digest,
        choices=choices,
        items=items,
        inputs={i.id: i for i in doc.inputs},
        dimension_ids=tuple(d.id for d in scored),
        indicator_ids=tuple(indicator_ids),
        scenes={s.id: s for s in doc.scenes},
        scene_ids=tuple(s.id for s in doc.scenes),
        constrained=constrained_sets(doc),
        rules=rules,
        top_level=top,
    )


def _compile_item(item: Item, dimension: str, indicators: tuple[str, ...]) -> CompiledItem:
    bands = tuple(
        BandRule(Fraction(o.band.lo), o.band.lo_incl, Fraction(o.band.hi), o.band.hi_incl, o.id) for o in item.options if o.band is not None
    )
    return CompiledItem(
        id=item.id,
        type=item.type,
        max_milli=item.max_milli,
        dimension=dimension,
        indicators=indicators,
        points={o.id: o.pts_milli for o in item.options},
        exclusive=frozenset(o.id for o in item.options if o.exclusive),
        inputs=tuple(item.inputs),
        derive=item.derive,
        bands=bands,
        trend_options={o.trend: o.id for o in item.options if o.trend is not None},
        spec=item,
    )
