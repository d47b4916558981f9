"""中小企业划型 for 工业 — 《中小企业划型标准规定》(工信部联企业〔2011〕300号) 第四条(二), as named by S2 二."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.domain.size_class import FEN_PER_WAN, INDUSTRY_RULE, SizeClass, classify_size, wan_to_fen
from sihua_shared.errors import DomainError

L, M, S, MI = SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO

# (clause, employees, revenue in 万元, expected)
BOUNDARIES = [
    # 微型: 从业人员20人以下或营业收入300万元以下
    ("微型: 19人 (20人以下), 300万", 19, "300", MI),
    ("小型: 20人及以上 且 300万元及以上", 20, "300", S),
    ("微型: 20人 but 299.99万 (300万元以下)", 20, "299.99", MI),
    ("微型: 19人 且 299.99万", 19, "299.99", MI),
    ("微型 'or': 0人, 0万", 0, "0", MI),
    ("微型 'or': 10人 however large the revenue (50000万)", 10, "50000", MI),
    ("微型 'or': 100000人 with 299.99万 (revenue alone)", 100_000, "299.99", MI),
    # 中型: 从业人员300人及以上，且营业收入2000万元及以上
    ("小型: 299人, 2000万 (not 300人)", 299, "2000", S),
    ("中型: 300人 且 2000万", 300, "2000", M),
    ("小型: 300人 but 1999.99万", 300, "1999.99", S),
    ("小型: 5000人 but 1999.99万 (中型 needs both)", 5000, "1999.99", S),
    ("中型: 999人, 40000万 (1000人以下 → SME)", 999, "40000", M),
    ("中型: 1000人, 39999.99万 (40000万元以下 → SME)", 1000, "39999.99", M),
    ("中型: 1500人, 30000万 (one large threshold only)", 1500, "30000", M),
    ("中型: 300人, 100000万 (one large threshold only)", 300, "100000", M),
    # 大型: not 中小微 ⇔ 1000人及以上 且 40000万元及以上
    ("大型: 1000人 且 40000万", 1000, "40000", L),
    ("大型: 20000人 且 1000000万", 20_000, "1000000", L),
]


@pytest.mark.parametrize(("clause", "employees", "revenue_wan", "expected"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_industry_boundaries(clause: str, employees: int, revenue_wan: str, expected: SizeClass) -> None:
    by_wan = classify_size(employees, revenue_wan=Decimal(revenue_wan))
    by_fen = classify_size(employees, revenue_fen=int(Decimal(revenue_wan) * 1_000_000))
    assert by_wan.size_class is expected
    assert by_fen.size_class is expected
    assert by_wan.trace == by_fen.trace
    assert by_wan.size_class.is_sme is (expected is not L)


def test_thresholds_match_the_rule_text() -> None:
    assert INDUSTRY_RULE.large_employees == 1000 and INDUSTRY_RULE.large_revenue_fen == 40_000 * FEN_PER_WAN
    assert INDUSTRY_RULE.medium_employees == 300 and INDUSTRY_RULE.medium_revenue_fen == 2_000 * FEN_PER_WAN
    assert INDUSTRY_RULE.small_employees == 20 and INDUSTRY_RULE.small_revenue_fen == 300 * FEN_PER_WAN
    assert "工信部联企业〔2011〕300号" in INDUSTRY_RULE.source


TRACES = [
    (
        "大型 decided by both large thresholds",
        1000, "40000",
        [("employees", True), ("revenue_fen", True)],
        "employees >= 1000 and revenue >= 40000万元: not an SME",
    ),
    (
        "中型: large fails on revenue, both medium thresholds met",
        1500, "30000",
        [("employees", True), ("revenue_fen", False), ("employees", True), ("revenue_fen", True)],
        "employees >= 300 and revenue >= 2000万元 (and below a large threshold)",
    ),
    (
        "小型: every comparison recorded",
        50, "500",
        [("employees", False), ("revenue_fen", False), ("employees", False), ("revenue_fen", False),
         ("employees", True), ("revenue_fen", True)],
        "employees >= 20 and revenue >= 300万元, not medium",
    ),
    (
        "微型 by employees only",
        19, "300",
        [("employees", False), ("revenue_fen", False), ("employees", False), ("revenue_fen", False),
         ("employees", False), ("revenue_fen", True)],
        "employees < 20",
    ),
    (
        "微型 by both",
        5, "10",
        [("employees", False), ("revenue_fen", False), ("employees", False), ("revenue_fen", False),
         ("employees", False), ("revenue_fen", False)],
        "employees < 20 and revenue < 300万元",
    ),
]


@pytest.mark.parametrize(("case", "employees", "revenue_wan", "trace", "decided_by"), TRACES, ids=[t[0] for t in TRACES])
def test_trace_says_which_threshold_decided(
    case: str, employees: int, revenue_wan: str, trace: list[tuple[str, bool]], decided_by: str
) -> None:
    result = classify_size(employees, revenue_wan=Decimal(revenue_wan))
    assert [(c.quantity, c.at_least) for c in result.trace] == trace
    assert result.decided_by == decided_by
    assert result.decided_by_zh
    assert result.revenue_fen == int(Decimal(revenue_wan) * FEN_PER_WAN)


def test_micro_reason_in_chinese() -> None:
    assert classify_size(19, revenue_wan=Decimal("299.99")).decided_by_zh == "从业人员20人以下且营业收入300万元以下"


def test_one_fen_below_the_line() -> None:
    line = 300 * FEN_PER_WAN
    assert classify_size(20, revenue_fen=line - 1).size_class is MI
    assert classify_size(20, revenue_fen=line).size_class is S


WAN_TO_FEN = [
    ("whole 万元", Decimal("300"), 300_000_000),
    ("one fen", Decimal("0.000001"), 1),
    ("two decimals", Decimal("299.99"), 299_990_000),
    ("exponent form", Decimal("4E+4"), 40_000_000_000),
]


@pytest.mark.parametrize(("case", "wan", "fen"), WAN_TO_FEN, ids=[w[0] for w in WAN_TO_FEN])
def test_wan_to_fen_is_exact(case: str, wan: Decimal, fen: int) -> None:
    assert wan_to_fen(wan) == fen


BAD_INPUT = [
    ("float revenue is refused", {"employees": 20, "revenue_wan": 300.0}, "revenue_not_exact"),
    ("float fen is refused", {"employees": 20, "revenue_fen": 3e8}, "revenue_not_exact"),
    ("below one fen", {"employees": 20, "revenue_wan": Decimal("0.0000001")}, "revenue_sub_fen"),
    ("NaN", {"employees": 20, "revenue_wan": Decimal("NaN")}, "revenue_invalid"),
    ("neither unit", {"employees": 20}, "revenue_missing"),
    ("both units", {"employees": 20, "revenue_fen": 1, "revenue_wan": Decimal(1)}, "revenue_missing"),
    ("negative revenue", {"employees": 20, "revenue_fen": -1}, "revenue_negative"),
    ("negative employees", {"employees": -1, "revenue_fen": 1}, "employees_negative"),
    ("fractional employees", {"employees": 20.5, "revenue_fen": 1}, "employees_invalid"),
    ("boolean employees", {"employees": True, "revenue_fen": 1}, "employees_invalid"),
]


@pytest.mark.parametrize(("case", "kwargs", "code"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input(case: str, kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as info:
        classify_size(**kwargs)  # type: ignore[arg-type]
    assert info.value.code == code


def test_labels() -> None:
    assert [c.label_zh for c in SizeClass] == ["大型企业", "中型企业", "小型企业", "微型企业"]
