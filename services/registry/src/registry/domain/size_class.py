"""中小企业划型 — size class by 《中小企业划型标准规定》(工信部联企业〔2011〕300号), the rule S2 二 names.

The standard's 第四条 has sixteen rows, one per industry; each names the quantities it uses (从业人员 E
employees, 营业收入 R revenue, 资产总额 A total assets) and its thresholds. The rows are data, shipped in
``size_classes_2011.json`` next to this module and loaded once; this module only knows how to read a row.
For 工业 (第四条(二)) the text reads:

    从业人员1000人以下或营业收入40000万元以下的为中小微型企业。其中，从业人员300人及以上，
    且营业收入2000万元及以上的为中型企业；从业人员20人及以上，且营业收入300万元及以上的为
    小型企业；从业人员20人以下或营业收入300万元以下的为微型企业。

and 第七条 makes the upper bound of 中型 the lower bound of 大型. Every row reads the same way
("及以上" is ≥, "以下" is strictly <), evaluated in this order:

1. **large** ⇔ every "large" bound is reached (an SME is below *either* bound);
2. **medium** ⇔ every medium threshold is reached;
3. **micro** ⇔ any small threshold is not reached;
4. **small** is what remains.

So for 工业 1500 employees with 30000万 revenue is *medium*; 5000 employees with 200万 revenue is *micro*.
Every comparison is kept in the trace, so an official can see which row and which threshold decided.

The row of an organisation comes from its GB/T 4754-2017 industry code (``row_for_industry``): the longest
section prefix listed in the data wins (``I65`` → 软件和信息技术服务业, ``L`` → 租赁和商务服务业,
``B``/``C``/``D`` → 工业); a code listed under no row is 其他未列明行业; a code too coarse to tell rows
apart (``I``, ``G``, ``K70``) has no row. A quantity the row needs and the organisation lacks is an error
naming it (``missing_quantities`` lists them), never a guess.

Money is exact: amounts are integer fen, or ``Decimal`` 万元 (1万元 = 1,000,000 fen); floats are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from importlib.resources import files
from typing import Any

from sihua_shared.errors import DomainError

FEN_PER_WAN = 1_000_000  # 1万元 = 10,000 元 = 1,000,000 分

# The quantities a row may use, as stored (money in fen), with what people read.
QUANTITIES: dict[str, tuple[str, str, str]] = {  # name → (Chinese, unit, English)
    "employees": ("从业人员", "人", "employees"),
    "revenue_fen": ("营业收入", "万元", "revenue"),
    "total_assets_fen": ("资产总额", "万元", "total assets"),
}
_DATA_QUANTITY = {"employees": "employees", "revenue_wan": "revenue_fen", "total_assets_wan": "total_assets_fen"}


class SizeClass(StrEnum):
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"

    @property
    def label_zh(self) -> str:
        return {"large": "大型企业", "medium": "中型企业", "small": "小型企业", "micro": "微型企业"}[self.value]

    @property
    def is_sme(self) -> bool:
        return self is not SizeClass.LARGE


@dataclass(frozen=True, slots=True)
class Threshold:
    """One bound of a row: ``quantity`` (employees in persons, money in fen) compared with ``value``."""

    quantity: str
    value: int

    @property
    def shown(self) -> str:
        return str(self.value) if self.quantity == "employees" else _wan(self.value)

    @property
    def zh(self) -> str:
        name, unit, _ = QUANTITIES[self.quantity]
        return f"{name}{self.shown}{unit}"

    @property
    def en(self) -> str:
        _, unit, name = QUANTITIES[self.quantity]
        return f"{name} {self.shown}{'' if self.quantity == 'employees' else unit}"


@dataclass(frozen=True, slots=True)
class IndustryRow:
    """One row of 第四条: the industry, its clause, the GB/T 4754 prefixes mapped to it, and its thresholds."""

    number: int
    industry_zh: str
    clause: str
    sections: tuple[str, ...]
    large: tuple[Threshold, ...]
    medium: tuple[Threshold, ...]
    small: tuple[Threshold, ...]
    standard: str

    @property
    def source(self) -> str:
        return f"{self.standard} {self.clause}"

    @property
    def quantities(self) -> tuple[str, ...]:
        return tuple(t.quantity for t in self.large)


@dataclass(frozen=True, slots=True)
class SizeStandard:
    """A versioned edition of the standard: its rows and the mapping of industry codes to them."""

    edition: str
    source: str
    rows: tuple[IndustryRow, ...]

    def row(self, number: int) -> IndustryRow:
        return next(r for r in self.rows if r.number == number)

    @property
    def fallback(self) -> IndustryRow:
        """其他未列明行业: the row with no sections of its own."""
        return next(r for r in self.rows if not r.sections)

    def row_for_industry(self, industry_code: str) -> IndustryRow | None:
        """The row of a GB/T 4754 code; ``None`` when the code is too coarse to choose between rows."""
        prefixes = [(p, r) for r in self.rows for p in r.sections]
        matches = [(p, r) for p, r in prefixes if industry_code.startswith(p)]
        chosen = max(matches, key=lambda m: len(m[0]))[1] if matches else self.fallback
        finer = {r.number for p, r in prefixes if len(p) > len(industry_code) and p.startswith(industry_code)}
        return None if finer - {chosen.number} else chosen


def _thresholds(bounds: Mapping[str, int]) -> tuple[Threshold, ...]:
    return tuple(
        Threshold(_DATA_QUANTITY[name], value if name == "employees" else value * FEN_PER_WAN)
        for name, value in bounds.items()
    )


def load_standard(resource: str) -> SizeStandard:
    """Read an edition shipped in this package (see ``size_classes_2011.json``)."""
    data: dict[str, Any] = json.loads(files(__package__).joinpath(resource).read_text(encoding="utf-8"))
    rows = tuple(
        IndustryRow(
            number=row["row"], industry_zh=row["industry_zh"], clause=row["clause"], sections=tuple(row["sections"]),
            large=_thresholds(row["large"]), medium=_thresholds(row["medium"]), small=_thresholds(row["small"]),
            standard=data["source"],
        )
        for row in data["rows"]
    )
    return SizeStandard(edition=data["edition"], source=data["source"], rows=rows)


STANDARD_2011 = load_standard("size_classes_2011.json")
INDUSTRY_ROW = STANDARD_2011.row(2)  # 工业


@dataclass(frozen=True, slots=True)
class Check:
    """One comparison the rule made: ``quantity >= threshold`` for a level, and what came of it."""

    level: str  # "large", "medium" or "small": whose threshold
    quantity: str
    value: int
    threshold: int
    at_least: bool  # value >= threshold

    def describe(self) -> str:
        return f"{self.level}: {self.quantity} {self.value} {'>=' if self.at_least else '<'} {self.threshold}"

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "quantity": self.quantity, "value": self.value, "threshold": self.threshold,
                "at_least": self.at_least}


@dataclass(frozen=True, slots=True)
class SizeClassResult:
    """The class and the trace of comparisons that decided it (in evaluation order)."""

    size_class: SizeClass
    quantities: dict[str, int]
    trace: tuple[Check, ...]
    decided_by: str  # which clause of the rule decided, in English
    decided_by_zh: str
    row: IndustryRow


def wan_to_fen(revenue_wan: Decimal) -> int:
    """万元 as ``Decimal`` → integer fen, exactly; more precision than a fen is an error, not a rounding."""
    if isinstance(revenue_wan, float) or not isinstance(revenue_wan, Decimal):
        raise DomainError(
            "revenue_not_exact", "营业收入须以精确数值填写", "revenue must be an exact Decimal, never a float", field="revenue_wan",
        )
    if not revenue_wan.is_finite():
        raise DomainError("revenue_invalid", "营业收入无效", "revenue must be a finite number", field="revenue_wan")
    fen = revenue_wan * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise DomainError(
            "revenue_sub_fen", "营业收入精度不能小于1分", "revenue cannot be more precise than one fen", field="revenue_wan",
        )
    return int(fen)


def _wan(fen: int) -> str:
    return format(Decimal(fen) / FEN_PER_WAN, "f")


def missing_quantities(row: IndustryRow, quantities: Mapping[str, int | None]) -> tuple[str, ...]:
    """The quantities ``row`` needs that are not given."""
    return tuple(q for q in row.quantities if quantities.get(q) is None)


def _checked(row: IndustryRow, quantities: Mapping[str, int | None]) -> dict[str, int]:
    missing = missing_quantities(row, quantities)
    if missing:
        zh = "、".join(QUANTITIES[q][0] for q in missing)
        en = " and ".join(QUANTITIES[q][2] for q in missing)
        raise DomainError(
            "size_quantity_missing", f"按{row.industry_zh}划型（{row.clause}）需要{zh}",
            f"the size class of {row.industry_zh} ({row.clause}) needs {en}", field=missing[0],
        )
    values: dict[str, int] = {}
    for quantity in row.quantities:
        value = quantities[quantity]
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError("quantity_invalid", f"{QUANTITIES[quantity][0]}须为整数", f"{quantity} must be an integer",
                              field=quantity)
        if value < 0:
            raise DomainError("quantity_negative", f"{QUANTITIES[quantity][0]}不能为负数", f"{quantity} cannot be negative",
                              field=quantity)
        values[quantity] = value
    return values


def classify_size(row: IndustryRow, quantities: Mapping[str, int | None]) -> SizeClassResult:
    """Classify by ``row`` from the stored quantities (``employees``, ``revenue_fen``, ``total_assets_fen``)."""
    values = _checked(row, quantities)
    trace: list[Check] = []

    def reached(level: str, thresholds: tuple[Threshold, ...]) -> list[bool]:
        # and-semantics: every comparison of a level is recorded, so the trace shows the full reason.
        found = [Check(level, t.quantity, values[t.quantity], t.value, values[t.quantity] >= t.value) for t in thresholds]
        trace.extend(found)
        return [c.at_least for c in found]

    def result(size: SizeClass, en: str, zh: str) -> SizeClassResult:
        return SizeClassResult(size, values, tuple(trace), en, zh, row)

    def both(thresholds: tuple[Threshold, ...], sep_en: str = " and ", sep_zh: str = "且") -> tuple[str, str]:
        return sep_en.join(f"{t.en} or more" for t in thresholds), sep_zh.join(f"{t.zh}及以上" for t in thresholds)

    if all(reached("large", row.large)):
        en, zh = both(row.large)
        return result(SizeClass.LARGE, f"{en}: not an SME", f"{zh}，不属于中小微型企业")
    if all(reached("medium", row.medium)):
        en, zh = both(row.medium)
        return result(SizeClass.MEDIUM, f"{en} (and below a large bound)", zh)
    small = reached("small", row.small)
    if not all(small):
        below = [t for t, ok in zip(row.small, small, strict=True) if not ok]
        return result(
            SizeClass.MICRO, " and ".join(f"{t.en} not reached" for t in below), "且".join(f"{t.zh}以下" for t in below),
        )
    en, zh = both(row.small)
    return result(SizeClass.SMALL, f"{en}, not medium", f"{zh}（未达中型标准）")
