"""S4 (四) paid in tranches, over HTTP: 30% of the support on the approved investment, then after acceptance the
support recomputed on the verified actual investment (the final tranche is that total minus what was paid and kept;
a negative remainder is clawed back, ``recomputed_below_paid``); a failed progress check claws back the whole first
payment and the project is still paid once after acceptance. Claw-backs the rule lets be offset are withheld from
the same enterprise's later payments; every step is on the award ledger (negative entries) and the budgets."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from funding.adapters.budget_tables import budgets
from funding.adapters.funding_tables import awards
from funding.main import create_app
from sihua_shared.db import create_engine, session_factory
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, WAN, approved, seed
from .test_payments import ACCOUNT, _order, _paid, money_facts

POLICY = "zs-s4-digital-intelligent"
TECH = {"equipment_software_investment_fen": 5_000 * WAN, "other_city_funded_fen": 1_000 * WAN,
        "project_total_investment_fen": 6_000 * WAN}


async def _settle(client: httpx.AsyncClient, headers: dict[str, str], app: dict[str, Any], verified_fen: int,
                  status: int = 201) -> dict[str, Any]:
    response = await client.post(f"{API}/applications/{app['id']}/settlement",
                                 headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                                 json={"verified_actual_investment_fen": verified_fen, "accepted_on": "2025-06-01",
                                       "payee_name": "zs-ent 有限公司", "payee_account": ACCOUNT})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _budget(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        row = (await s.execute(select(budgets).where(budgets.c.measure_id == "s4-tech-transformation"))).mappings().one()
    await engine.dispose()
    return int(row["reserved_fen"]), int(row["paid_fen"]), int(row["remaining_fen"])


async def _award(url: str, application_id: str) -> int:
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        amount = (await s.execute(select(awards.c.amount_fen).where(awards.c.application_id == application_id))).scalar_one()
    await engine.dispose()
    return int(amount)


async def _setup(stack: Stack) -> tuple[Any, dict[str, dict[str, str]]]:
    settings = await stack.settings("funding", business_date=date(2025, 6, 1), jurisdiction="zhongshan",
                                    payee_account_key=Fernet.generate_key().decode())
    await seed(settings.database_url, ("zs-ent", "enterprise", "shiqi"))
    issuer = stack.issuer
    who = {"ent": issuer.headers(["enterprise"], org="zs-ent"), "finance": issuer.headers(["finance"], sub="fin-1", org="fb"),
           "a": issuer.headers(["city_officer"], sub="officer-a"), "b": issuer.headers(["city_officer"], sub="officer-b")}
    return settings, who


async def test_the_final_tranche_is_recomputed_on_the_verified_investment(stack: Stack) -> None:
    settings, who = await _setup(stack)
    async with service_client(create_app(settings)) as client:
        made = await client.post(f"{API}/budgets", headers={**who["finance"], "Idempotency-Key": "b1"}, json={
            "year": 2025, "measure_id": "s4-tech-transformation", "fund_source": "city", "amount_fen": 2_000 * WAN})
        assert made.status_code == 201, made.text
        tech = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-tech-transformation", "tt-1", **TECH)
        assert tech["amount_fen"] == 800 * WAN
        await _order(client, who["finance"], tech, 409, tranche="first", amount_fen=241 * WAN)  # above the 30%
        await _order(client, who["finance"], tech, 409, tranche="final")  # after acceptance: a settlement
        first = await _order(client, who["finance"], tech, tranche="first")  # 30% of the approved computation
        assert first["amount_fen"] == 240 * WAN
        await _paid(client, who["finance"], first)
        await _settle(client, who["finance"], tech, 3_000 * WAN, 403)
        done = await _settle(client, who["a"], tech, 3_000 * WAN)  # (3000 − 1000) × 20% = 400万
        calc = done["computation"]
        assert (calc["recomputed_fen"], calc["total_fen"], calc["net_paid_fen"], calc["remainder_fen"]) == (
            400 * WAN, 400 * WAN, 240 * WAN, 160 * WAN)
        assert calc["clause"] == "S4 (四)" and calc["trace"]["steps"][0]["inputs"] == {
            "equipment_software_investment_fen": 3_000 * WAN} and calc["readings"]
        final = done["payment_order"]
        assert (final["tranche"], final["amount_fen"], done["clawback"]) == ("final", 160 * WAN, None)
        assert (await _settle(client, who["a"], tech, 3_000 * WAN, 409))["code"] == "already_settled"
        assert await _award(settings.database_url, tech["id"]) == 400 * WAN  # caps see the lower award
        assert await _budget(settings.database_url) == (160 * WAN, 240 * WAN, 1_600 * WAN)
        await _paid(client, who["finance"], final)
        assert await _budget(settings.database_url) == (0, 400 * WAN, 1_600 * WAN)
        shown = await client.get(f"{API}/budgets/{made.json()['id']}", headers=who["finance"])
        assert shown.status_code == 200, shown.text  # its movements include the settlement's unreserve
        assert [e["kind"] for e in shown.json()["entries"]] == ["reserve", "consume", "unreserve", "consume"]
        ledger = (await client.get(f"{API}/applications/{tech['id']}/ledger", headers=who["ent"])).json()
        assert [(e["kind"], e["amount_fen"], e["paid_fen"]) for e in ledger["items"]] == [
            ("paid", 0, 240 * WAN), ("recomputed", -400 * WAN, 0), ("paid", 0, 160 * WAN)]
        assert ledger["standing"]["left_fen"] == 0
        report = (await client.get(f"{API}/reconciliation", headers=who["finance"])).json()
        assert report["balanced"], report


async def test_a_recomputation_below_what_was_paid_is_clawed_back_and_offset_against_a_later_payment(stack: Stack) -> None:
    settings, who = await _setup(stack)
    async with service_client(create_app(settings)) as client:
        tech = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-tech-transformation", "tt-1", **TECH)
        first = await _order(client, who["finance"], tech, tranche="first")
        await _paid(client, who["finance"], first)
        done = await _settle(client, who["a"], tech, 2_000 * WAN)  # (2000 − 1000) × 20% = 200万 < 240万 paid
        claw = done["clawback"]
        assert done["payment_order"] is None and done["computation"]["remainder_fen"] == -40 * WAN
        assert (claw["reason"], claw["amount_fen"], claw["offsettable"], claw["clause"]) == (
            "recomputed_below_paid", 40 * WAN, True, "S4 (四)")
        report = (await client.get(f"{API}/reconciliation", headers=who["finance"])).json()
        assert [d["kind"] for d in report["discrepancies"]] == ["receivable"]
        # the same enterprise's later award: the open claw-back is withheld from its payment (抵扣)
        voucher = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-cloud-voucher", "cv-1",
                                 facts={"benchmark": False}, contract_amount_fen=50 * WAN, project_total_investment_fen=50 * WAN)
        assert voucher["amount_fen"] == 25 * WAN
        pay = await _paid(client, who["finance"], await _order(client, who["finance"], voucher, tranche="whole"))
        assert (pay["amount_fen"], pay["offset_fen"]) == (25 * WAN, 25 * WAN)
        left = (await client.get(f"{API}/clawbacks", headers=who["ent"])).json()["items"][0]
        assert (left["state"], left["recovered_fen"], left["offset_fen"]) == ("open", 25 * WAN, 25 * WAN)
        rest = await client.post(f"{API}/clawbacks/{left['id']}/repayments", json={"amount_fen": 15 * WAN, "reference": "JK-1"},
                                 headers={**who["finance"], "If-Match": f'"{left["version"]}"'})
        assert rest.status_code == 200 and rest.json()["state"] == "settled", rest.text
        ledger = (await client.get(f"{API}/applications/{tech['id']}/ledger", headers=who["finance"])).json()
        assert [(e["kind"], e["amount_fen"], e["paid_fen"]) for e in ledger["items"]] == [
            ("paid", 0, 240 * WAN), ("recomputed", -600 * WAN, 0), ("clawback_opened", 0, 0),
            ("clawback_offset", 0, -25 * WAN), ("clawback_repaid", 0, -15 * WAN)]
        report = (await client.get(f"{API}/reconciliation", headers=who["finance"])).json()
        assert report["balanced"], report
    facts = await money_facts(settings.database_url)
    kinds = [k for k, _ in facts]
    assert kinds == ["payment.ordered", "payment.paid", "clawback.opened", "payment.ordered", "clawback.offset", "payment.paid",
                     "clawback.repaid", "clawback.settled"], kinds
    offset = facts[4][1]
    assert (offset["offset_fen"], offset["outstanding_fen"], offset["payment_order_id"]) == (25 * WAN, 15 * WAN, pay["id"])
    assert facts[5][1]["offset_fen"] == 25 * WAN
    assert (facts[7][1]["offset_fen"], facts[7][1]["repaid_fen"]) == (25 * WAN, 15 * WAN)


async def test_a_failed_progress_check_claws_back_the_first_payment_and_the_project_is_paid_once_after_acceptance(
        stack: Stack) -> None:
    settings, who = await _setup(stack)
    async with service_client(create_app(settings)) as client:
        made = await client.post(f"{API}/budgets", headers={**who["finance"], "Idempotency-Key": "b1"}, json={
            "year": 2025, "measure_id": "s4-tech-transformation", "fund_source": "city", "amount_fen": 2_000 * WAN})
        assert made.status_code == 201, made.text
        tech = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-tech-transformation", "tt-1", **TECH)
        await _paid(client, who["finance"], await _order(client, who["finance"], tech, tranche="first"))
        opened = await client.post(f"{API}/applications/{tech['id']}/clawbacks", headers=who["a"],
                                   json={"reason": "failed_progress_check"})
        assert opened.status_code == 201 and opened.json()["offsettable"], opened.text
        assert await _award(settings.database_url, tech["id"]) == 800 * WAN  # the award stands
        done = await _settle(client, who["a"], tech, 5_000 * WAN)  # as declared: 800万
        final = done["payment_order"]
        assert (final["tranche"], final["amount_fen"]) == ("final", 800 * WAN)  # paid once, in full
        paid = await _paid(client, who["finance"], final)
        assert paid["offset_fen"] == 240 * WAN  # the first payment, never repaid, is withheld
        assert await _budget(settings.database_url) == (0, 800 * WAN, 1_200 * WAN)
        claw = (await client.get(f"{API}/clawbacks", headers=who["ent"])).json()["items"][0]
        assert (claw["state"], claw["offset_fen"]) == ("settled", 240 * WAN)
        report = (await client.get(f"{API}/reconciliation", headers=who["finance"])).json()
        assert report["balanced"], report


async def test_all_after_acceptance_is_one_whole_payment_on_the_recomputed_support(stack: Stack) -> None:
    settings, who = await _setup(stack)
    async with service_client(create_app(settings)) as client:
        tech = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-tech-transformation", "tt-1", **TECH)
        done = await _settle(client, who["a"], tech, 4_500 * WAN)  # nothing paid before: (4500 − 1000) × 20% = 700万
        assert (done["payment_order"]["tranche"], done["payment_order"]["amount_fen"]) == ("whole", 700 * WAN)
        assert done["payment_order"]["computation"]["total_fen"] == 700 * WAN
        await _order(client, who["finance"], tech, 409, tranche="first")  # the award has nothing left to order
        voucher = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-cloud-voucher", "cv-1",
                                 facts={"benchmark": False}, contract_amount_fen=50 * WAN, project_total_investment_fen=50 * WAN)
        assert (await _settle(client, who["a"], voucher, WAN, 409))["code"] == "no_tranches"


async def test_a_settlement_waits_for_an_ordered_first_tranche_so_the_award_is_never_paid_twice(stack: Stack) -> None:
    settings, who = await _setup(stack)
    async with service_client(create_app(settings)) as client:
        tech = await approved(client, who["ent"], who["a"], who["b"], POLICY, "s4-tech-transformation", "tt-1", **TECH)
        first = await _order(client, who["finance"], tech, tranche="first")  # ordered, not yet paid
        refused = await _settle(client, who["a"], tech, 5_000 * WAN, 409)
        assert refused["code"] == "order_pending", refused
        await _paid(client, who["finance"], first)
        done = await _settle(client, who["a"], tech, 5_000 * WAN)
        assert done["payment_order"]["amount_fen"] == 800 * WAN - first["amount_fen"]
