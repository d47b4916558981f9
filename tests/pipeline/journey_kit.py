"""The five services running at once for the journey tests: each api in-process over HTTP, each worker, on the
harness's PostgreSQL and NATS; the business clock of every api moved together by the test (each app's
``state.clock``, as the selection tests pin it); the HTTP steps the journeys share. Nothing is injected: every fact
comes from the service that owns it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI

from catalog.main import create_app as create_catalog
from diagnosis.main import create_app as create_diagnosis
from evaluation.main import create_app as create_evaluation
from funding.main import create_app as create_funding
from registry.main import create_app as create_registry
from services.funding.tests.kit import payment_file
from services.registry.tests.selection_kit import World, if_match
from sihua_shared.bus import stream_name
from sihua_shared.testing.harness import Stack, delete_namespace_streams, eventually, running_worker, service_client

from .helpers import facts_on_nats, spec_of
from .test_diagnosis_flow import KIT  # the diagnosis tests' hand-built answer sets (一级, 二级)
from .test_evaluation_flow import _model

REGISTRY = "/api/registry/v1"
DIAGNOSIS = "/api/diagnosis/v1"
CATALOG = "/api/catalog/v1"
FUNDING = "/api/funding/v1"
EVALUATION = "/api/evaluation/v1"
WAN = 1_000_000  # 1万元 in fen
ACCOUNT = "6222020200112233445"
SERVICES = ("registry", "diagnosis", "catalog", "funding", "evaluation")
# the key-platform template's criteria, given to every call so the selection kit's score sheets fit
RUBRIC = {"criteria": [
    {"code": "technical_capability", "name_zh": "技术能力", "weight": 40, "max_points": "40"},
    {"code": "scale_strength", "name_zh": "规模实力", "weight": 30, "max_points": "30"},
    {"code": "service_capability", "name_zh": "服务能力", "weight": 30, "max_points": "30"},
]}
scaled_model = _model  # an evaluation model version an official uploads, scaled for a small city
MAKERS = {
    "registry": create_registry, "diagnosis": create_diagnosis, "catalog": create_catalog, "funding": create_funding,
    "evaluation": create_evaluation,
}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.method, str(response.request.url), response.text)
    return response.json()


def etag(body: dict[str, Any]) -> dict[str, str]:
    """If-Match from a body's version (funding's resources)."""
    return {"If-Match": f'"{body["version"]}"'}


def idem() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


@dataclass
class Five:
    """The five apps (clients) and workers of one test, and the headers of the people acting."""

    stack: Stack
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    settings: dict[str, Any]
    city: dict[str, str] = field(init=False)
    other_city: dict[str, str] = field(init=False)
    finance: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        issuer = self.stack.issuer
        self.city = issuer.headers(["city_officer"], sub="officer-1")
        self.other_city = issuer.headers(["city_officer"], sub="officer-2")
        self.finance = issuer.headers(["finance"], sub="finance-1", org="finance-bureau")

    @property
    def registry(self) -> httpx.AsyncClient:
        return self.clients["registry"]

    @property
    def diagnosis(self) -> httpx.AsyncClient:
        return self.clients["diagnosis"]

    @property
    def catalog(self) -> httpx.AsyncClient:
        return self.clients["catalog"]

    @property
    def funding(self) -> httpx.AsyncClient:
        return self.clients["funding"]

    @property
    def evaluation(self) -> httpx.AsyncClient:
        return self.clients["evaluation"]

    def pin(self, day: date) -> None:
        """Move every api's business clock to ``day`` (the workers keep the day their settings give)."""
        for app in self.apps.values():
            app.state.clock.pin(day)

    def today(self) -> date:
        day: date = self.apps["registry"].state.clock.today()
        return day

    def as_org(self, org_id: str, role: str = "provider", sub: str | None = None) -> dict[str, str]:
        return self.stack.issuer.headers([role], org=org_id, sub=sub or f"{role}-of-{org_id[:8]}")

    def world(self) -> World:
        w = World(self.stack, self.registry)
        w.city = self.city
        return w


@asynccontextmanager
async def another_stack(stack: Stack, name: str) -> AsyncIterator[Stack]:
    """A second namespace (and databases) on the same servers, for a second jurisdiction in the same test."""
    other = Stack(servers=stack.servers, namespace=f"t{uuid.uuid4().hex[:10]}", data_dir=stack.data_dir.parent / name)
    await other.open()
    try:
        yield other
    finally:
        other.close()
        if stack.servers.embedded_nats is None:  # leave an external NATS as the test found it
            await delete_namespace_streams(stack.servers, other.namespace)


@asynccontextmanager
async def five_services(stack: Stack, *, worker_day: date, start: date, jurisdiction: str = "guangzhou",
                        registry_overrides: dict[str, Any] | None = None) -> AsyncIterator[Five]:
    """Every api and worker of the five services. The workers' business day is ``worker_day`` (the journey's last
    day, so a title granted during the journey is valid for them); the apis start on ``start``."""
    settings = {}
    for name in SERVICES:
        extra: dict[str, Any] = {"business_date": worker_day, "jurisdiction": jurisdiction}
        if name == "registry":
            extra |= registry_overrides or {}
        if name == "funding":
            extra["payee_account_key"] = Fernet.generate_key().decode()
        settings[name] = await stack.settings(name, **extra)
    apps = {name: MAKERS[name](settings[name]) for name in SERVICES}
    async with AsyncExitStack() as running:
        clients = {name: await running.enter_async_context(service_client(apps[name])) for name in SERVICES}
        for name in SERVICES:
            await running.enter_async_context(running_worker(spec_of(name), settings[name]))
        five = Five(stack, apps, clients, settings)
        five.pin(start)
        yield five


# ---- registry: selection through a call -----------------------------------------------------------------------

async def titles_through_calls(five: Five, w: World, calls: list[tuple[dict[str, Any], str]],
                               experts: list[str]) -> dict[str, dict[str, Any]]:
    """One call per ``(call overrides, applicant)``: opened, applied to with materials, reviewed by a conflict-free
    panel (of ``experts``), scored, through publicity in working days, finalised: the applicant's title by kind."""
    opened = [await w.open_call(experts_per_application=3, cut_rule={"pass_mark": "60", "quota": 1}, rubric=RUBRIC,
                                window={"opens_on": five.today().isoformat(), "closes_on": None}, **overrides)
              for overrides, _ in calls]
    for call, (_, org) in zip(opened, calls, strict=True):
        app = await w.in_review(call, org)
        ok(await five.registry.post(f"{REGISTRY}/calls/{call['id']}/assignments", json={}, headers=five.city))
        members = {m["expert_id"] for m in (await w.panel(app["id"]))["members"]}
        assert len(members) == 3 and members <= set(experts)
        scored = await w.score_all(app["id"], [88, 90, 92])
        assert scored.json()["final_score"] == "90.00"
    five.pin(five.today() + timedelta(days=1))
    ends = []
    for call in opened:
        ok(await five.registry.post(f"{REGISTRY}/calls/{call['id']}/publicity", json={}, headers=five.city), 201)
        listed = ok(await five.registry.get(f"{REGISTRY}/publicity/{call['id']}"))  # public, no sign-in
        ends.append(date.fromisoformat(listed["ends_on"]))
    # the period runs in working days: it cannot be finalised before its end
    early = await five.registry.get(f"{REGISTRY}/publicity/{opened[0]['id']}")
    refused = await five.registry.post(f"{REGISTRY}/publicity/{opened[0]['id']}/finalise",
                                       headers={**five.city, **if_match(early)})
    assert refused.status_code == 409, refused.text
    five.pin(max(ends) + timedelta(days=1))
    granted = {}
    for call, (overrides, org) in zip(opened, calls, strict=True):
        current = await five.registry.get(f"{REGISTRY}/publicity/{call['id']}")
        final = ok(await five.registry.post(f"{REGISTRY}/publicity/{call['id']}/finalise",
                                            headers={**five.city, **if_match(current)}))
        (title,) = final["titles"]
        assert title["organisation_id"] == org and title["valid_from"] == five.today().isoformat()
        granted[overrides["kind"]] = title
    return granted


# ---- catalog: admission -----------------------------------------------------------------------------------------

def product(name: str, scenes: list[str], sectors: list[str], price_fen: int = 1_980_000) -> dict[str, Any]:
    return {
        "name": name, "summary": "面向中小制造企业的轻量级数字化 SaaS",
        "description": "按订单自动生成生产计划，支持插单、设备产能约束与车间看板，一周上线。",
        "product_type": "saas", "business_links": ["manufacturing", "management"], "scenes": scenes,
        "sectors": sectors, "deployment": "cloud", "interfaces": ["OPC UA", "RESTful API"],
        "packages": [{"code": "basic", "name": "基础版", "price_fen": price_fen, "unit": "per_year"},
                     {"code": "pro", "name": "专业版", "price_fen": 4_800_000, "unit": "per_year"}],
        "delivery_days": 7, "reference_customers": ["广州某制造有限公司"],
    }


async def admitted_product(five: Five, provider: str, body: dict[str, Any]) -> dict[str, Any]:
    """Created by the provider, submitted, formally checked, scored by its drawn panel (the registry's experts,
    known to catalog from the registry's facts) and admitted by a city officer."""
    c = five.catalog
    as_provider = five.as_org(provider)

    async def created() -> Any:  # catalog has learnt the provider (and the edition in force) from their facts
        response = await c.post(f"{CATALOG}/products", json=body, headers={**as_provider, **idem()})
        return response.json() if response.status_code == 201 else None

    made = await eventually(created, timeout=30, interval=0.3)

    async def step(action: str, headers: dict[str, str]) -> Any:
        current = await c.get(f"{CATALOG}/products/{made['id']}", headers=five.city)
        return ok(await c.post(f"{CATALOG}/products/{made['id']}/steps", json={"action": action, "reasons": []},
                               headers={**headers, "If-Match": current.headers["etag"]}))

    await step("submit", as_provider)
    await step("start_formal_check", five.city)
    await step("pass_formal_check", five.city)
    panel = ok(await c.get(f"{CATALOG}/products/{made['id']}/panel", headers=five.city))
    for member in panel["members"]:
        scores = {criterion["code"]: 8 for criterion in panel["rubric"]["criteria"]}
        ok(await c.put(f"{CATALOG}/products/{made['id']}/scores", json={"scores": scores, "comment": "同意入库"},
                       headers=five.stack.issuer.headers(["expert"], sub=member["expert_id"])))
    admitted: dict[str, Any] = await step("admit", five.city)
    assert admitted["listing"] == "listed", admitted
    return admitted


# ---- funding --------------------------------------------------------------------------------------------------------

async def application(five: Five, applicant: dict[str, str], policy: str, measure: str, project: str, *,
                      official: dict[str, Any] | None = None, facts: dict[str, Any] | None = None,
                      approve_status: int = 200, wait: bool = False, **inputs: Any) -> dict[str, Any]:
    """Created and submitted by the applicant, reviewed by one city officer, approved by another (``wait``: until
    funding has learnt the applicant from the registry's facts)."""
    f = five.funding

    async def created() -> Any:
        made = await f.post(f"{FUNDING}/applications", headers={**applicant, **idem()}, json={
            "policy_id": policy, "measure_id": measure, "project_id": project, "inputs": inputs})
        return made.json() if made.status_code == 201 or not wait else None

    app = await eventually(created, timeout=30, interval=0.3)
    assert "id" in app, app
    app = ok(await f.post(f"{FUNDING}/applications/{app['id']}/submit", json={}, headers={**applicant, **etag(app)}))
    app = ok(await f.post(f"{FUNDING}/applications/{app['id']}/review", headers={**five.city, **etag(app)},
                          json={"inputs": official or {}, "facts": facts or {}}))
    # the reviewer never approves (two people)
    same = await f.post(f"{FUNDING}/applications/{app['id']}/approve", json={}, headers={**five.city, **etag(app)})
    assert same.status_code == 403, same.text
    approved = await f.post(f"{FUNDING}/applications/{app['id']}/approve", json={},
                            headers={**five.other_city, **etag(app)})
    body: dict[str, Any] = ok(approved, approve_status)
    return body


async def ordered(five: Five, app: dict[str, Any], tranche: str, amount_fen: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"payee_name": "收款企业", "payee_account": ACCOUNT, "tranche": tranche}
    if amount_fen is not None:
        body["amount_fen"] = amount_fen
    order: dict[str, Any] = ok(await five.funding.post(f"{FUNDING}/applications/{app['id']}/payment-orders",
                                                       headers={**five.finance, **idem()}, json=body), 201)
    assert order["payee_account"] == "****" + ACCOUNT[-4:]
    return order


async def confirmed(five: Five, order: dict[str, Any]) -> dict[str, Any]:
    """Finance confirms an order paid (with the bank's reference)."""
    done: dict[str, Any] = ok(await five.funding.post(f"{FUNDING}/payment-orders/{order['id']}/paid",
                                                      json={"bank_reference": f"BK-{order['id'][:8]}"},
                                                      headers={**five.finance, **etag(order)}))
    assert done["state"] == "paid"
    return done


async def paid(five: Five, app: dict[str, Any], tranche: str, amount_fen: int | None = None) -> dict[str, Any]:
    """A payment order of one tranche, ordered and confirmed paid by finance."""
    return await confirmed(five, await ordered(five, app, tranche, amount_fen))


async def budget(five: Five, measure: str, year: int, amount_fen: int) -> dict[str, Any]:
    made: dict[str, Any] = ok(await five.funding.post(f"{FUNDING}/budgets", headers={**five.finance, **idem()}, json={
        "year": year, "measure_id": measure, "fund_source": "city", "amount_fen": amount_fen, "document": "财政预算下达文件"}),
        201)
    return made


async def all_facts(stack: Stack, producer: str) -> dict[str, dict[str, Any]]:
    """Every fact on a producer's stream in this test's namespace, by event id."""
    nc = await stack.servers.connect(f"{producer}-journey-reader")
    try:
        js = nc.jetstream()
        name = stream_name(producer, stack.namespace)
        info = await js.stream_info(name)
        found: dict[str, dict[str, Any]] = {}
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            envelope = json.loads((await js.get_msg(name, seq)).data or b"{}")
            found[envelope["id"]] = envelope
        return found
    finally:
        await nc.close()


# ---- the S2 project path (issue 14 "done means", Guangzhou) ----------------------------------------------------------

def contract(unit: str, product_id: str, number: str) -> dict[str, Any]:
    return {"traction_unit_id": unit, "contract_number": number, "contract_amount_fen": 40 * WAN,
            "declared_investment_fen": 40 * WAN, "milestones": [{"name": "上线试运行", "due_on": "2026-06-30"}],
            "lines": [{"product_id": product_id, "version": 1, "package_code": "pro", "quantity": 8,
                       "unit_price_fen": 4_800_000}]}


async def project_step(five: Five, headers: dict[str, str], project: dict[str, Any], action: str,
                       body: dict[str, Any] | None = None, status: int = 200) -> Any:
    return ok(await five.funding.post(f"{FUNDING}/projects/{project['id']}/{action}", json=body,
                                      headers={**headers, **etag(project)}), status)


async def s2_project_paid(five: Five, enterprise: str, ent: dict[str, str], *, unit: str, third: str,
                          product_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The enterprise (verified, registry-known) is enrolled in the pilot pool and contracts the titled traction unit
    for an admitted product; the third party approves the investment; the unit reports progress and completes; the
    third party's on-site post-transformation assessment reaches 二级; the acceptance batch passes; the S2
    transformation subsidy is computed with its trace, reviewed and approved by two people, paid and reconciled.
    Answers the accepted project and the paid application."""
    ok(await five.registry.post(f"{REGISTRY}/pilot-pool", json={"enterprise_id": enterprise}, headers=five.city), 201)

    async def consented() -> bool:  # diagnosis knows the third party from the registry's fact
        granted = await five.diagnosis.post(f"{DIAGNOSIS}/consents", json={"organisation_id": third}, headers=ent)
        return granted.status_code == 201

    await eventually(consented, timeout=30, interval=0.3)

    async def contracted() -> Any:  # funding knows the pool, the unit's title and the admitted version from their facts
        made = await five.funding.post(f"{FUNDING}/projects", json=contract(unit, product_id, "HT-2026-001"),
                                       headers={**ent, **idem()})
        return made.json() if made.status_code == 201 else None

    project = await eventually(contracted, timeout=30, interval=0.3)
    assert (project["state"], project["price_flagged"], project["lines"][0]["catalogue_price_fen"]) == (
        "draft", False, 4_800_000)
    as_unit, as_third = five.as_org(unit), five.as_org(third, "third_party")
    project = await project_step(five, ent, project, "submit")
    project = await project_step(five, as_third, project, "investment", {"approved_investment_fen": 38 * WAN})
    project = await project_step(five, as_unit, project, "progress", {"percent": 60, "milestone": "上线试运行",
                                                                     "text": "排产模块上线"})
    project = await project_step(five, as_unit, project, "complete")
    assert project["state"] == "completed"

    # the on-site post-transformation assessment by the third party reaches 二级 (diagnosis → funding over NATS)
    post = await KIT.assess(five.diagnosis, as_third, KIT.LEVEL2, kind="onsite", stage="post_transformation",
                            enterprise_id=enterprise)
    assert (post["level"], post["official_record"]) == (2, True)
    batch = ok(await five.funding.post(f"{FUNDING}/acceptance-batches", headers=five.city, json={
        "name": "2026年第一批验收", "year": 2026, "closes_on": (five.today() + timedelta(days=30)).isoformat()}), 201)
    project = await project_step(five, ent, project, "acceptance", {"batch_id": batch["id"], "invoices": [
        {"number": "FP-001", "amount_fen": 30 * WAN}, {"number": "FP-002", "amount_fen": 8 * WAN}]})

    async def accepted() -> Any:
        current = ok(await five.funding.get(f"{FUNDING}/projects/{project['id']}", headers=five.city))
        decided = await five.funding.post(f"{FUNDING}/projects/{project['id']}/decision", headers={
            **five.city, **etag(current)}, json={"passed": True, "verified_actual_investment_fen": 37 * WAN})
        return decided.json() if decided.status_code == 200 else None

    project = await eventually(accepted, timeout=30, interval=0.3)
    assert (project["state"], project["post_level"]) == ("accepted", 2)

    await budget(five, "s2-transformation", 2026, 100 * WAN)
    # the review takes 核定投入 and the verified actual investment from the accepted project (nobody types them)
    subsidy = await application(five, ent, "gz-s2-sme-pilot", "s2-transformation", project["id"],
                                official={"batch_rate": "50%"})
    assert subsidy["state"] == "approved" and subsidy["amount_fen"] == 185_000_00  # min(38万, 37万) × 50%
    assert subsidy["trace"]["steps"]
    replay = ok(await five.funding.get(f"{FUNDING}/applications/{subsidy['id']}/computation", headers=five.city))
    assert replay["same_as_decision"] is True
    await paid(five, subsidy, "whole")
    report = ok(await five.funding.get(f"{FUNDING}/reconciliation", headers=five.finance))
    assert report["balanced"] and [(i["application_id"], i["approved_fen"], i["paid_fen"]) for i in report["items"]] == [
        (subsidy["id"], 185_000_00, 185_000_00)]
    return project, subsidy


# ---- Zhongshan's money (S4 (四), S4 (六)) ------------------------------------------------------------------------------

TECH_INPUTS = {"equipment_software_investment_fen": 5_000 * WAN, "other_city_funded_fen": 1_000 * WAN,
               "project_total_investment_fen": 6_000 * WAN}


async def settled(five: Five, app: dict[str, Any], verified_fen: int) -> dict[str, Any]:
    """A city officer settles a tranche-paid award after acceptance on the verified actual investment."""
    done: dict[str, Any] = ok(await five.funding.post(f"{FUNDING}/applications/{app['id']}/settlement",
                                                      headers={**five.city, **idem()}, json={
        "verified_actual_investment_fen": verified_fen, "accepted_on": five.today().isoformat(),
        "payee_name": "收款企业", "payee_account": ACCOUNT}), 201)
    return done


async def ledger(five: Five, app: dict[str, Any]) -> list[tuple[str, int, int]]:
    found = ok(await five.funding.get(f"{FUNDING}/applications/{app['id']}/ledger", headers=five.finance))
    return [(e["kind"], e["amount_fen"], e["paid_fen"]) for e in found["items"]]


async def zhongshan_money(five: Five, ent: dict[str, str]) -> dict[str, Any]:
    """Three technical-transformation projects (S4 (四): 20% × (equipment + software − other city funds), 800万
    approved by two people, 30% = 240万 paid first): (a) fails its progress check, the first payment is clawed back and
    repaid, and after acceptance it is paid once in full (800万); (b) settles on a lower verified investment (3000万 →
    400万): the final tranche is 400万 − 240万, paid through the bank's XLSX payment file; (c) settles below what was
    paid (2100万 → 220万): a claw-back ``recomputed_below_paid`` of 20万, offset against the enterprise's next payment.
    Cloud vouchers (S4 (六)) of a benchmark platform's service (100%) hit the 30万元 yearly cap; the first one's payment
    is withheld for the claw-back. Reconciled balanced. Answers the applications, orders and claw-backs."""
    policy = "zs-s4-digital-intelligent"
    tech_budget = await budget(five, "s4-tech-transformation", five.today().year, 3_000 * WAN)
    techs = [await application(five, ent, policy, "s4-tech-transformation", f"zs-tt-{n}", wait=n == 0, **TECH_INPUTS)
             for n in range(3)]
    for tech in techs:
        assert (tech["amount_fen"], tech["trace"]["tranches"][0]["amount_fen"]) == (800 * WAN, 240 * WAN)
    firsts = [await paid(five, tech, "first", 240 * WAN) for tech in techs]
    assert [f["amount_fen"] for f in firsts] == [240 * WAN] * 3
    # the last payment goes through the settlement, never a plain order
    early = await five.funding.post(f"{FUNDING}/applications/{techs[0]['id']}/payment-orders", headers={
        **five.finance, **idem()}, json={"payee_name": "收款企业", "payee_account": ACCOUNT, "tranche": "final"})
    assert (early.status_code, early.json()["code"]) == (409, "settlement_required"), early.text

    # (a) the progress check fails: the whole first tranche is clawed back and repaid to the budget it came from ...
    tech = techs[0]
    claw = ok(await five.funding.post(f"{FUNDING}/applications/{tech['id']}/clawbacks", headers=five.city,
                                      json={"reason": "failed_progress_check"}), 201)
    assert (claw["amount_fen"], claw["state"]) == (240 * WAN, "open")
    repaid = ok(await five.funding.post(f"{FUNDING}/clawbacks/{claw['id']}/repayments", headers={
        **five.finance, **etag(claw)}, json={"amount_fen": 240 * WAN, "reference": "JK-2025-001"}))
    assert (repaid["state"], repaid["recovered_fen"]) == ("settled", 240 * WAN)
    # ... and after acceptance the project is paid once, in full, on the declared investment
    whole = await settled(five, tech, 5_000 * WAN)
    assert (whole["payment_order"]["tranche"], whole["payment_order"]["amount_fen"], whole["clawback"]) == (
        "final", 800 * WAN, None)
    final_a = await confirmed(five, whole["payment_order"])
    assert final_a["offset_fen"] == 0

    # (b) verified lower: recomputed (3000万 − 1000万) × 20% = 400万; the final tranche is 400万 − 240万 paid
    lower = await settled(five, techs[1], 3_000 * WAN)
    calc = lower["computation"]
    assert (calc["recomputed_fen"], calc["total_fen"], calc["net_paid_fen"], calc["remainder_fen"]) == (
        400 * WAN, 400 * WAN, 240 * WAN, 160 * WAN) and calc["clause"] == "S4 (四)"
    final_b = lower["payment_order"]
    assert (final_b["tranche"], final_b["amount_fen"]) == ("final", 160 * WAN)
    # finance imports the bank's payment file: the row marks the final tranche paid (once)
    content = payment_file([[final_b["id"], 160 * WAN, "BK-ZS-0001", five.today()]])
    files = {"file": ("银行回单.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    imported = ok(await five.funding.post(f"{FUNDING}/payment-files", headers=five.finance, files=files), 201)
    assert [(r["row"], r["status"]) for r in imported["report"]["rows"]] == [(2, "applied")]
    again = ok(await five.funding.post(f"{FUNDING}/payment-files", headers=five.finance, files=files), 201)
    assert again["repeated"] and again["id"] == imported["id"]
    orders = ok(await five.funding.get(f"{FUNDING}/payment-orders", headers=five.finance, params={"state": "paid"}))
    by_file = next(o for o in orders["items"] if o["id"] == final_b["id"])
    assert (by_file["confirmed_by"], by_file["bank_reference"]) == ("payment_file", "BK-ZS-0001")
    assert await ledger(five, techs[1]) == [("paid", 0, 240 * WAN), ("recomputed", -400 * WAN, 0), ("paid", 0, 160 * WAN)]

    # (c) verified below what was paid: (2100万 − 1000万) × 20% = 220万 < 240万 → a 20万 claw-back the rule lets offset
    below = await settled(five, techs[2], 2_100 * WAN)
    owed = below["clawback"]
    assert below["payment_order"] is None and below["computation"]["remainder_fen"] == -20 * WAN
    assert (owed["reason"], owed["amount_fen"], owed["offsettable"]) == ("recomputed_below_paid", 20 * WAN, True)
    report = ok(await five.funding.get(f"{FUNDING}/reconciliation", headers=five.finance))
    assert [d["kind"] for d in report["discrepancies"]] == ["receivable"], report

    # cloud vouchers of the benchmark platform's service: 100%, at most 30万 per enterprise in the decision's year
    vouchers = []
    for n, status in enumerate((200, 200, 409)):
        vouchers.append(await application(five, ent, policy, "s4-cloud-voucher", f"zs-voucher-{n}", facts={"benchmark": True},
                                          approve_status=status, contract_amount_fen=20 * WAN,
                                          project_total_investment_fen=20 * WAN))
    assert [v.get("amount_fen") for v in vouchers[:2]] == [20 * WAN, 10 * WAN]  # the second one capped at the 30万
    assert vouchers[2]["code"] == "nothing_to_award", vouchers[2]
    # the enterprise's next payment withholds the open claw-back (抵扣), which is then settled
    withheld = await paid(five, vouchers[0], "whole")
    assert (withheld["amount_fen"], withheld["offset_fen"]) == (20 * WAN, 20 * WAN)
    assert (await paid(five, vouchers[1], "whole"))["offset_fen"] == 0
    claws = ok(await five.funding.get(f"{FUNDING}/clawbacks", headers=five.finance))["items"]
    assert sorted((c["reason"], c["state"], c["amount_fen"], c["offset_fen"]) for c in claws) == [
        ("failed_progress_check", "settled", 240 * WAN, 0), ("recomputed_below_paid", "settled", 20 * WAN, 20 * WAN)]
    assert await ledger(five, techs[2]) == [("paid", 0, 240 * WAN), ("recomputed", -580 * WAN, 0), ("clawback_opened", 0, 0),
                                            ("clawback_offset", 0, -20 * WAN)]
    report = ok(await five.funding.get(f"{FUNDING}/reconciliation", headers=five.finance))
    assert report["balanced"], report
    # (the list: GET /budgets/{id} answers 500 once a settlement wrote `unreserve`/`restore` movements — see the report)
    (held,) = [b for b in ok(await five.funding.get(f"{FUNDING}/budgets", headers=five.finance, params={
        "measure_id": "s4-tech-transformation"}))["items"] if b["id"] == tech_budget["id"]]
    # paid and kept: 800万 (a) + 400万 (b) + 220万 (c); nothing left reserved
    assert (held["reserved_fen"], held["paid_fen"], held["remaining_fen"]) == (0, 1_420 * WAN, 1_580 * WAN), held
    return {"techs": techs, "firsts": firsts, "clawback": repaid, "below": owed, "final_b": by_file,
            "vouchers": vouchers[:2], "withheld": withheld}


MONEY_FACTS = {"payment.ordered", "payment.paid", "clawback.opened", "clawback.offset", "clawback.repaid", "clawback.settled"}


async def money_facts_on_nats(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Funding's payment and claw-back facts on NATS, by kind (``payment.paid``), once all kinds are there."""
    async def found() -> Any:
        kinds: dict[str, list[dict[str, Any]]] = {}
        for fact in await facts_on_nats(stack, "funding"):
            kind = ".".join(fact["type"].split(".")[-3:-1])
            if kind in MONEY_FACTS:
                kinds.setdefault(kind, []).append(fact["data"])
        return kinds if set(kinds) == MONEY_FACTS else None

    kinds: dict[str, list[dict[str, Any]]] = await eventually(found, timeout=20, interval=0.5)
    return kinds
