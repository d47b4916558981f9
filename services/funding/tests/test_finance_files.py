"""The finance bureau's files over HTTP: the bank's XLSX payment file marks orders paid with a report for every
row (applied, unknown order, amount differs, already paid, bad date); importing the same file again changes
nothing; exports of the approved amounts with their traces, the payment orders and the reconciliation."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from cryptography.fernet import Fernet
from openpyxl import load_workbook

from funding.main import create_app
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, WAN, approved, seed
from .kit import payment_file as _xlsx
from .test_payments import _order, _paid, money_facts


def _sheet(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


async def test_a_payment_file_marks_orders_paid_row_by_row_and_once(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10), payee_account_key=Fernet.generate_key().decode())
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    loan = {"loan_contract_amount_fen": 100 * WAN, "actual_interest_paid_fen": 2 * WAN, "interest_period_start": "2026-01-01"}
    async with service_client(create_app(settings)) as client:
        apps = [await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-digital-loan", f"loan-{n}", **loan) for n in range(4)]
        orders = [await _order(client, finance, app, tranche="whole") for app in apps]
        assert orders[0]["amount_fen"] == 2 * WAN
        await _paid(client, finance, orders[3])  # paid already through the API
        content = _xlsx([
            [orders[0]["id"], 2 * WAN, "BK-0001", date(2026, 3, 10)],  # applied (ordered today)
            ["9a0b1c2d-0000-4a5b-8c6d-7e8f9a0b1c2d", 2 * WAN, "BK-0002", "2026-03-09"],  # unknown order
            [orders[1]["id"], 2 * WAN + 1, "BK-0003", "2026-03-09"],  # amount differs
            [orders[3]["id"], 2 * WAN, "BK-0004", "2026-03-09"],  # already paid
            [orders[2]["id"], 2 * WAN, "BK-0005", "9 March"],  # bad date
            [orders[2]["id"], 2 * WAN, "BK-0006", "2026-04-01"],  # after today: bad date
        ])
        files = {"file": ("银行回单.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
        assert (await client.post(f"{API}/payment-files", headers=a, files=files)).status_code == 403
        first = await client.post(f"{API}/payment-files", headers=finance, files=files)
        assert first.status_code == 201, first.text
        report = first.json()
        assert not report["repeated"] and (report["report"]["applied"], report["report"]["refused"]) == (1, 5)
        assert [(r["row"], r["status"]) for r in report["report"]["rows"]] == [
            (2, "applied"), (3, "unknown_order"), (4, "amount_differs"), (5, "already_paid"), (6, "bad_date"), (7, "bad_date")]
        paid = (await client.get(f"{API}/payment-orders", headers=finance, params={"state": "paid"})).json()
        assert {o["id"] for o in paid["items"]} == {orders[0]["id"], orders[3]["id"]}
        one = next(o for o in paid["items"] if o["id"] == orders[0]["id"])
        assert (one["paid_on"], one["bank_reference"], one["confirmed_by"]) == ("2026-03-10", "BK-0001", "payment_file")
        again = await client.post(f"{API}/payment-files", headers=finance, files=files)
        assert again.status_code == 201 and again.json()["repeated"] and again.json()["id"] == report["id"], again.text
        paid_again = (await client.get(f"{API}/payment-orders", headers=finance, params={"state": "paid"})).json()
        assert [o["version"] for o in paid_again["items"]] == [o["version"] for o in paid["items"]]
        bad = await client.post(f"{API}/payment-files", headers=finance, files={"file": ("x.xlsx", b"not a workbook", "text/plain")})
        assert bad.status_code == 422 and bad.json()["code"] == "not_xlsx", bad.text

        # exports for the finance bureau
        awards = await client.get(f"{API}/exports/awards", headers=finance)
        assert awards.status_code == 200 and awards.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = _sheet(awards.content)
        assert sheet[0][:2] == ["申请编号", "申请单位"] and len(sheet) == 5
        assert sheet[1][9] == 2 * WAN and "S2 四(一)1" in sheet[1][10]
        listed = _sheet((await client.get(f"{API}/exports/payment-orders", headers=a)).content)
        assert listed[0][:2] == ["拨付指令编号", "申请编号"] and {r[0] for r in listed[1:]} == {o["id"] for o in orders}
        assert all("6222020200112233445" not in str(r) for r in listed)
        csv = await client.get(f"{API}/exports/reconciliation", headers=finance, params={"format": "csv"})
        assert csv.status_code == 200 and "未" not in csv.text.splitlines()[0] and "unpaid" in csv.text
        assert (await client.get(f"{API}/exports/awards", headers=ent)).status_code == 403
    kinds = [k for k, _ in await money_facts(settings.database_url)]
    assert kinds.count("payment.paid") == 2


def _zip_with(member: str, data: bytes, base: bytes) -> bytes:
    """The workbook ``base`` with one member replaced or added (a malformed sheet, a zip bomb)."""
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(base)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, data if info.filename == member else source.read(info.filename))
        if member not in source.namelist():
            target.writestr(member, data)
    return out.getvalue()


async def test_a_bad_payment_file_is_refused_or_reported_never_a_500(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10), payee_account_key=Fernet.generate_key().decode())
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    loan = {"loan_contract_amount_fen": 100 * WAN, "actual_interest_paid_fen": 2 * WAN, "interest_period_start": "2026-01-01"}
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    async with service_client(create_app(settings)) as client:
        app = await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-digital-loan", "loan-1", **loan)
        order = await _order(client, finance, app, tranche="whole")
        content = _xlsx([[order["id"], "²", "BK-0001", "2026-03-09"], [order["id"], "２００００", "BK-0002", "2026-03-09"],
                         [order["id"], 2 * WAN, "BK-0009", "2026-03-01"]])  # paid before it was ordered (03-10)
        answer = await client.post(f"{API}/payment-files", headers=finance, files={"file": ("回单\x00.xlsx", content, kind)})
        assert answer.status_code == 201, answer.text
        assert [r["status"] for r in answer.json()["report"]["rows"]] == ["bad_amount", "bad_amount", "bad_date"]
        base = _xlsx([[order["id"], 2 * WAN, "BK-0003", "2026-03-09"]])
        broken = _zip_with("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c t='s'><v>", base)
        bomb = _zip_with("xl/sharedStrings.xml", b"<sst>" + b" " * (200 * 1024 * 1024) + b"</sst>", base)
        assert len(bomb) < 5 * 1024 * 1024
        for data, code in ((broken, "not_xlsx"), (bomb, "file_too_large")):
            refused = await client.post(f"{API}/payment-files", headers=finance, files={"file": ("x.xlsx", data, kind)})
            assert refused.status_code == 422 and refused.json()["code"] == code, refused.text
        listed = (await client.get(f"{API}/payment-orders", headers=finance, params={"state": "paid"})).json()
        assert listed["total"] == 0


async def test_the_same_payment_file_imported_twice_at_once_pays_once_and_answers_both(stack: Stack) -> None:
    import asyncio

    settings = await stack.settings("funding", business_date=date(2026, 3, 10), payee_account_key=Fernet.generate_key().decode())
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    other = stack.issuer.headers(["finance"], sub="fin-2", org="finance-bureau")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    loan = {"loan_contract_amount_fen": 100 * WAN, "actual_interest_paid_fen": 2 * WAN, "interest_period_start": "2026-01-01"}
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    async with service_client(create_app(settings)) as client:
        app = await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-digital-loan", "loan-1", **loan)
        order = await _order(client, finance, app, tranche="whole")
        content = _xlsx([[order["id"], 2 * WAN, "BK-0001", "2026-03-10"]])
        answers = await asyncio.gather(*(client.post(f"{API}/payment-files", headers=who, files={"file": ("f.xlsx", content, kind)})
                                         for who in (finance, other)))
        assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
        assert sorted(r.json()["repeated"] for r in answers) == [False, True]  # the second answers the first's report
    kinds = [k for k, _ in await money_facts(settings.database_url)]
    assert kinds.count("payment.paid") == 1
