"""Disbursement over HTTP: payment orders per tranche (account encrypted at rest, shown masked), confirmed by
finance or the bank's service client (the budget consumed), reconciliation listing every discrepancy."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from funding.adapters.budget_tables import budgets
from funding.adapters.payment_tables import payment_orders
from funding.main import create_app
from funding.spec import SPEC
from sihua_shared.db import create_engine, session_factory
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import facts_on_nats

from .kit import API, WAN, approved, seed

ACCOUNT = "6222020200112233445"


async def _order(client: httpx.AsyncClient, headers: dict[str, str], app: dict[str, Any], status: int = 201,
                 **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/applications/{app['id']}/payment-orders",
                                 headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                                 json={"payee_name": "ent-1 有限公司", "payee_account": ACCOUNT, **body})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def money_facts(url: str) -> list[tuple[str, dict[str, Any]]]:
    """The payment and claw-back facts in the outbox, in order: (``payment.paid``, data)."""
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        rows = (await s.execute(select(outbox.c.type, outbox.c.envelope).where(
            outbox.c.type.like("%funding.payment.%") | outbox.c.type.like("%funding.clawback.%")).order_by(outbox.c.seq))).all()
    await engine.dispose()
    return [(".".join(t.split(".")[-3:-1]), e["data"]) for t, e in rows]


async def _paid(client: httpx.AsyncClient, headers: dict[str, str], order: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = await client.post(f"{API}/payment-orders/{order['id']}/paid", json={"bank_reference": f"BK-{order['id'][:8]}"},
                                 headers={**headers, "If-Match": f'"{order["version"]}"'})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_tranches_are_ordered_paid_and_reconciled(stack: Stack) -> None:
    key = Fernet.generate_key().decode()
    settings = await stack.settings("funding", business_date=date(2026, 3, 10), payee_account_key=key)
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    bank = stack.issuer.headers(["service"], sub="bank-1")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    official = {"approved_investment_fen": 40 * WAN, "verified_actual_investment_fen": 40 * WAN, "batch_rate": "50%"}
    async with service_client(create_app(settings)) as client:
        made = await client.post(f"{API}/budgets", headers={**finance, "Idempotency-Key": "b1"}, json={
            "year": 2026, "measure_id": "s2-transformation", "fund_source": "city", "amount_fen": 100 * WAN})
        assert made.status_code == 201, made.text
        app = await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-transformation", "proj-1", official=official)
        assert app["amount_fen"] == 20 * WAN
        await _order(client, ent, app, 403, tranche="whole")
        first = await _order(client, finance, app, tranche="first", amount_fen=6 * WAN)
        assert first["payee_account"] == "****" + ACCOUNT[-4:] and first["state"] == "ordered"
        await _order(client, finance, app, 409, tranche="first", amount_fen=WAN)  # one order per tranche
        await _order(client, finance, app, 409, tranche="final", amount_fen=15 * WAN)  # above what is left
        final = await _order(client, a, app, tranche="final")  # the rest of the award
        assert final["amount_fen"] == 14 * WAN
        report = (await client.get(f"{API}/reconciliation", headers=finance)).json()
        assert not report["balanced"] and report["discrepancies"][0]["kind"] == "unpaid"
        await _paid(client, ent, first, 403)
        await _paid(client, finance, first)
        await _paid(client, finance, first, 412)  # stale version: it was paid
        await _paid(client, bank, final)
        report = (await client.get(f"{API}/reconciliation", headers=finance)).json()
        assert report["balanced"] and report["items"] == [{
            "application_id": app["id"], "applicant_id": "ent-1", "measure_id": "s2-transformation", "approved_fen": 20 * WAN,
            "award_fen": 20 * WAN, "ordered_fen": 20 * WAN, "paid_fen": 20 * WAN, "clawed_back_fen": 0, "recovered_fen": 0}], report
        mine = (await client.get(f"{API}/payment-orders", headers=ent)).json()
        assert mine["total"] == 2 and {o["state"] for o in mine["items"]} == {"paid"}
    facts = await money_facts(settings.database_url)
    assert [k for k, _ in facts] == ["payment.ordered", "payment.ordered", "payment.paid", "payment.paid"]
    assert facts[0][1]["payee_account_masked"] == "****" + ACCOUNT[-4:] and ACCOUNT not in str(facts)
    assert (facts[2][1]["tranche"], facts[2][1]["amount_fen"], facts[2][1]["confirmed_by"]) == ("first", 6 * WAN, "finance")
    assert facts[3][1]["confirmed_by"] == "service" and facts[3][1]["measure_id"] == "s2-transformation"
    await stack.create_streams("funding")
    async with running_worker(SPEC, settings):  # the relay publishes them

        async def on_nats() -> list[str] | None:
            try:
                seen = [f["type"] for f in await facts_on_nats(stack, "funding")]
            except TimeoutError:
                return None
            return seen if sum(".payment." in t for t in seen) == 4 else None

        assert "cn.gov.sihua.funding.payment.paid.v1" in await eventually(on_nats, timeout=30, interval=0.3)
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as s:
        stored = (await s.execute(select(payment_orders.c.payee_account_enc))).scalars().all()
        assert all(ACCOUNT not in value and Fernet(key.encode()).decrypt(value.encode()).decode() == ACCOUNT for value in stored)
        budget = (await s.execute(select(budgets))).mappings().one()
        assert (budget["reserved_fen"], budget["paid_fen"], budget["remaining_fen"]) == (0, 20 * WAN, 80 * WAN)
    await engine.dispose()


async def test_no_order_without_the_payee_key(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10))
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    official = {"approved_investment_fen": 40 * WAN, "verified_actual_investment_fen": 40 * WAN, "batch_rate": "50%"}
    async with service_client(create_app(settings)) as client:
        app = await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-transformation", "proj-1", official=official)
        assert (await _order(client, a, app, 409, tranche="whole"))["code"] == "payee_key_missing"


async def test_a_zhongshan_transformation_paid_30_percent_fails_its_progress_check_and_the_first_payment_is_clawed_back(
        stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2025, 6, 1), jurisdiction="zhongshan",
                                    payee_account_key=Fernet.generate_key().decode())
    await seed(settings.database_url, ("zs-ent", "enterprise", "shiqi"))
    ent = stack.issuer.headers(["enterprise"], org="zs-ent")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    async with service_client(create_app(settings)) as client:
        tech = await approved(client, ent, a, b, "zs-s4-digital-intelligent", "s4-tech-transformation", "tt-1",
                              equipment_software_investment_fen=5_000 * WAN, other_city_funded_fen=1_000 * WAN,
                              project_total_investment_fen=6_000 * WAN)
        first_share = tech["trace"]["tranches"][0]["amount_fen"]
        assert (tech["amount_fen"], first_share) == (800 * WAN, 240 * WAN)
        first = await _order(client, finance, tech, tranche="first", amount_fen=first_share)
        await _paid(client, finance, first)
        # the progress check fails: the whole first payment is clawed back (S4 (四))
        await client_post_status(client, f"{API}/applications/{tech['id']}/clawbacks", finance, {"reason": "failed_progress_check"}, 403)
        opened = await client.post(f"{API}/applications/{tech['id']}/clawbacks", headers=a, json={"reason": "failed_progress_check"})
        assert opened.status_code == 201, opened.text
        claw = opened.json()
        assert (claw["amount_fen"], claw["state"]) == (240 * WAN, "open")
        more = await client.post(f"{API}/applications/{tech['id']}/clawbacks", headers=a, json={"reason": "double_funding"})
        assert more.status_code == 409  # nothing paid is left to claw back
        part = await client.post(f"{API}/clawbacks/{claw['id']}/repayments", json={"amount_fen": 40 * WAN, "reference": "JK-1"},
                                 headers={**finance, "If-Match": f'"{claw["version"]}"'})
        assert part.status_code == 200 and part.json()["state"] == "open", part.text
        rest = await client.post(f"{API}/clawbacks/{claw['id']}/repayments", json={"amount_fen": 200 * WAN, "reference": "JK-2"},
                                 headers={**finance, "If-Match": f'"{part.json()["version"]}"'})
        assert rest.status_code == 200 and (rest.json()["state"], rest.json()["recovered_fen"]) == ("settled", 240 * WAN), rest.text
        listed = (await client.get(f"{API}/clawbacks", headers=ent)).json()
        assert [c["state"] for c in listed["items"]] == ["settled"]
    facts = await money_facts(settings.database_url)
    assert [k for k, _ in facts] == ["payment.ordered", "payment.paid", "clawback.opened", "clawback.repaid", "clawback.repaid",
                                     "clawback.settled"]
    assert (facts[2][1]["reason"], facts[2][1]["amount_fen"]) == ("failed_progress_check", 240 * WAN)
    assert [f[1]["outstanding_fen"] for f in facts[3:5]] == [200 * WAN, 0]
    assert (facts[5][1]["repaid_fen"], facts[5][1]["offset_fen"]) == (240 * WAN, 0)


async def client_post_status(client: httpx.AsyncClient, url: str, headers: dict[str, str], json: dict[str, Any], status: int) -> None:
    assert (await client.post(url, headers=headers, json=json)).status_code == status
