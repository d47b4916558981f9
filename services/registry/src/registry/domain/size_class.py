"""中小企业划型 — size class by 《中小企业划型标准规定》(工信部联企业〔2011〕300号), the rule S2 二 names.

The 规定 第四条(二) for 工业 (mining, manufacturing, utilities) reads:

    从业人员1000人以下或营业收入40000万元以下的为中小微型企业。其中，从业人员300人及以上，
    且营业收入2000万元及以上的为中型企业；从业人员20人及以上，且营业收入300万元及以上的为
    小型企业；从业人员20人以下或营业收入300万元以下的为微型企业。

and 第七条 makes the upper bound of 中型 the lower bound of 大型. Worked out precisely
(E = 从业人员 employees, R = 营业收入 revenue; "及以上" is ≥, "以下" is strictly <):

1. SME  ⇔  E < 1000  or  R < 40000万.  Hence **large ⇔ E ≥ 1000 and R ≥ 40000万** — both thresholds must be
   met; an enterprise reaching only one of them is still an SME.
2. Among SMEs, **medium ⇔ E ≥ 300 and R ≥ 2000万**.
3. **micro ⇔ E < 20 or R < 300万** (either alone suffices). Medium and micro never overlap.
4. **small** is what remains: E ≥ 20 and R ≥ 300万, not medium. (The 规定 states small as
   "E ≥ 20 and R ≥ 300万"; read literally that overlaps medium, and medium takes precedence.)

So 1500 employees with 30000万 revenue is *medium* (an SME by revenue, medium by both medium thresholds);
5000 employees with 200万 revenue is *micro*. The rules are evaluated in that order: large, medium, micro, small.

Money is exact: revenue is given in integer fen, or as ``Decimal`` 万元 (1万元 = 1,000,000 fen); floats are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sihua_shared.errors import DomainError

FEN_PER_WAN = 1_000_000  # 1万元 = 10,000 元 = 1,000,000 分


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
class IndustryRule:
    """The thresholds of one industry in the 规定 (employees in persons, revenue in fen)."""

    industry_zh: str
    source: str
    large_employees: int
    large_revenue_fen: int
    medium_employees: int
    medium_revenue_fen: int
    small_employees: int
    small_revenue_fen: int


INDUSTRY_RULE = IndustryRule(
    industry_zh="工业",
    source="《中小企业划型标准规定》(工信部联企业〔2011〕300号) 第四条(二)",
    large_employees=1000,
    large_revenue_fen=40_000 * FEN_PER_WAN,
    medium_employees=300,
    medium_revenue_fen=2_000 * FEN_PER_WAN,
    small_employees=20,
    small_revenue_fen=300 * FEN_PER_WAN,
)


@dataclass(frozen=True, slots=True)
class Check:
    """One comparison the rule made: ``quantity >= threshold`` and what came of it."""

    quantity: str  # "employees" or "revenue_fen"
    value: int
    threshold: int
    at_least: bool  # value >= threshold

    def describe(self) -> str:
        return f"{self.quantity} {self.value} {'>=' if self.at_least else '<'} {self.threshold}"


@dataclass(frozen=True, slots=True)
class SizeClassResult:
    """The class and the trace of comparisons that decided it (in evaluation order)."""

    size_class: SizeClass
    employees: int
    revenue_fen: int
    trace: tuple[Check, ...]
    decided_by: str  # which clause of the rule decided, in English
    decided_by_zh: str
    rule: IndustryRule


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


def classify_size(
    employees: int,
    *,
    revenue_fen: int | None = None,
    revenue_wan: Decimal | None = None,
    rule: IndustryRule = INDUSTRY_RULE,
) -> SizeClassResult:
    """Classify an enterprise; give revenue either in fen or in 万元 (exactly one of them)."""
    if isinstance(employees, bool) or not isinstance(employees, int):
        raise DomainError("employees_invalid", "从业人员数须为整数", "employees must be an integer", field="employees")
    if employees < 0:
        raise DomainError("employees_negative", "从业人员数不能为负数", "employees cannot be negative", field="employees")
    if (revenue_fen is None) == (revenue_wan is None):
        raise DomainError(
            "revenue_missing", "请填写营业收入（分或万元，二选一）", "give revenue in fen or in 万元, exactly one", field="revenue",
        )
    if revenue_fen is None:
        assert revenue_wan is not None
        revenue_fen = wan_to_fen(revenue_wan)
    elif isinstance(revenue_fen, bool) or not isinstance(revenue_fen, int):
        raise DomainError("revenue_not_exact", "营业收入须为整数分", "revenue_fen must be an integer", field="revenue_fen")
    if revenue_fen < 0:
        raise DomainError("revenue_negative", "营业收入不能为负数", "revenue cannot be negative", field="revenue")

    trace: list[Check] = []

    def at_least(quantity: str, value: int, threshold: int) -> bool:
        check = Check(quantity, value, threshold, value >= threshold)
        trace.append(check)
        return check.at_least

    def result(size: SizeClass, en: str, zh: str) -> SizeClassResult:
        return SizeClassResult(size, employees, revenue_fen, tuple(trace), en, zh, rule)

    le, lr = rule.large_employees, _wan(rule.large_revenue_fen)
    me, mr = rule.medium_employees, _wan(rule.medium_revenue_fen)
    se, sr = rule.small_employees, _wan(rule.small_revenue_fen)
    # and-semantics: both comparisons are always recorded, so the trace shows the full reason.
    large_e = at_least("employees", employees, rule.large_employees)
    large_r = at_least("revenue_fen", revenue_fen, rule.large_revenue_fen)
    if large_e and large_r:
        return result(
            SizeClass.LARGE,
            f"employees >= {le} and revenue >= {lr}万元: not an SME",
            f"从业人员{le}人及以上且营业收入{lr}万元及以上，不属于中小微型企业",
        )
    medium_e = at_least("employees", employees, rule.medium_employees)
    medium_r = at_least("revenue_fen", revenue_fen, rule.medium_revenue_fen)
    if medium_e and medium_r:
        return result(
            SizeClass.MEDIUM,
            f"employees >= {me} and revenue >= {mr}万元 (and below a large threshold)",
            f"从业人员{me}人及以上，且营业收入{mr}万元及以上",
        )
    small_e = at_least("employees", employees, rule.small_employees)
    small_r = at_least("revenue_fen", revenue_fen, rule.small_revenue_fen)
    if not small_e or not small_r:
        which_en = " and ".join(
            part for part, below in ((f"employees < {se}", not small_e), (f"revenue < {sr}万元", not small_r)) if below
        )
        which_zh = "且".join(
            part for part, below in ((f"从业人员{se}人以下", not small_e), (f"营业收入{sr}万元以下", not small_r)) if below
        )
        return result(SizeClass.MICRO, which_en, which_zh)
    return result(
        SizeClass.SMALL,
        f"employees >= {se} and revenue >= {sr}万元, not medium",
        f"从业人员{se}人及以上，且营业收入{sr}万元及以上（未达中型标准）",
    )
