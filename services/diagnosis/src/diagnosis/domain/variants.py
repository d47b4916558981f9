"""Disputed nodes of an edition file: several readings side by side, one in force.

Where sources disagree (handbook §2.4) the file holds a *variant*::

    label:
      choose: PLATFORM            # the reading in force: one edit switches it
      variants: {PLATFORM: …, 3P: …}
      note: handbook §2.4 (1)

The variants are keyed by provenance label, so the chosen reading carries its provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from diagnosis.domain.edition_schema import PROVENANCE_LABELS
from sihua_shared.errors import Problem

_VARIANT_KEYS = frozenset({"choose", "variants", "note"})


@dataclass(frozen=True, slots=True)
class VariantChoice:
    """Which reading of a disputed node the edition uses, and which it set aside."""

    path: str
    chosen: str
    alternatives: tuple[str, ...]
    note: str | None


def resolve_variants(data: Mapping[str, Any], choices: list[VariantChoice], problems: list[Problem]) -> Any:
    """The tree with every variant replaced by its chosen reading; choices and problems are appended."""
    return _resolve(data, "", choices, problems)


def _child(path: str, key: Any, node: Any) -> str:
    label = node.get("id", node.get("level")) if isinstance(node, Mapping) and isinstance(key, int) else None
    part = str(label) if label is not None else (f"[{key}]" if isinstance(key, int) else str(key))
    if part.startswith("["):
        return f"{path}{part}"
    return f"{path}.{part}" if path else part


def _resolve(node: Any, path: str, choices: list[VariantChoice], problems: list[Problem]) -> Any:
    if isinstance(node, Mapping):
        if "choose" in node and "variants" in node and set(node) <= _VARIANT_KEYS:
            return _resolve_variant(node, path, choices, problems)
        return {k: _resolve(v, _child(path, k, v), choices, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, _child(path, i, v), choices, problems) for i, v in enumerate(node)]
    if isinstance(node, date | datetime):
        return node.isoformat()
    return node


def _resolve_variant(node: Mapping[str, Any], path: str, choices: list[VariantChoice], problems: list[Problem]) -> Any:
    variants = node["variants"]
    chosen = node["choose"]
    if not isinstance(variants, Mapping) or not variants or not set(variants) <= set(PROVENANCE_LABELS):
        problems.append(
            Problem(
                path,
                "edition.variant",
                "不同来源的取值须以来源标签为键",
                f"variants must be keyed by provenance labels {PROVENANCE_LABELS}",
            )
        )
        return None
    if chosen not in variants:
        problems.append(
            Problem(
                path,
                "edition.variant",
                f"choose 指定的来源 {chosen} 没有对应取值",
                f"choose names {chosen!r}, which is not among the variants",
            )
        )
        return None
    note = node.get("note")
    choices.append(VariantChoice(path, chosen, tuple(k for k in variants if k != chosen), str(note) if note is not None else None))
    return _resolve(variants[chosen], path, choices, problems)


def structural_problem(data: Any, err: Mapping[str, Any]) -> Problem:
    """A pydantic error as a problem whose path names list elements by their id (``items.Q8.options.F``)."""
    path, node = "", data
    for key in err.get("loc", ()):
        if isinstance(node, Mapping) and key not in node and key in (node.get("kind"), node.get("mode")):
            continue  # the tag pydantic puts in the location of a discriminated union
        child = None
        if isinstance(node, Mapping):
            child = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            child = node[key]
        path = _child(path, key, child)
        node = child
    msg = str(err.get("msg", "invalid"))
    return Problem(path or "$", "edition.structure", f"结构或类型错误：{msg}", msg)
