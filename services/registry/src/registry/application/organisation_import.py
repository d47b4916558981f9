"""Bulk registration from an official's spreadsheet: every row is checked first; any fault rejects the whole
file with a row-by-row report, otherwise every row is registered in the caller's one transaction.

Columns are found by their Chinese headers (full-width or half-width brackets alike); values may be the
Chinese names people use (企业, 黄埔区, 定制家居) or the codes the API uses (enterprise, huangpu, custom_furniture).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, Problem
from sihua_shared.jurisdiction import Jurisdiction

from ..adapters.tables import organisations
from ..adapters.xlsx import Sheet
from ..domain import access as policy
from ..domain.access import DISTRICT
from ..domain.uscc import normalise_uscc
from .organisation_profile import KIND_LABELS, check_profile
from .organisations import insert_organisations

MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False
    hint: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("单位名称", "name", True, "单位全称"),
    Column("统一社会信用代码", "uscc", True, "18位，按 GB 32100-2015 校验"),
    Column("类型", "kind", True, "、".join(KIND_LABELS.values())),
    Column("所在区", "district", False, "见“填写说明”中的区名"),
    Column("行业", "sector", False, "试点行业名称；不属于试点行业的留空"),
    Column("国民经济行业代码", "industry_code", False, "GB/T 4754，如 C2110"),
    Column("从业人员", "employees", False, "人数（整数）"),
    Column("营业收入（万元）", "revenue_wan", False, "万元，最多保留到分（6位小数）"),
    Column("资产总额（万元）", "total_assets_wan", False, "万元；建筑业、房地产开发经营、租赁和商务服务业划型需要"),
)
HEADERS = tuple(c.header for c in COLUMNS)
_BY_FIELD = {c.field: c for c in COLUMNS}
_KIND_ALIASES = {"平台": "platform", "牵引单位": "traction_unit", "诊断服务商": "diagnosis_provider", "第三方机构": "third_party"}
_NO_SECTOR = {"其他", "其它", "无", "-", "—"}


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    message_zh: str
    message_en: str

    def as_report(self) -> dict[str, Any]:
        column = _BY_FIELD.get(self.field)
        return {
            "row": self.row,
            "field": self.field,
            "column": column.header if column else None,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def _fold(text: str) -> str:
    """Header or value as compared: no blanks, half-width brackets."""
    return "".join(text.split()).replace("（", "(").replace("）", ")")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _lookup(value: str | None, table: Mapping[str, str]) -> str | None:
    """A code from what people typed; unknown text passes through for the profile check to name it."""
    if value is None:
        return None
    return table.get(_fold(value), value)


def _number(value: Any) -> Any:
    """A spreadsheet number as exact input. A cell holds a binary double: its shortest decimal form is what
    the person typed (up to 15 significant digits), so it is read through ``repr``, never used as a float."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, str):
        return value.strip().replace(",", "") or None
    return value


def _employees(value: Any) -> Any:
    number = _number(value)
    if isinstance(number, str) and number.isdigit():
        return int(number)
    return number


class _Vocabulary:
    """The names people use for kinds, districts and sectors of this jurisdiction, folded, → codes."""

    def __init__(self, jurisdiction: Jurisdiction) -> None:
        self.kinds = {_fold(label): code for code, label in KIND_LABELS.items()} | {code: code for code in KIND_LABELS}
        self.kinds |= _KIND_ALIASES
        self.districts: dict[str, str] = {}
        for d in jurisdiction.districts:
            label = jurisdiction.district_label_zh
            short = d.name_zh.removesuffix(label) if d.name_zh.endswith(label) and len(d.name_zh) > len(label) + 1 else d.name_zh
            self.districts |= {_fold(d.name_zh): d.code, _fold(short): d.code, d.code: d.code}
        self.sectors = {_fold(s.name_zh): s.code for s in jurisdiction.pilot_sectors} | {s.code: s.code for s in jurisdiction.pilot_sectors}

    def profile(self, values: Mapping[str, Any]) -> dict[str, Any]:
        sector = _text(values.get("sector"))
        industry = _text(values.get("industry_code"))
        uscc = _text(values.get("uscc"))
        return {
            "name": _text(values.get("name")),
            "uscc": normalise_uscc(uscc) if uscc else None,
            "kind": _lookup(_text(values.get("kind")), self.kinds),
            "district": _lookup(_text(values.get("district")), self.districts),
            "sector": None if sector is None or sector in _NO_SECTOR else _lookup(sector, self.sectors),
            "industry_code": industry.upper() if industry else None,
            "employees": _employees(values.get("employees")),
            "revenue_wan": _number(values.get("revenue_wan")),
            "total_assets_wan": _number(values.get("total_assets_wan")),
        }


def _columns(sheet: Sheet) -> tuple[dict[str, str], list[RowProblem]]:
    """Header text in the file → field; a missing required column is a problem of row 1."""
    known = {_fold(c.header): c.field for c in COLUMNS}
    found = {h: known[_fold(h)] for h in sheet.headers if _fold(h) in known}
    present = set(found.values())
    missing = [c for c in COLUMNS if c.required and c.field not in present]
    return found, [
        RowProblem(1, c.field, f"缺少必填列“{c.header}”", f"the required column {c.header!r} is missing") for c in missing
    ]


def _district_problem(actor: Actor, profile: dict[str, Any], row: int) -> RowProblem | None:
    """A district officer imports their own district's organisations (a blank district means theirs)."""
    profile["district"] = policy.default_district(actor, profile["district"])
    if not policy.registration_districts(actor).admits({DISTRICT: profile["district"]}):
        return RowProblem(row, "district", "只能导入本区的单位", "district officers import organisations of their own district only")
    return None


@dataclass
class CheckedRows:
    profiles: list[tuple[int, dict[str, Any]]]  # (row number, checked profile) of the rows without problems
    problems: list[RowProblem]
    usccs: dict[str, int]  # every well-formed USCC in the file → the first row it is on


def check_rows(sheet: Sheet, actor: Actor, jurisdiction: Jurisdiction) -> CheckedRows:
    """Every row as a checked profile, or every problem found, row by row."""
    columns, header_problems = _columns(sheet)
    checked = CheckedRows([], header_problems, {})
    if header_problems:
        return checked
    if not sheet.rows:
        checked.problems.append(RowProblem(2, "file", "文件中没有数据行", "the file has no data rows"))
        return checked
    vocabulary = _Vocabulary(jurisdiction)
    for number, cells in sheet.rows:
        profile = vocabulary.profile({columns[h]: v for h, v in cells.items() if h in columns})
        scope = _district_problem(actor, profile, number)
        row, errors = check_profile(profile, jurisdiction)
        found = [RowProblem(number, e.field or "row", e.message_zh, e.message_en) for e in errors] + ([scope] if scope else [])
        uscc = profile["uscc"]
        if uscc and not any(e.field == "uscc" for e in errors):
            first = checked.usccs.setdefault(uscc, number)
            if first != number:
                found.append(RowProblem(number, "uscc", f"与第{first}行的统一社会信用代码重复", f"the same USCC as row {first}"))
        checked.problems += found
        if not found:
            checked.profiles.append((number, row))
    return checked


async def _already_registered(session: AsyncSession, usccs: Mapping[str, int]) -> list[RowProblem]:
    if not usccs:
        return []
    taken = (await session.execute(select(organisations.c.uscc).where(organisations.c.uscc.in_(list(usccs))))).scalars()
    return [RowProblem(usccs[u], "uscc", "该统一社会信用代码已登记", "this USCC is already registered") for u in taken]


def import_problem(problems: Sequence[RowProblem], rows_checked: int) -> DomainError:
    report = sorted((p.as_report() for p in problems), key=lambda r: (r["row"], r["field"]))
    rows = sorted({p.row for p in problems})
    return DomainError(
        "import_rejected", f"{len(rows)} 行有错误，未导入任何单位", f"{len(rows)} row(s) have errors; nothing was imported",
        problems=[Problem(f"file.rows[{r['row']}].{r['field']}", "import_rejected", r["message_zh"], r["message_en"]) for r in report],
        details={"report": report, "rows_checked": rows_checked, "rows_with_errors": rows},
    )


async def import_organisations(session: AsyncSession, actor: Actor, sheet: Sheet, *, jurisdiction: Jurisdiction) -> list[dict[str, Any]]:
    """All rows or none: answers the registered organisations with their row numbers."""
    checked = check_rows(sheet, actor, jurisdiction)
    problems = checked.problems + await _already_registered(session, checked.usccs)
    if problems:
        raise import_problem(problems, len(sheet.rows))
    created = await insert_organisations(session, actor, [row for _, row in checked.profiles])
    return [{"row": number, **row} for (number, _), row in zip(checked.profiles, created, strict=True)]
