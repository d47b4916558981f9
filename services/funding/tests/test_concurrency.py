"""Concurrent approvals on real HTTP (uvicorn on a loopback port, parallel requests): the ledger never breaks a
cumulative cap, the three-year rule or no-double-application, and two officials clicking at once award once."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from funding.adapters.funding_tables import awards
from funding.main import create_app
from sihua_shared.db import create_engine, session_factory
from sihua_shared.testing.harness import Stack, served_app

from .kit import API, WAN, created, seed, step

S2 = "gz-s2-sme-pilot"


async def _ledger(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        rows = [dict(r) for r in (await s.execute(select(awards))).mappings()]
    await engine.dispose()
    return rows


async def _approve_all(base: str, apps: list[dict[str, Any]], approvers: list[dict[str, str]]) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def one(n: int, app: dict[str, Any]) -> int:
            headers = {**approvers[n % len(approvers)], "If-Match": f'"{app["version"]}"'}
            return (await client.post(f"{API}/applications/{app['id']}/approve", headers=headers)).status_code

        return list(await asyncio.gather(*(one(n, a) for n, a in enumerate(apps))))


async def test_parallel_approvals_keep_the_cumulative_cap_and_award_once(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10))
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approvers = [stack.issuer.headers(["city_officer"], sub=f"officer-{n}") for n in ("b", "c")]
    official = {"approved_investment_fen": 40 * WAN, "verified_actual_investment_fen": 40 * WAN, "batch_rate": "50%"}
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        reviewed = []
        for n in range(8):  # eight projects of 20万 each against the 二级 cap of 60万 over the enterprise's projects
            app = await created(client, ent, S2, "s2-transformation", f"proj-{n}")
            app = await step(client, ent, app, "submit")
            reviewed.append(await step(client, reviewer, app, "review", {"inputs": official}))
        assert {a["computed_amount_fen"] for a in reviewed} == {20 * WAN}
        statuses = await _approve_all(base, reviewed, approvers)
        assert sorted(statuses) == [200, 200, 200, 409, 409, 409, 409, 409], statuses
        # two officials clicking at once on one reviewed application, five times each: one award
        app = await created(client, ent, S2, "s2-digital-loan", "loan-1", loan_contract_amount_fen=1_000 * WAN,
                            actual_interest_paid_fen=40 * WAN, interest_period_start="2026-01-01")
        app = await step(client, ent, app, "submit")
        app = await step(client, reviewer, app, "review", {"inputs": {}})
        clicks = await _approve_all(base, [app] * 10, approvers)
        assert clicks.count(200) == 1 and set(clicks) <= {200, 409, 412}, clicks
    ledger = await _ledger(settings.database_url)
    transformation = [a for a in ledger if a["measure_id"] == "s2-transformation"]
    assert sum(a["amount_fen"] for a in transformation) == 60 * WAN
    assert [a["amount_fen"] for a in ledger if a["measure_id"] == "s2-digital-loan"] == [30 * WAN]


async def test_parallel_approvals_keep_the_three_year_rule_and_parallel_submissions_no_double_application(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2025, 6, 1))
    await seed(settings.database_url, ("plat-1", "platform", "tianhe"), ("ent-1", "enterprise", "baiyun"),
               titles={"plat-1": ("national_cross_industry_iiot", "national_specialised_iiot")})
    plat = stack.issuer.headers(["provider"], org="plat-1")
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approvers = [stack.issuer.headers(["city_officer"], sub=f"officer-{n}") for n in ("b", "c")]
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        reviewed = []
        for n, (policy, measure) in enumerate([("gz-s1-digital-transformation", "s1-iiot-platform"),
                                               ("gz-s0-sihua-platforms", "s0-honours")] * 3):
            app = await created(client, plat, policy, measure, f"honour-{n}")
            app = await step(client, plat, app, "submit")
            official = {"proposed_fen": 300 * WAN, "proposal_reason": "国家级平台"} if measure == "s0-honours" else {}
            reviewed.append(await step(client, reviewer, app, "review", {"inputs": official}))
        statuses = await _approve_all(base, reviewed, approvers)
        assert statuses.count(200) == 1 and statuses.count(409) == 5, statuses
        # two measures that may not combine, submitted at once for one project: one goes through
        chain = await created(client, ent, "gz-s1-digital-transformation", "s1-chain", "proj-x", project_total_fen=100 * WAN)
        g5 = await created(client, ent, "gz-s1-digital-transformation", "s1-5g", "proj-x", project_total_fen=100 * WAN)
        results = await asyncio.gather(*(client.post(f"{API}/applications/{a['id']}/submit",
                                                     headers={**ent, "If-Match": f'"{a["version"]}"'}) for a in (chain, g5)))
        assert sorted(r.status_code for r in results) == [200, 409]
    honours = [a for a in await _ledger(settings.database_url) if a["award_group"] == "iiot-honours"]
    assert len(honours) == 1
