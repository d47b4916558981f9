"""An organisation's profile checked against the rules: the USCC's check character (GB 32100-2015), the
jurisdiction's districts and pilot sectors, the GB/T 4754 industry code, and the size class computed from
employees and revenue (《中小企业划型标准规定》, S2 二). Pure functions, shared by the API and the XLSX import.

Errors are ``DomainError`` with the plain field name (``uscc``, ``revenue_wan``); callers add the path prefix
(``body.`` for JSON, a row number for a spreadsheet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sihua_shared.errors import DomainError, combined
from sihua_shared.jurisdiction import Jurisdiction

from ..domain.enterprise_systems import SYSTEMS
from ..domain.size_class import (
    FEN_PER_WAN,
    INDUSTRY_ROW,
    QUANTITIES,
    STANDARD_2011,
    classify_size,
    missing_quantities,
    wan_to_fen,
)
from ..domain.uscc import normalise_uscc, validate_uscc

# The kinds of the registry's contract, with what people read.
KIND_LABELS: dict[str, str] = {
    "enterprise": "企业",
    "platform": "服务平台",
    "traction_unit": "数字化牵引单位",
    "diagnosis_provider": "评估诊断服务项目承担单位",
    "third_party": "第三方综合服务机构",
    "agency": "政府部门及事业单位",
    "provider": "数字化服务商",
    "cluster_body": "特色产业集群相关责任主体",
}
# The fields that say who an organisation is and who oversees it: only officials change them.
IDENTITY_FIELDS = ("uscc", "name", "kind", "district")
# The fields an organisation's own people may keep up to date.
SELF_SERVICE_FIELDS = ("sector", "industry_code", "employees", "revenue_wan", "total_assets_wan", "systems")
PROFILE_FIELDS = (*IDENTITY_FIELDS, *SELF_SERVICE_FIELDS)

# GB/T 4754-2017: a section letter A–T, then 2, 3 or 4 digits (大类, 中类, 小类), e.g. C2110.
_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")
MAX_EMPLOYEES = 10_000_000
MAX_REVENUE_FEN = 10**15  # 10^9 万元, well beyond any enterprise; below 2^53, so the fen travel as a JSON number


def _error(field: str, zh: str, en: str, code: str = "invalid") -> DomainError:
    return DomainError(code, zh, en, field=field)


def fen_to_wan(fen: int) -> Decimal:
    """Integer fen → 万元, exactly."""
    return Decimal(format(Decimal(fen) / FEN_PER_WAN, "f"))


def size_columns(
    industry_code: str | None, employees: int | None, revenue_fen: int | None, total_assets_fen: int | None = None
) -> dict[str, Any]:
    """The size class and how it was decided (the row, every comparison); both ``None`` while no quantity is given.

    The row follows the GB/T 4754 industry code (see ``registry.domain.size_class``). Without a code the 工业
    row is applied, as before, and the basis says it was assumed (the pilot sectors are all manufacturing). A
    code too coarse to choose a row, or a quantity the row needs and the organisation lacks, leaves the class
    ``None`` and the basis says why.
    """
    quantities = {"employees": employees, "revenue_fen": revenue_fen, "total_assets_fen": total_assets_fen}
    if all(value is None for value in quantities.values()):
        return {"size_class": None, "size_class_basis": None}
    row = STANDARD_2011.row_for_industry(industry_code) if industry_code else INDUSTRY_ROW
    basis: dict[str, Any] = {
        "standard": STANDARD_2011.source, "edition": STANDARD_2011.edition, "industry_code": industry_code,
        "industry_from": "industry_code" if industry_code else "assumed",
    }
    if row is None:
        zh = f"国民经济行业代码 {industry_code} 不够细，无法确定《中小企业划型标准规定》第四条的适用行业，请填写到大类或中类"
        en = f"industry code {industry_code} is too coarse to choose a row of 第四条; give its 大类 or 中类"
        return {"size_class": None, "size_class_basis": {**basis, "rule": STANDARD_2011.source, "row": None,
                                                         "industry": None, "decided_by": en, "decided_by_zh": zh,
                                                         "missing": [], "checks": [], "comparisons": []}}
    basis |= {"rule": row.source, "row": row.number, "industry": row.industry_zh}
    missing = missing_quantities(row, quantities)
    if missing:
        names_zh, names_en = "、".join(QUANTITIES[q][0] for q in missing), " and ".join(QUANTITIES[q][2] for q in missing)
        zh = f"按{row.industry_zh}划型（{row.clause}）需要{names_zh}，尚未填写，暂不能划型"
        en = f"the size class of {row.industry_zh} ({row.clause}) needs {names_en}, which is not on file"
        return {"size_class": None, "size_class_basis": {**basis, "decided_by": en, "decided_by_zh": zh,
                                                         "missing": list(missing), "checks": [], "comparisons": []}}
    result = classify_size(row, quantities)
    basis |= {
        "decided_by": result.decided_by, "decided_by_zh": result.decided_by_zh, "missing": [],
        "checks": [check.describe() for check in result.trace],
        "comparisons": [check.as_dict() for check in result.trace],
    }
    return {"size_class": result.size_class.value, "size_class_basis": basis}


def _check_uscc(raw: Any) -> tuple[str | None, list[DomainError]]:
    if not isinstance(raw, str) or not raw.strip():
        return None, [_error("uscc", "请填写统一社会信用代码", "the USCC is required", "required")]
    code = normalise_uscc(raw)
    try:
        validate_uscc(code)
    except DomainError as exc:
        return None, [exc]
    return code, []


def _as_decimal(raw: Any) -> Decimal | None:
    """Exact input only: ``Decimal``, an integer or a decimal string (thousands separators forgiven); never a float."""
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw)
    if isinstance(raw, str):
        try:
            return Decimal(raw.strip().replace(",", ""))
        except InvalidOperation:
            return None
    return None


def _check_money(raw: Any, field: str = "revenue_wan") -> tuple[int | None, list[DomainError]]:
    """An amount in 万元 (营业收入 ``revenue_wan`` or 资产总额 ``total_assets_wan``) → exact fen."""
    if raw is None:
        return None, []
    zh_name, en_name = ("营业收入", "revenue") if field == "revenue_wan" else ("资产总额", "total assets")
    amount = _as_decimal(raw)
    if amount is None:
        zh, en = f"{zh_name}须为精确数值（万元，如 2000.50）", f"{en_name} must be an exact number of 万元, e.g. 2000.50"
        return None, [_error(field, zh, en)]
    try:
        fen = wan_to_fen(amount)
    except DomainError as exc:
        zh_message, en_message = exc.message_zh.replace("营业收入", zh_name), exc.message_en.replace("revenue", en_name)
        return None, [_error(field, zh_message, en_message, exc.code)]
    if fen < 0:
        return None, [_error(field, f"{zh_name}不能为负数", f"{en_name} cannot be negative")]
    if fen >= MAX_REVENUE_FEN:
        return None, [_error(field, f"{zh_name}数值过大", f"{en_name} is out of range")]
    return fen, []


def _check_employees(raw: Any) -> list[DomainError]:
    if raw is None:
        return []
    if isinstance(raw, bool) or not isinstance(raw, int):
        return [_error("employees", "从业人员数须为整数", "employees must be a whole number")]
    if not 0 <= raw <= MAX_EMPLOYEES:
        return [_error("employees", "从业人员数超出范围", f"employees must be between 0 and {MAX_EMPLOYEES}")]
    return []


def _check_places(values: Mapping[str, Any], jurisdiction: Jurisdiction) -> list[DomainError]:
    found = []
    district = values.get("district")
    if district is not None and jurisdiction.district(district) is None:
        found.append(
            _error(
                "district",
                f"{jurisdiction.name_zh}没有该{jurisdiction.district_label_zh}：{district}",
                f"{jurisdiction.code} has no district {district!r}; allowed: {', '.join(d.code for d in jurisdiction.districts)}",
            )
        )
    sector = values.get("sector")
    if sector is not None and jurisdiction.pilot_sector(sector) is None:
        found.append(
            _error(
                "sector",
                f"不是{jurisdiction.name_zh}的试点行业：{sector}",
                f"{sector!r} is not a pilot sector of {jurisdiction.code}; allowed: "
                f"{', '.join(s.code for s in jurisdiction.pilot_sectors)}",
            )
        )
    industry = values.get("industry_code")
    if industry is not None and not _INDUSTRY_CODE.match(industry):
        found.append(
            _error(
                "industry_code",
                "国民经济行业代码格式不正确（GB/T 4754，如 C2110）",
                "industry code must follow GB/T 4754: a section letter and 2-4 digits, e.g. C2110",
            )
        )
    return found


def _check_systems(raw: Any) -> tuple[list[str] | None, list[DomainError]]:
    """The systems the enterprise runs: known codes (``domain.enterprise_systems``), each once, kept in the
    catalogue's order; ``None`` when not said (an empty list says it runs none)."""
    if raw is None:
        return None, []
    if not isinstance(raw, list | tuple) or not all(isinstance(code, str) for code in raw):
        return None, [_error("systems", "信息系统须为代码列表", "systems is a list of codes")]
    unknown = [code for code in raw if SYSTEMS.get(code) is None]
    if unknown:
        allowed = "、".join(s.label_zh for s in SYSTEMS.systems)
        return None, [_error("systems", f"未知的信息系统代码：{'、'.join(unknown)}；可选：{allowed}",
                             f"unknown systems {unknown}; allowed: {', '.join(SYSTEMS.codes)}", "unknown_system")]
    if len(set(raw)) != len(raw):
        return None, [_error("systems", "信息系统不能重复", "systems must be distinct")]
    return [code for code in SYSTEMS.codes if code in raw], []


def check_profile(values: Mapping[str, Any], jurisdiction: Jurisdiction) -> tuple[dict[str, Any], list[DomainError]]:
    """A complete profile (every field of ``PROFILE_FIELDS``, missing ones ``None``) → the stored columns,
    or the list of everything wrong with it."""
    errors: list[DomainError] = []
    uscc, uscc_errors = _check_uscc(values.get("uscc"))
    errors += uscc_errors
    name = values.get("name")
    if not isinstance(name, str) or len(name.strip()) < 2:
        errors.append(_error("name", "请填写单位名称（至少2个字）", "the name is required (at least 2 characters)", "required"))
    elif len(name.strip()) > 300:
        errors.append(_error("name", "单位名称过长（最多300字）", "the name is too long (300 characters at most)"))
    kind = values.get("kind")
    if kind not in KIND_LABELS:
        errors.append(
            _error("kind", f"类型无效，可选：{'、'.join(KIND_LABELS.values())}", f"kind must be one of {', '.join(KIND_LABELS)}")
        )
    errors += _check_places(values, jurisdiction)
    errors += _check_employees(values.get("employees"))
    revenue_fen, revenue_errors = _check_money(values.get("revenue_wan"))
    errors += revenue_errors
    total_assets_fen, assets_errors = _check_money(values.get("total_assets_wan"), "total_assets_wan")
    errors += assets_errors
    systems, systems_errors = _check_systems(values.get("systems"))
    errors += systems_errors
    if errors:
        return {}, errors
    employees = values.get("employees")
    row = {
        "uscc": uscc,
        "name": str(name).strip(),
        "kind": kind,
        "district": values.get("district"),
        "sector": values.get("sector"),
        "industry_code": values.get("industry_code"),
        "employees": employees,
        "revenue_fen": revenue_fen,
        "total_assets_fen": total_assets_fen,
        "systems": systems,
        **size_columns(values.get("industry_code"), employees, revenue_fen, total_assets_fen),
    }
    return row, []


def profile_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored organisation as profile input again (``revenue_wan`` from fen), to merge a change into."""
    profile = {name: row.get(name) for name in PROFILE_FIELDS if not name.endswith("_wan")}
    for wan, fen_column in (("revenue_wan", "revenue_fen"), ("total_assets_wan", "total_assets_fen")):
        fen = row.get(fen_column)
        profile[wan] = None if fen is None else fen_to_wan(fen)
    return profile


def profile_problem(errors: Iterable[DomainError], *, prefix: str = "body") -> DomainError:
    """Every field at fault, in Chinese and English, placed under ``prefix``."""
    return combined("validation_failed", "单位信息无效，见各项错误", "The organisation is not valid; see errors.", errors, prefix=prefix)
