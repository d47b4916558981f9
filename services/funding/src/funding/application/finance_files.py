"""Files for the finance bureau (财政): the bank's payment file imported (XLSX) to mark orders paid, with a report
for every row; exports of the approved amounts with their traces, the payment orders and the reconciliation.

Take a session and never commit. A file is known by its SHA-256: importing the same file again answers its first
report and changes nothing; a row for an order already paid is reported ``already_paid`` (so another file with the
same rows changes nothing either). Amounts are integer fen (金额（分）); a cell with a fraction is refused.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.errors import DomainError, forbidden, invalid

from ..adapters.funding_tables import applications
from ..adapters.payment_tables import payment_imports, payment_orders
from ..domain import access as policy
from . import payments
from .applications import _lock as lock

HEADERS = {"order_id": "拨付指令编号", "amount_fen": "金额（分）", "bank_reference": "银行流水号", "paid_on": "支付日期"}
MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 50 * 1024 * 1024  # what the XLSX (a zip) holds once unpacked: a zip bomb is refused before it is read
MAX_ROWS = 5000
FILE_READERS = ("finance", "city_officer", "auditor")


def _rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise invalid("file", "文件超过 5MB", "the file is above 5 MB", "file_too_large")
    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise invalid("file", "不是有效的 XLSX 文件", "not an XLSX file", "not_xlsx") from None
    if unpacked > MAX_UNPACKED:
        raise invalid("file", "文件解压后超过 50MB", "the file unpacks above 50 MB", "file_too_large")
    try:
        return _read(load_workbook(io.BytesIO(data), read_only=True, data_only=True))
    except DomainError:
        raise
    except Exception:  # openpyxl raises many kinds on a file that is not XLSX, also while it reads the rows
        raise invalid("file", "不是有效的 XLSX 文件", "not an XLSX file", "not_xlsx") from None


def _read(book: Any) -> list[tuple[int, dict[str, Any]]]:
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
    missing = [h for h in HEADERS.values() if h not in header]
    if missing:
        raise invalid("file", f"缺少列：{'、'.join(missing)}", f"columns missing: {', '.join(missing)}", "missing_columns")
    at = {key: header.index(name) for key, name in HEADERS.items()}
    out = []
    for number, line in enumerate(lines, start=2):
        if number - 1 > MAX_ROWS:
            raise invalid("file", f"超过 {MAX_ROWS} 行", f"more than {MAX_ROWS} rows", "too_many_rows")
        if line is None or all(c is None or str(c).strip() == "" for c in line):
            continue
        out.append((number, {key: (line[i] if i < len(line) else None) for key, i in at.items()}))
    book.close()
    return out


def _amount(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():  # not '²' nor full-width
        return int(value.strip())
    return None  # a fraction (a float cell) is never money


def _day(value: Any, today: date) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, date) or value > today:
        return None
    return value


async def import_payment_file(session: AsyncSession, actor: Actor, *, filename: str, data: bytes) -> dict[str, Any]:
    """Mark the file's orders paid, row by row: ``applied``, or why not (``unknown_order``, ``amount_differs``,
    ``already_paid``, ``bad_date``, ``bad_amount``, ``no_reference``)."""
    if not actor.has("finance"):
        raise forbidden("支付文件由财政部门导入", "the finance side imports payment files")
    digest = hashlib.sha256(data).hexdigest()
    await lock(session, f"funding_payment_file\n{digest}")  # the same file imported twice at once: the second waits, repeats
    known = (await session.execute(select(payment_imports).where(payment_imports.c.sha256 == digest))).mappings().first()
    if known is not None:
        return {**dict(known), "repeated": True}
    rows = _rows(data)
    today = business_clock(session).today()
    report = []
    for number, cells in rows:
        order_id = str(cells["order_id"] or "").strip()
        item: dict[str, Any] = {"row": number, "order_id": order_id or None}
        found = (await session.execute(select(payment_orders).where(payment_orders.c.id == order_id).with_for_update())
                 ).mappings().first() if order_id else None
        amount, paid_on = _amount(cells["amount_fen"]), _day(cells["paid_on"], today)
        reference = str(cells["bank_reference"] or "").strip()[:100]
        if found is None:
            item |= {"status": "unknown_order", "message": "未找到该拨付指令"}
        elif found["state"] == "paid":
            item |= {"status": "already_paid", "message": f"该指令已于 {found['paid_on']} 支付"}
        elif amount is None:
            item |= {"status": "bad_amount", "message": "金额须为整数（分）"}
        elif amount != int(found["amount_fen"]):
            item |= {"status": "amount_differs", "message": f"金额 {amount} 与指令金额 {found['amount_fen']} 不符",
                     "expected_fen": int(found["amount_fen"]), "amount_fen": amount}
        elif paid_on is None or paid_on < found["ordered_on"]:
            item |= {"status": "bad_date", "message": "支付日期无效、晚于今天或早于指令下达日（YYYY-MM-DD）"}
        elif not reference:
            item |= {"status": "no_reference", "message": "缺少银行流水号"}
        else:
            await payments.settle_order(session, actor, dict(found), bank_reference=reference, paid_on=paid_on,
                                        confirmed_by="payment_file")
            item |= {"status": "applied", "amount_fen": amount, "paid_on": paid_on.isoformat()}
        report.append(item)
    applied = sum(1 for r in report if r["status"] == "applied")
    import_id = str(uuid.uuid4())
    row: dict[str, Any] = {"id": import_id, "sha256": digest, "filename": filename.replace("\x00", "")[:300] or "payments.xlsx",
                           "imported_by": actor.id, "imported_on": today,
                           "report": {"rows": report, "applied": applied, "refused": len(report) - applied}}
    await session.execute(payment_imports.insert().values(**row))
    await audit(session, actor, "funding_payment.import", "funding_payment_import", import_id, after=row)
    return {**row, "repeated": False}


# ---- exports --------------------------------------------------------------------------------------------------------

def _ensure_reader(actor: Actor) -> None:
    if not actor.has(*FILE_READERS):
        raise forbidden("财政文件由财政部门、市级官员或审计查看", "finance, the city and auditors read finance files")


def trace_text(trace: dict[str, Any] | None) -> str:
    steps = (trace or {}).get("steps") or []
    return "；".join(f"{s['rule']}（{s['clause']}）{s['amount_fen']}" for s in steps)


async def approved_rows(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    _ensure_reader(actor)
    found = (await session.execute(select(applications).where(applications.c.state == "approved")
                                   .where(where(policy.subsidies(actor), payments.APPLICATION_COLUMNS))
                                   .order_by(applications.c.decided_on, applications.c.id))).mappings().all()
    return [{"application_id": a["id"], "applicant_id": a["applicant_id"], "applicant_uscc": a["applicant_uscc"],
             "district": a["district"], "policy_version_id": a["policy_version_id"], "measure_id": a["measure_id"],
             "clause": a["clause"], "project_id": a["project_id"], "decided_on": a["decided_on"], "amount_fen": a["amount_fen"],
             "trace": trace_text(a["trace"]),
             "readings": "；".join(r["text"] for r in (a["trace"] or {}).get("readings") or [])} for a in found]


async def order_rows(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    _ensure_reader(actor)
    items, _ = await payments.list_orders(session, actor, state=None, limit=100_000, offset=0)
    return items


async def reconciliation_rows(session: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
    report = await payments.reconciliation(session, actor)
    kinds: dict[str, list[str]] = {}
    for d in report["discrepancies"]:
        kinds.setdefault(d["application_id"], []).append(d["kind"])
    return [{**i, "discrepancies": "、".join(kinds.get(i["application_id"], [])) or "平"} for i in report["items"]]
