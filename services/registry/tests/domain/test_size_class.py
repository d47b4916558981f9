"""中小企业划型 by every row of 《中小企业划型标准规定》(工信部联企业〔2011〕300号) 第四条.

The expected thresholds are transcribed here from the handbook's table (size-classes-2011.md), independently
of the shipped data file, and every threshold of every row is tried at, one unit below and one unit above.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.application.organisation_profile import size_columns
from registry.domain.size_class import (
    FEN_PER_WAN,
    INDUSTRY_ROW,
    STANDARD_2011,
    SizeClass,
    classify_size,
    missing_quantities,
    wan_to_fen,
)
from sihua_shared.errors import DomainError

L, M, S, MI = SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO
E, R, A = "employees", "revenue_fen", "total_assets_fen"

# The handbook's table: row, industry, clause, then (large bounds, medium, small) as {quantity: persons or 万元}.
TABLE: list[tuple[int, str, str, dict[str, int], dict[str, int], dict[str, int]]] = [
    (1, "农、林、牧、渔业", "第四条(一)", {R: 20000}, {R: 500}, {R: 50}),
    (2, "工业", "第四条(二)", {E: 1000, R: 40000}, {E: 300, R: 2000}, {E: 20, R: 300}),
    (3, "建筑业", "第四条(三)", {R: 80000, A: 80000}, {R: 6000, A: 5000}, {R: 300, A: 300}),
    (4, "批发业", "第四条(四)", {E: 200, R: 40000}, {E: 20, R: 5000}, {E: 5, R: 1000}),
    (5, "零售业", "第四条(五)", {E: 300, R: 20000}, {E: 50, R: 500}, {E: 10, R: 100}),
    (6, "交通运输业", "第四条(六)", {E: 1000, R: 30000}, {E: 300, R: 3000}, {E: 20, R: 200}),
    (7, "仓储业", "第四条(七)", {E: 200, R: 30000}, {E: 100, R: 1000}, {E: 20, R: 100}),
    (8, "邮政业", "第四条(八)", {E: 1000, R: 30000}, {E: 300, R: 2000}, {E: 20, R: 100}),
    (9, "住宿业", "第四条(九)", {E: 300, R: 10000}, {E: 100, R: 2000}, {E: 10, R: 100}),
    (10, "餐饮业", "第四条(十)", {E: 300, R: 10000}, {E: 100, R: 2000}, {E: 10, R: 100}),
    (11, "信息传输业", "第四条(十一)", {E: 2000, R: 100000}, {E: 100, R: 1000}, {E: 10, R: 100}),
    (12, "软件和信息技术服务业", "第四条(十二)", {E: 300, R: 10000}, {E: 100, R: 1000}, {E: 10, R: 50}),
    (13, "房地产开发经营", "第四条(十三)", {R: 200000, A: 10000}, {R: 1000, A: 5000}, {R: 100, A: 2000}),
    (14, "物业管理", "第四条(十四)", {E: 1000, R: 5000}, {E: 300, R: 1000}, {E: 100, R: 500}),
    (15, "租赁和商务服务业", "第四条(十五)", {E: 300, A: 120000}, {E: 100, A: 8000}, {E: 10, A: 100}),
    (16, "其他未列明行业", "第四条(十六)", {E: 300}, {E: 100}, {E: 10}),
]


def _stored(bounds: dict[str, int]) -> dict[str, int]:
    """Persons stay persons; 万元 become fen."""
    return {q: v if q == E else v * FEN_PER_WAN for q, v in bounds.items()}


# (id naming the clause, row, quantities, expected). For each level and each of its thresholds, the other
# quantities sit exactly on that level's thresholds; one unit (a person, a fen) below drops one level.
CASES: list[tuple[str, int, dict[str, int], SizeClass]] = []
for number, industry, clause, large, medium, small in TABLE:
    for level, bounds, reached, below in (("大型", large, L, M), ("中型", medium, M, S), ("小型", small, S, MI)):
        base = _stored(bounds)
        for quantity, threshold in base.items():
            for where, delta, expected in (("at", 0, reached), ("just below", -1, below), ("just above", 1, reached)):
                CASES.append((
                    f"{clause} {industry} {level} {quantity} {where} {threshold}",
                    number, {**base, quantity: threshold + delta}, expected,
                ))


def test_the_data_has_the_sixteen_rows_of_the_table() -> None:
    assert [(r.number, r.industry_zh, r.clause) for r in STANDARD_2011.rows] == [t[:3] for t in TABLE]
    for number, _, _, large, medium, small in TABLE:
        row = STANDARD_2011.row(number)
        assert [{t.quantity: t.value for t in level} for level in (row.large, row.medium, row.small)] == [
            _stored(large), _stored(medium), _stored(small)]
    assert STANDARD_2011.edition == "2011" and "工信部联企业〔2011〕300号" in INDUSTRY_ROW.source


@pytest.mark.parametrize(("clause", "number", "quantities", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_threshold_of_every_row(clause: str, number: int, quantities: dict[str, int], expected: SizeClass) -> None:
    result = classify_size(STANDARD_2011.row(number), quantities)
    assert result.size_class is expected, clause
    assert result.row.number == number and result.size_class.is_sme is (expected is not L)


def test_the_large_bound_is_either_not_both() -> None:
    """工业: reaching one large bound only leaves an SME (1500 people, 30000万 → 中型)."""
    assert classify_size(INDUSTRY_ROW, {E: 1500, R: 30000 * FEN_PER_WAN}).size_class is M
    assert classify_size(INDUSTRY_ROW, {E: 5000, R: 200 * FEN_PER_WAN}).size_class is MI


TRACES = [
    ("大型 decided by both large bounds", 1000, "40000",
     [("large", E, True), ("large", R, True)], "employees 1000 or more and revenue 40000万元 or more: not an SME"),
    ("中型: large fails on revenue", 1500, "30000",
     [("large", E, True), ("large", R, False), ("medium", E, True), ("medium", R, True)],
     "employees 300 or more and revenue 2000万元 or more (and below a large bound)"),
    ("小型: every comparison recorded", 50, "500",
     [("large", E, False), ("large", R, False), ("medium", E, False), ("medium", R, False), ("small", E, True),
      ("small", R, True)], "employees 20 or more and revenue 300万元 or more, not medium"),
    ("微型 by employees only", 19, "300",
     [("large", E, False), ("large", R, False), ("medium", E, False), ("medium", R, False), ("small", E, False),
      ("small", R, True)], "employees 20 not reached"),
]


@pytest.mark.parametrize(("case", "employees", "revenue_wan", "trace", "decided_by"), TRACES, ids=[t[0] for t in TRACES])
def test_trace_says_which_threshold_decided(
    case: str, employees: int, revenue_wan: str, trace: list[tuple[str, str, bool]], decided_by: str
) -> None:
    result = classify_size(INDUSTRY_ROW, {E: employees, R: wan_to_fen(Decimal(revenue_wan))})
    assert [(c.level, c.quantity, c.at_least) for c in result.trace] == trace
    assert result.decided_by == decided_by and result.decided_by_zh


def test_micro_reason_in_chinese() -> None:
    result = classify_size(INDUSTRY_ROW, {E: 19, R: wan_to_fen(Decimal("299.99"))})
    assert result.decided_by_zh == "从业人员20人以下且营业收入300万元以下"


INDUSTRY_CODES = [
    ("A0111", 1), ("B0610", 2), ("C", 2), ("C3670", 2), ("D4411", 2), ("E4710", 3), ("F5123", 4), ("F5211", 5),
    ("G5411", 6), ("G5911", 6), ("G5920", 7), ("G6010", 8), ("H6110", 9), ("H6210", 10), ("I6311", 11),
    ("I6421", 11), ("I65", 12), ("I6510", 12), ("K7010", 13), ("K7020", 14), ("K7030", 16), ("L", 15),
    ("L7212", 15), ("L7241", 15), ("M7320", 16), ("O8010", 16),
]


@pytest.mark.parametrize(("code", "number"), INDUSTRY_CODES, ids=[c[0] for c in INDUSTRY_CODES])
def test_industry_code_to_row(code: str, number: int) -> None:
    row = STANDARD_2011.row_for_industry(code)
    assert row is not None and row.number == number


@pytest.mark.parametrize("code", ["F", "G", "G59", "H", "I", "K", "K70"])
def test_a_code_too_coarse_has_no_row(code: str) -> None:
    assert STANDARD_2011.row_for_industry(code) is None


def test_software_is_classified_by_its_own_row() -> None:
    """120 people and 1500万: 中型 for 软件和信息技术服务业 (E ≥ 100, R ≥ 1000万), 小型 by 工业's (E < 300)."""
    software = size_columns("I6510", 120, 1500 * FEN_PER_WAN)
    assert software["size_class"] == "medium"
    basis = software["size_class_basis"]
    assert (basis["row"], basis["industry"], basis["rule"]) == (
        12, "软件和信息技术服务业", "《中小企业划型标准规定》(工信部联企业〔2011〕300号) 第四条(十二)")
    assert basis["comparisons"][2:] == [
        {"level": "medium", "quantity": E, "value": 120, "threshold": 100, "at_least": True},
        {"level": "medium", "quantity": R, "value": 1500 * FEN_PER_WAN, "threshold": 1000 * FEN_PER_WAN, "at_least": True},
    ]
    assert size_columns("C3670", 120, 1500 * FEN_PER_WAN)["size_class"] == "small"
    assert size_columns(None, 120, 1500 * FEN_PER_WAN)["size_class_basis"]["industry_from"] == "assumed"


def test_a_missing_quantity_is_said_not_guessed() -> None:
    leasing = STANDARD_2011.row_for_industry("L7241")
    assert leasing is not None and missing_quantities(leasing, {E: 50, R: 1}) == (A,)
    with pytest.raises(DomainError) as info:
        classify_size(leasing, {E: 50, R: 1})
    assert (info.value.code, info.value.field) == ("size_quantity_missing", A)
    columns = size_columns("L7241", 50, 900 * FEN_PER_WAN)
    assert columns["size_class"] is None and columns["size_class_basis"]["missing"] == [A]
    assert "资产总额" in columns["size_class_basis"]["decided_by_zh"]
    coarse = size_columns("I", 50, 900 * FEN_PER_WAN)
    assert coarse["size_class"] is None and coarse["size_class_basis"]["row"] is None
    assert size_columns("C3670", None, None) == {"size_class": None, "size_class_basis": None}
    assert size_columns("C3670", 50, None)["size_class_basis"]["missing"] == [R]
    assert size_columns("M7320", 50, None)["size_class"] == "small"  # 其他未列明行业 needs employees only


def test_one_fen_below_the_line() -> None:
    line = 300 * FEN_PER_WAN
    assert classify_size(INDUSTRY_ROW, {E: 20, R: line - 1}).size_class is MI
    assert classify_size(INDUSTRY_ROW, {E: 20, R: line}).size_class is S


WAN_TO_FEN = [
    ("whole 万元", Decimal("300"), 300_000_000),
    ("one fen", Decimal("0.000001"), 1),
    ("two decimals", Decimal("299.99"), 299_990_000),
    ("exponent form", Decimal("4E+4"), 40_000_000_000),
]


@pytest.mark.parametrize(("case", "wan", "fen"), WAN_TO_FEN, ids=[w[0] for w in WAN_TO_FEN])
def test_wan_to_fen_is_exact(case: str, wan: Decimal, fen: int) -> None:
    assert wan_to_fen(wan) == fen


@pytest.mark.parametrize(("case", "wan", "code"), [
    ("float is refused", 300.0, "revenue_not_exact"),
    ("below one fen", Decimal("0.0000001"), "revenue_sub_fen"),
    ("NaN", Decimal("NaN"), "revenue_invalid"),
])
def test_bad_money(case: str, wan: object, code: str) -> None:
    with pytest.raises(DomainError) as info:
        wan_to_fen(wan)  # type: ignore[arg-type]
    assert info.value.code == code


BAD_QUANTITIES = [
    ("negative revenue", {E: 20, R: -1}, "quantity_negative"),
    ("negative employees", {E: -1, R: 1}, "quantity_negative"),
    ("fractional employees", {E: 20.5, R: 1}, "quantity_invalid"),
    ("boolean employees", {E: True, R: 1}, "quantity_invalid"),
    ("float fen", {E: 20, R: 3e8}, "quantity_invalid"),
    ("no revenue", {E: 20}, "size_quantity_missing"),
]


@pytest.mark.parametrize(("case", "quantities", "code"), BAD_QUANTITIES, ids=[b[0] for b in BAD_QUANTITIES])
def test_bad_quantities(case: str, quantities: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as info:
        classify_size(INDUSTRY_ROW, quantities)  # type: ignore[arg-type]
    assert info.value.code == code


def test_labels() -> None:
    assert [c.label_zh for c in SizeClass] == ["大型企业", "中型企业", "小型企业", "微型企业"]
