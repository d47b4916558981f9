"""Answer sets for the 2024 edition, written out by hand from the handbook's tables (§2.2, §2.3)."""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from diagnosis.domain.index import Edition, edition_from_document, load_edition, load_shipped_edition

BAND_TEST = Path(__file__).parent / "editions" / "band-test.yaml"

# Every item at 0 points: option A is 无 / [0-10%] / 增加 (Q12, Q15) / 降低 (Q13, Q14), each worth 0.
ZERO: dict[str, list[str]] = {f"Q{i}": ["A"] for i in range(1, 16)}

# Every item at its maximum (handbook §2.2): 8, 6, 6, 10, 10, 5, 5 | 7.5 × 4 | 7, 7, 3, 3 points.
FULL: dict[str, list[str]] = {
    "Q1": ["B", "C", "D", "E"],
    "Q2": ["E"],
    "Q3": ["E"],
    "Q4": list("BCDEFGHIJKLMNO"),
    "Q5": ["E"],
    "Q6": ["B", "C", "D", "E"],
    "Q7": ["B", "C", "D", "E"],
    "Q8": ["F"],
    "Q9": ["B", "C", "D", "E"],
    "Q10": ["B", "C", "D", "E", "F"],
    "Q11": ["E"],
    "Q12": ["C"],
    "Q13": ["C"],
    "Q14": ["C"],
    "Q15": ["C"],
}

# 9.975 points: Q4 eight links 8 × 0.7 = 5.6, Q6 two measures 2 × 1.25 = 2.5, Q9 one rule 1.875.
TAIL: dict[str, list[str]] = {"Q4": list("BCDEFGHI"), "Q6": ["B", "C"], "Q9": ["B"]}

CONSTRAINED = ["S01", "S03", "S06", "S07", "S08", "S09", "S10", "S11", "S12", "S13"]  # ★ in handbook §2.3
GUIDING = ["S02", "S04", "S05", "S14", "S15", "S16"]
SCENES = [f"S{i:02d}" for i in range(1, 17)]


def options(full: tuple[str, ...] = (), tail: bool = False) -> dict[str, list[str]]:
    """Every item at 0, the named items at their maximum, plus the 9.975-point tail."""
    chosen = dict(ZERO)
    chosen.update({q: FULL[q] for q in full})
    if tail:
        chosen.update(TAIL)
    return chosen


def scenes(default: int = 0, **at: list[str]) -> dict[str, int]:
    """Scene levels: ``scenes(2, l3=[...], l4=[...])``."""
    levels = dict.fromkeys(SCENES, default)
    for key, ids in at.items():
        for sid in ids:
            levels[sid] = int(key[1:])
    return levels


def payload(chosen: dict[str, list[str]], scene_levels: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"answers": {q: {"options": list(o)} for q, o in chosen.items()}, "scenes": dict(scene_levels), **extra}


@cache
def edition() -> Edition:
    return load_shipped_edition()


@cache
def band_edition() -> Edition:
    return load_edition(BAND_TEST)


@cache
def _raw_2024() -> dict[str, Any]:
    text = resources.files("diagnosis").joinpath("editions", "index-2024.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def raw_2024() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped edition's tree."""
    return copy.deepcopy(_raw_2024())


def raw_band() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(BAND_TEST.read_text(encoding="utf-8"))
    return data


def node(tree: dict[str, Any], *path: str | int) -> Any:
    """Walk a tree by keys, list indices or list-element ids."""
    for key in path:
        tree = next(n for n in tree if n.get("id") == key) if isinstance(tree, list) and isinstance(key, str) else tree[key]  # type: ignore[index]
    return tree


def build(tree: dict[str, Any]) -> Edition:
    return edition_from_document(tree)
