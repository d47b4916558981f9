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
from services.registry.tests.selection_kit import World, if_match
from sihua_shared.bus import stream_name
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

from .helpers import spec_of

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
                      approve_status: int = 200, **inputs: Any) -> dict[str, Any]:
    """Created and submitted by the applicant, reviewed by one city officer, approved by another."""
    f = five.funding
    app = ok(await f.post(f"{FUNDING}/applications", headers={**applicant, **idem()}, json={
        "policy_id": policy, "measure_id": measure, "project_id": project, "inputs": inputs}), 201)
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


async def paid(five: Five, app: dict[str, Any], tranche: str, amount_fen: int | None = None) -> dict[str, Any]:
    """A payment order of one tranche, ordered and confirmed paid by finance."""
    body: dict[str, Any] = {"payee_name": "收款企业", "payee_account": ACCOUNT, "tranche": tranche}
    if amount_fen is not None:
        body["amount_fen"] = amount_fen
    order = ok(await five.funding.post(f"{FUNDING}/applications/{app['id']}/payment-orders",
                                       headers={**five.finance, **idem()}, json=body), 201)
    assert order["payee_account"] == "****" + ACCOUNT[-4:]
    done: dict[str, Any] = ok(await five.funding.post(f"{FUNDING}/payment-orders/{order['id']}/paid",
                                                      json={"bank_reference": f"BK-{order['id'][:8]}"},
                                                      headers={**five.finance, **etag(order)}))
    assert done["state"] == "paid"
    return done


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
        found = {}
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            envelope = json.loads((await js.get_msg(name, seq)).data)
            found[envelope["id"]] = envelope
        return found
    finally:
        await nc.close()
