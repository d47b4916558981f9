"""Budgets (资金池) over real HTTP: set by finance, reserved by approvals in each fund source's share, never
overspent under parallel approvals; paying consumes and a claw-back returns (use cases in a session)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from funding.adapters.budget_tables import budgets
from funding.application import budgets as uc
from funding.main import create_app
from sihua_shared.actor import Actor
from sihua_shared.db import create_engine, session_factory
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, served_app

from .kit import API, WAN, created, seed, step

S2 = "gz-s2-sme-pilot"
OFFICIAL = {"approved_investment_fen": 40 * WAN, "verified_actual_investment_fen": 40 * WAN, "batch_rate": "50%"}


async def _budget(client: httpx.AsyncClient, headers: dict[str, str], status: int = 201, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/budgets", headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                                 json={"year": 2026, "measure_id": "s2-transformation", **body})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _reviewed(client: httpx.AsyncClient, ent: dict[str, str], reviewer: dict[str, str], project: str) -> dict[str, Any]:
    app = await created(client, ent, S2, "s2-transformation", project)
    app = await step(client, ent, app, "submit")
    return await step(client, reviewer, app, "review", {"inputs": OFFICIAL})


async def test_an_approval_reserves_each_sources_share_and_paying_and_clawing_back_move_it(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10))
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approver = stack.issuer.headers(["city_officer"], sub="officer-b")
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        city = await _budget(client, finance, fund_source="city", amount_fen=100 * WAN, share_bp=6_000, document="穗财 2026-1")
        # bad input: a district's budget names its district; only one budget per source, measure and year
        await _budget(client, finance, 422, fund_source="district", amount_fen=WAN, share_bp=4_000)
        await _budget(client, finance, 409, fund_source="city", amount_fen=WAN, share_bp=6_000, document="dup")
        await _budget(client, ent, 403, fund_source="central", amount_fen=WAN)
        app = await _reviewed(client, ent, reviewer, "proj-1")
        # the shares do not make the whole yet: the approval waits for the finance side's split
        refused = await step(client, approver, app, "approve", status=409)
        assert refused["code"] == "budget_split_incomplete", refused
        district = await _budget(client, finance, fund_source="district", district="baiyun", amount_fen=8 * WAN, share_bp=4_000)
        # 20万 splits 12万 city / 8万 district: the district's 8万 is exactly used
        approved = await step(client, approver, app, "approve")
        assert approved["amount_fen"] == 20 * WAN
        listed = (await client.get(f"{API}/budgets", headers=finance, params={"year": 2026})).json()
        use = {b["fund_source"]: (b["reserved_fen"], b["remaining_fen"]) for b in listed["items"]}
        assert use == {"city": (12 * WAN, 88 * WAN), "district": (8 * WAN, 0)}
        one = (await client.get(f"{API}/budgets/{district['id']}", headers=finance)).json()
        assert [(e["kind"], e["amount_fen"], e["application_id"]) for e in one["entries"]] == [("reserve", 8 * WAN, app["id"])]
        # a district officer sees its district's budget, not the city's; an enterprise none
        officer = stack.issuer.headers(["district_officer"], district="baiyun")
        assert [b["fund_source"] for b in (await client.get(f"{API}/budgets", headers=officer)).json()["items"]] == ["district"]
        assert (await client.get(f"{API}/budgets/{city['id']}", headers=officer)).status_code == 404
        assert (await client.get(f"{API}/budgets", headers=ent)).status_code == 403
        # a second award finds the district's budget exhausted
        second = await _reviewed(client, ent, reviewer, "proj-2")
        refused = await step(client, approver, second, "approve", status=409)
        assert refused["code"] == "budget_exhausted" and refused["budgets"][0]["fund_source"] == "district", refused
        # never set below what is committed; raised, the second award goes through
        put = await client.put(f"{API}/budgets/{district['id']}", headers={**finance, "If-Match": '"1"'},
                               json={"amount_fen": 7 * WAN, "share_bp": 4_000})
        assert put.status_code == 412, put.text
        current = (await client.get(f"{API}/budgets/{district['id']}", headers=finance))
        put = await client.put(f"{API}/budgets/{district['id']}", headers={**finance, "If-Match": current.headers["etag"]},
                               json={"amount_fen": 7 * WAN, "share_bp": 4_000})
        assert put.status_code == 409 and put.json()["code"] == "budget_below_commitments", put.text
        put = await client.put(f"{API}/budgets/{district['id']}", headers={**finance, "If-Match": current.headers["etag"]},
                               json={"amount_fen": 20 * WAN, "share_bp": 4_000})
        assert put.status_code == 200, put.text
        await step(client, approver, second, "approve")
    engine = create_engine(settings.database_url)
    payer = Actor(id="fin-1", org="finance-bureau", roles=frozenset({"finance"}))
    async with session_factory(engine)() as s:
        async with s.begin():
            paid = await uc.consume(s, payer, app["id"], 10 * WAN, "pay-1")
            assert sorted(p["amount_fen"] for p in paid) == [4 * WAN, 6 * WAN]
            returned = await uc.release(s, payer, app["id"], 5 * WAN, "claw-1")
            assert sum(p["amount_fen"] for p in returned) == 5 * WAN
        rows = {r["fund_source"]: r for r in (await s.execute(select(budgets))).mappings()}
        assert (rows["city"]["reserved_fen"], rows["city"]["paid_fen"]) == (18 * WAN, 3 * WAN)
        assert (rows["district"]["reserved_fen"], rows["district"]["paid_fen"]) == (12 * WAN, 2 * WAN)
        types = [r.type.rsplit(".", 3)[-3:-1] for r in (await s.execute(select(outbox.c.type).order_by(outbox.c.seq)))]
        assert types.count(["budget", "reserved"]) == 4 and types.count(["budget", "exhausted"]) == 1, types
        actions = {r.action for r in (await s.execute(select(audit_log.c.action)))}
        assert {"funding_budget.create", "funding_budget.reserve", "funding_budget.consume", "funding_budget.release"} <= actions
    await engine.dispose()


async def test_parallel_approvals_never_overspend_a_budget(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10))
    orgs = [(f"ent-{n}", "enterprise", "baiyun") for n in range(6)]
    await seed(settings.database_url, *orgs, levels={o[0]: 2 for o in orgs})
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approvers = [stack.issuer.headers(["city_officer"], sub=f"officer-{n}") for n in ("b", "c", "d")]
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        await _budget(client, finance, fund_source="city", amount_fen=50 * WAN)
        reviewed = [await _reviewed(client, stack.issuer.headers(["enterprise"], org=o[0]), reviewer, f"p-{o[0]}") for o in orgs]

        async def one(n: int, app: dict[str, Any]) -> httpx.Response:
            return await client.post(f"{API}/applications/{app['id']}/approve",
                                     headers={**approvers[n % 3], "If-Match": f'"{app["version"]}"'})

        answers = await asyncio.gather(*(one(n, a) for n, a in enumerate(reviewed)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200, 200, 409, 409, 409, 409], statuses
        assert {r.json()["code"] for r in answers if r.status_code == 409} == {"budget_exhausted"}
        listed = (await client.get(f"{API}/budgets", headers=finance)).json()["items"]
        assert [(b["reserved_fen"], b["remaining_fen"]) for b in listed] == [(40 * WAN, 10 * WAN)]
        awarded = (await client.get(f"{API}/awards", headers=finance)).json()
        assert sum(a["amount_fen"] for a in awarded["items"]) == 40 * WAN
