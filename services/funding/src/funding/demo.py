"""Funding's part of the demo of ``make run`` (``sihua_shared.demo``), through funding's api on a pinned business
date: a transformation project from contract to acceptance, its S2 subsidy reviewed and approved by two people, paid
and reconciled; a second project left in progress for a newcomer to finish (README)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sihua_shared.demo.kit import Demo

WAN = 1_000_000  # 1万元 in fen
DEMO_ACCOUNT = "6222020200112233445"  # the payee's bank account (stored encrypted, shown masked)


async def _step(demo: Demo, project: dict[str, Any], action: str, as_: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = await demo.post("funding", f"/projects/{project['id']}/{action}", as_, if_match=project, json=body)
    return answer


async def contracted(demo: Demo, enterprise: str, number: str, day: date, percent: int) -> dict[str, Any]:
    """The enterprise contracts the traction unit for its scheduling SaaS; the third party approves the investment;
    the unit reports ``percent`` progress."""
    demo.on(day, "funding")
    body = {"traction_unit_id": demo.ids["traction"], "contract_number": number, "contract_amount_fen": 40 * WAN,
            "declared_investment_fen": 40 * WAN, "milestones": [{"name": "上线试运行", "due_on": (day + timedelta(days=90)).isoformat()}],
            "lines": [{"product_id": demo.ids["products"]["scheduling"], "version": 1, "package_code": "pro", "quantity": 5,
                       "unit_price_fen": 3_960_000},
                      {"product_id": demo.ids["products"]["scheduling"], "version": 1, "package_code": "basic", "quantity": 10,
                       "unit_price_fen": 1_980_000}]}
    project = await demo.until("funding to know the pilot enterprise, the unit's title and the admitted product",
                               lambda: demo.post("funding", "/projects", enterprise, key=True, json=body))
    project = await _step(demo, project, "submit", enterprise)
    demo.on(day + timedelta(days=7), "funding")
    project = await _step(demo, project, "investment", "demo.assessor", {"approved_investment_fen": 38 * WAN})
    demo.on(day + timedelta(days=40), "funding")
    return await _step(demo, project, "progress", "demo.traction",
                       {"percent": percent, "milestone": "上线试运行", "text": "排产系统上线试运行，车间看板接入"})


async def first_project(demo: Demo, day: date) -> None:
    """The furniture enterprise's project, to its completion (the post-transformation assessment follows in diagnosis)."""
    project = await contracted(demo, "demo.furniture", "HT-2025-001", day, 60)
    demo.on(day + timedelta(days=60), "funding")
    project = await _step(demo, project, "findings", "demo.assessor", {"text": "监理：进度符合合同约定，排产模块已上线"})
    demo.on(day + timedelta(days=100), "funding")
    project = await _step(demo, project, "complete", "demo.traction")
    demo.ids["first_project"] = project["id"]


async def budget(demo: Demo, year: int) -> None:
    await demo.post("funding", "/budgets", "demo.finance", key=True, json={
        "year": year, "measure_id": "s2-transformation", "fund_source": "city", "amount_fen": 500 * WAN})


async def accepted_paid(demo: Demo, day: date) -> None:
    """Acceptance in the year's batch (after the on-site post-transformation assessment), the S2 subsidy reviewed by
    one official and approved by another, ordered and paid, and the reconciliation balanced."""
    demo.on(day, "funding")
    await budget(demo, day.year)
    batch = await demo.post("funding", "/acceptance-batches", "demo.city", json={
        "name": f"{day.year}年第二批改造项目验收", "year": day.year, "closes_on": date(day.year, 12, 31).isoformat()})
    project = await demo.get("funding", f"/projects/{demo.ids['first_project']}", "demo.furniture")
    project = await _step(demo, project, "acceptance", "demo.furniture", {
        "batch_id": batch["id"], "invoices": [{"number": "FP-2025-0001", "amount_fen": 30 * WAN},
                                              {"number": "FP-2025-0002", "amount_fen": 7 * WAN}]})
    demo.on(day + timedelta(days=10), "funding")
    project = await demo.until("funding to know the post-transformation assessment", lambda: _step(
        demo, project, "decision", "demo.city", {"passed": True, "verified_actual_investment_fen": 37 * WAN}))
    app = await demo.post("funding", "/applications", "demo.furniture", json={
        "policy_id": "gz-s2-sme-pilot", "measure_id": "s2-transformation", "project_id": project["id"], "inputs": {}})
    app = await demo.post("funding", f"/applications/{app['id']}/submit", "demo.furniture", if_match=app, json={})
    app = await demo.post("funding", f"/applications/{app['id']}/review", "demo.city", if_match=app, json={"inputs": {
        "approved_investment_fen": project["approved_investment_fen"],
        "verified_actual_investment_fen": project["verified_actual_investment_fen"], "batch_rate": "50%"}})
    demo.on(day + timedelta(days=14), "funding")
    app = await demo.post("funding", f"/applications/{app['id']}/approve", "demo.city2", if_match=app, json={})
    demo.on(day + timedelta(days=21), "funding")
    order = await demo.post("funding", f"/applications/{app['id']}/payment-orders", "demo.finance", key=True, json={
        "payee_name": "广州示范定制家居有限公司", "payee_account": DEMO_ACCOUNT, "tranche": "whole"})
    demo.on(day + timedelta(days=24), "funding")
    await demo.post("funding", f"/payment-orders/{order['id']}/paid", "demo.finance", if_match=order,
                    json={"bank_reference": "BK-2025-000123"})
    report = await demo.get("funding", "/reconciliation", "demo.finance")
    if not report.get("balanced"):
        raise RuntimeError(f"the demo's reconciliation is not balanced: {report}")
    demo.ids["first_award"] = app["id"]


async def second_project(demo: Demo, day: date) -> None:
    """The luggage enterprise's project, contracted and in progress; this year's batch open for its acceptance."""
    project = await contracted(demo, "demo.luggage", "HT-2026-007", day, 60)
    await budget(demo, day.year)
    await demo.post("funding", "/acceptance-batches", "demo.city", json={
        "name": f"{day.year}年第四批改造项目验收", "year": day.year, "closes_on": date(day.year, 12, 31).isoformat()})
    demo.ids["second_project"] = project["id"]
