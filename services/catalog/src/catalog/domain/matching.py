"""精准匹配 (S2 三(三)), pure: which admitted products an assessed enterprise is recommended, in which order, and
the Chinese explanation of each, built from the assessment.

A candidate is a listed product that addresses at least one of the enterprise's weakest scenes, names the
enterprise's sector among its pilot sectors (or names none), whose cheapest package fits the budget of the
enterprise's size class (``data/matching-rules-2026.yaml``) and — when the enterprise's profile lists the systems it
runs — is verified with at least one of them (a valid adaptation record ``interface:<system>``).

Ranking, deterministic (``rank_key``), best first:
  1. how many of the weakest scenes the product addresses;
  2. how many of those are constrained scenes (约束性场景) of the edition;
  3. how many of the enterprise's systems it is verified with;
  4. how many enterprises of the enterprise's sector adopted it (delivered group purchases);
  5. the cheaper cheapest package;
  6. the catalogue number (unique), so equal products always come in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml

LEVEL_NAMES = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


@dataclass(frozen=True)
class Rules:
    version: str
    max_items: int
    budget_fen_by_size: Mapping[str, int | None]

    def budget(self, size_class: str | None) -> int | None:
        return self.budget_fen_by_size.get(size_class) if size_class else None


def parse_rules(data: Mapping[str, Any]) -> Rules:
    if not isinstance(data.get("version"), str):
        raise ValueError("matching rules: version must be a string")
    max_items = data.get("max_items")
    if not isinstance(max_items, int) or isinstance(max_items, bool) or not 1 <= max_items <= 100:
        raise ValueError("matching rules: max_items must be an integer from 1 to 100")
    budgets = data.get("budget_fen_by_size") or {}
    if not isinstance(budgets, dict) or not set(budgets) <= {"micro", "small", "medium", "large"}:
        raise ValueError("matching rules: budget_fen_by_size names size classes")
    for size, cap in budgets.items():
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 0):
            raise ValueError(f"matching rules: the budget of {size} must be integer fen or null")
    return Rules(data["version"], max_items, dict(budgets))


def load_rules() -> Rules:
    text = resources.files("catalog.domain").joinpath("data/matching-rules-2026.yaml").read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text))


@dataclass(frozen=True)
class Enterprise:
    sector: str | None
    size_class: str | None
    systems: tuple[str, ...]  # upper-case codes


@dataclass(frozen=True)
class Candidate:
    product_id: str
    version: int
    catalogue_number: str
    name: str
    scenes: tuple[str, ...]
    sectors: tuple[str, ...]
    verified_with: tuple[str, ...]
    min_price_fen: int | None
    sector_adopters: int = 0


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    scenes: tuple[str, ...]  # the weakest scenes it addresses, in the assessment's order
    constrained: tuple[str, ...]
    systems: tuple[str, ...]  # the enterprise's systems it is verified with

    def rank_key(self) -> tuple[Any, ...]:
        c = self.candidate
        price = c.min_price_fen if c.min_price_fen is not None else 2**62
        return (-len(self.scenes), -len(self.constrained), -len(self.systems), -c.sector_adopters, price,
                c.catalogue_number)


def normalise_systems(systems: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(sorted({s.strip().upper() for s in systems or () if s and s.strip()}))


def match(candidate: Candidate, enterprise: Enterprise, weakest: Sequence[str], constrained: set[str],
          rules: Rules) -> Match | None:
    """The candidate as a recommendation for the enterprise, or None when it does not fit."""
    scenes = tuple(s for s in weakest if s in candidate.scenes)
    if not scenes:
        return None
    if candidate.sectors and enterprise.sector and enterprise.sector not in candidate.sectors:
        return None
    budget = rules.budget(enterprise.size_class)
    if budget is not None and candidate.min_price_fen is not None and candidate.min_price_fen > budget:
        return None
    verified = {v.split(":", 1)[1].upper() for v in candidate.verified_with if v.startswith("interface:")}
    systems = tuple(s for s in enterprise.systems if s in verified)
    if enterprise.systems and not systems:
        return None
    return Match(candidate, scenes, tuple(s for s in scenes if s in constrained), systems)


def rank(candidates: Sequence[Candidate], enterprise: Enterprise, weakest: Sequence[str], constrained: set[str],
         rules: Rules) -> list[Match]:
    matches = [m for c in candidates if (m := match(c, enterprise, weakest, constrained, rules)) is not None]
    return sorted(matches, key=Match.rank_key)[: rules.max_items]


def _points(milli: int) -> str:
    return str((Decimal(milli) / 1000).normalize())


def level_name(level: int | None) -> str:
    return LEVEL_NAMES.get(level if level is not None else 0, "未达一级")


def explain(m: Match, *, scene_names: Mapping[str, str], scene_levels: Mapping[str, int], level: int,
            gap: Mapping[str, int | None] | None, sector_name: str | None) -> str:
    """The Chinese explanation of one recommendation, e.g. "计划排程 当前为一级；达到二级需 6 个场景达到二级，其中 3 个
    为约束性场景；该产品覆盖计划排程；已与贵企业的 ERP 完成适配验证；本行业已有 2 家企业采用"."""
    def name(scene: str) -> str:
        return scene_names.get(scene, scene)

    parts = ["、".join(f"{name(s)} 当前为{level_name(scene_levels.get(s))}" for s in m.scenes)]
    if gap and gap.get("level") is not None:
        target = level_name(gap["level"])
        sentence = f"企业整体为{level_name(level)}，达到{target}"
        missing, scene_level = gap.get("scenes_missing"), gap.get("scene_level")
        if missing:
            sentence += f"需 {missing} 个场景达到{level_name(scene_level)}"
            if gap.get("constrained_missing"):
                sentence += f"，其中 {gap['constrained_missing']} 个为约束性场景"
        elif score_missing := gap.get("score_milli_missing"):
            sentence += f"还需 {_points(score_missing)} 分"
        parts.append(sentence)
    covered = "、".join(name(s) for s in m.scenes)
    parts.append(f"该产品覆盖{covered}" + (f"（含约束性场景 {'、'.join(name(s) for s in m.constrained)}）" if m.constrained else ""))
    if m.systems:
        parts.append(f"已与贵企业的 {'、'.join(m.systems)} 完成适配验证")
    parts.append(f"{sector_name or '本行业'}已有 {m.candidate.sector_adopters} 家企业采用")
    return "；".join(parts)
