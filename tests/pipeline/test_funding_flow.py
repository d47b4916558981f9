"""Issue 14's "done means", in one test through the HTTP APIs of the five real services with the facts on NATS: a
pilot enterprise contracts a titled traction unit for an admitted product, the investment is approved, progress is
reported, the project completes, a post-transformation assessment reaches 二级, the acceptance batch passes, the S2
subsidy is computed with its trace, reviewed and approved by two people, paid and reconciled; concurrent approvals
never overspend a budget; and under Zhongshan's configuration (a second namespace) technical-transformation
projects are paid 30% and settled after acceptance (after a failed progress check and its claw-back; on a lower
verified investment, the final tranche through a payment file; below what was paid, a claw-back offset against the
next payment), vouchers hit the 30万元 yearly cap, and the reconciliation balances."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from catalog.adapters.readmodels import known_titles as catalog_titles
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually

from .helpers import rows
from .journey_kit import (
    DIAGNOSIS,
    FUNDING,
    REGISTRY,
    WAN,
    Five,
    admitted_product,
    all_facts,
    another_stack,
    budget,
    etag,
    five_services,
    idem,
    ok,
    product,
    s2_project_paid,
    zhongshan_money,
)

DAY, LAST = date(2026, 3, 10), date(2026, 6, 30)
ZS_DAY, ZS_LAST = date(2025, 6, 2), date(2025, 12, 15)


async def _organisation(five: Five, n: int, kind: str, name: str, district: str | None = "huangpu",
                        **profile: Any) -> str:
    body = {"uscc": make_uscc(600 + n), "name": name, "kind": kind, "district": district, **profile}
    return str(ok(await five.registry.post(f"{REGISTRY}/organisations", json=body, headers=five.city), 201)["id"])


SME: dict[str, Any] = {"sector": "auto_parts", "industry_code": "C3670", "employees": 85, "revenue_wan": "4200"}


async def test_s2_project_paid_and_reconciled_parallel_approvals_and_zhongshan_tranches_clawback_and_cap(
        stack: Stack) -> None:
    async with five_services(stack, start=DAY, worker_day=LAST) as five:
        platform = await _organisation(five, 1, "platform", "广州智造云平台有限公司")
        unit = await _organisation(five, 2, "traction_unit", "广州汽配数字化牵引单位有限公司")
        third = await _organisation(five, 3, "third_party", "广州试点第三方综合服务机构有限公司")
        enterprise = await _organisation(five, 4, "enterprise", "广州黄埔试点企业有限公司", **SME)
        w = five.world()
        for _ in range(3):
            await w.expert(fields=["智能制造"])
        # the traction unit titled directly by a city officer; the platform's product admitted to the catalogue
        title = ok(await five.registry.post(f"{REGISTRY}/titles", headers=five.city, json={
            "organisation_id": unit, "kind": "traction_unit", "valid_from": DAY.isoformat()}), 201)
        ok(await five.diagnosis.get(f"{DIAGNOSIS}/editions", headers=five.city))  # the shipped edition's first use

        async def title_known() -> bool:
            held = await rows(five.settings["catalog"].database_url, select(catalog_titles.c.title_id))
            return title["id"] in {t.title_id for t in held}

        await eventually(title_known, timeout=30)
        offered = await admitted_product(five, platform, product("智能排产云", ["S05"], ["auto_parts"]))
        ent = five.stack.issuer.headers(["enterprise"], org=enterprise, sub="ent-account")

        # the S2 path: contract → investment → progress → completion → on-site 二级 → acceptance → subsidy → paid
        project, subsidy = await s2_project_paid(five, enterprise, ent, unit=unit, third=third, product_id=offered["id"])
        assert project["enterprise_id"] == enterprise and subsidy["project_id"] == project["id"]

        # concurrent approvals never overspend a budget: four 30万 awards against 100万, approved in parallel
        await _parallel_approvals(five)

        async def facts() -> Any:  # the relay has published what funding committed: one S2 and three 5G awards
            types = [f["type"].split(".", 4)[-1] for f in (await all_facts(stack, "funding")).values()]
            return types if types.count("application.approved.v1") == 4 else None

        types = await eventually(facts, timeout=30)
        assert {"project.accepted.v1", "budget.reserved.v1"} <= set(types) and types.count("budget.reserved.v1") == 4, types

    async with another_stack(stack, "zhongshan") as zs, five_services(zs, start=ZS_DAY, worker_day=ZS_LAST,
                                                                       jurisdiction="zhongshan") as five:
        enterprise = await _organisation(five, 20, "enterprise", "中山市石岐五金制造有限公司", "shiqi")
        money = await zhongshan_money(five, five.stack.issuer.headers(["enterprise"], org=enterprise, sub="zs-account"))
        assert money["firsts"][0]["tranche"] == "first" and money["clawback"]["recovered_fen"] == 240 * WAN
        report = ok(await five.funding.get(f"{FUNDING}/reconciliation", headers=five.finance))
        # each award as settled, what was paid in all and what came back: (a) 240万 + 800万 paid, the first 240万
        # repaid; (b) 240万 + 160万; (c) 240万 paid, 20万 recovered by the offset
        paid = {i["application_id"]: (i["award_fen"], i["paid_fen"], i["recovered_fen"]) for i in report["items"]}
        assert [paid[t["id"]] for t in money["techs"]] == [(800 * WAN, 1_040 * WAN, 240 * WAN), (400 * WAN, 400 * WAN, 0),
                                                          (220 * WAN, 240 * WAN, 20 * WAN)], report
        assert report["balanced"]

async def _parallel_approvals(five: Five) -> None:
    applicants = [await _organisation(five, 10 + n, "enterprise", f"广州5G示范企业{n}有限公司") for n in range(4)]
    held = await budget(five, "s1-5g", 2026, 100 * WAN)
    reviewed = []
    for n, org in enumerate(applicants):
        headers = five.stack.issuer.headers(["enterprise"], org=org, sub=f"g5-{n}")

        async def created(headers: dict[str, str] = headers, n: int = n) -> Any:  # funding knows the applicant
            made = await five.funding.post(f"{FUNDING}/applications", headers={**headers, **idem()}, json={
                "policy_id": "gz-s1-digital-transformation", "measure_id": "s1-5g", "project_id": f"5g-{n}",
                "inputs": {"project_total_fen": 100 * WAN}})
            return made.json() if made.status_code == 201 else None

        app = await eventually(created, timeout=30, interval=0.3)
        app = ok(await five.funding.post(f"{FUNDING}/applications/{app['id']}/submit", json={},
                                         headers={**headers, **etag(app)}))
        reviewed.append(ok(await five.funding.post(f"{FUNDING}/applications/{app['id']}/review", json={"inputs": {}, "facts": {}},
                                                   headers={**five.city, **etag(app)})))
    approvers = [five.stack.issuer.headers(["city_officer"], sub=f"approver-{n}") for n in range(4)]

    async def approve(n: int, app: dict[str, Any]) -> httpx.Response:
        return await five.funding.post(f"{FUNDING}/applications/{app['id']}/approve", json={},
                                       headers={**approvers[n], **etag(app)})

    answers = await asyncio.gather(*(approve(n, app) for n, app in enumerate(reviewed)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"budget_exhausted"}
    after = ok(await five.funding.get(f"{FUNDING}/budgets/{held['id']}", headers=five.finance))
    assert (after["reserved_fen"], after["remaining_fen"]) == (90 * WAN, 10 * WAN)
    awards = ok(await five.funding.get(f"{FUNDING}/awards", headers=five.finance, params={"limit": 100}))["items"]
    assert sum(a["amount_fen"] for a in awards if a["measure_id"] == "s1-5g") == 90 * WAN
