"""The registry's part of the demo of ``make run``.

``load_accounts`` (in-process use cases) registers the pilot's organisations and the demo accounts, with generated
passwords printed once. The stages (``sihua_shared.demo``, through the registry's api on a pinned business date):
expert profiles, the pilot pool, direct grants, a cluster; the first key-platform call taken through review and
publicity to its titles; the second call left in publicity with an open objection, for a newcomer to finish.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM
from sihua_shared.clock import BusinessClock
from sihua_shared.db import create_engine, session_factory
from sihua_shared.demo.kit import Demo
from sihua_shared.jurisdiction import load_jurisdiction
from sihua_shared.settings import load_settings

from .adapters.account_tables import accounts
from .adapters.tables import organisations
from .application.accounts import OPERATOR, create_account
from .application.credentials import generate_password
from .application.organisations import register_organisation

FIRST_DAY = date(2025, 3, 3)  # the demo's history starts here (the programme runs 2024–2026)

DEMO_ORGANISATIONS: list[dict[str, Any]] = [
    {"uscc": "91440101MA0000001Q", "name": "广州示范定制家居有限公司", "kind": "enterprise", "district": "baiyun",
     "sector": "custom_furniture", "industry_code": "C2110", "employees": 85, "revenue_wan": "4200.00"},
    {"uscc": "91440101MA0000002U", "name": "广州示范箱包制造有限公司", "kind": "enterprise", "district": "huadu",
     "sector": "luggage", "industry_code": "C1923", "employees": 36, "revenue_wan": "860.50"},
    {"uscc": "91440101MA0000003Y", "name": "广州工业互联网示范平台有限公司", "kind": "platform", "district": "huangpu",
     "sector": None, "industry_code": "I6450"},
    {"uscc": "91440101MA00000042", "name": "广州智造服务示范平台有限公司", "kind": "platform", "district": "tianhe",
     "sector": None, "industry_code": "I6450"},
    {"uscc": "91440101MA00000055", "name": "广州定制家居链主示范有限公司", "kind": "traction_unit", "district": "baiyun",
     "sector": "custom_furniture", "industry_code": "C2110"},
    {"uscc": "91440101MA00000068", "name": "广州数字化评估示范第三方机构有限公司", "kind": "third_party", "district": "tianhe",
     "sector": None, "industry_code": "M7520"},
    {"uscc": "91440101MA0000007B", "name": "白云区定制家居产业集群促进会（示范）", "kind": "cluster_body", "district": "baiyun",
     "sector": "custom_furniture", "industry_code": "S9522"},
]
FURNITURE, LUGGAGE, PLATFORM, PLATFORM2, TRACTION, ASSESSOR, CLUSTER = (o["uscc"] for o in DEMO_ORGANISATIONS)

# (username, display name, roles, district, the USCC of the organisation the account belongs to)
DEMO_ACCOUNTS: list[tuple[str, str, list[str], str | None, str | None]] = [
    ("demo.city", "市工业和信息化局（示范）", ["city_officer"], None, None),
    ("demo.city2", "市工业和信息化局复核人（示范）", ["city_officer"], None, None),
    ("demo.huangpu", "黄埔区工信局（示范）", ["district_officer"], "huangpu", None),
    ("demo.baiyun", "白云区工信局（示范）", ["district_officer"], "baiyun", None),
    ("demo.furniture", "定制家居企业用户（示范）", ["enterprise"], None, FURNITURE),
    ("demo.luggage", "箱包企业用户（示范）", ["enterprise"], None, LUGGAGE),
    ("demo.platform", "服务平台用户（示范）", ["provider"], None, PLATFORM),
    ("demo.platform2", "第二服务平台用户（示范）", ["provider"], None, PLATFORM2),
    ("demo.traction", "牵引单位用户（示范）", ["provider"], None, TRACTION),
    ("demo.assessor", "第三方评估机构用户（示范）", ["third_party"], None, ASSESSOR),
    ("demo.cluster", "产业集群责任主体用户（示范）", ["cluster_body"], None, CLUSTER),
    ("demo.finance", "市财政局（示范）", ["finance"], None, None),
    ("demo.expert1", "评审专家一（示范）", ["expert"], None, None),
    ("demo.expert2", "评审专家二（示范）", ["expert"], None, None),
    ("demo.expert3", "评审专家三（示范）", ["expert"], None, None),
    ("demo.expert4", "评审专家四（示范）", ["expert"], None, None),
]
EXPERTS = ("demo.expert1", "demo.expert2", "demo.expert3", "demo.expert4")
MATERIALS = [{"code": "business_licence", "name_zh": "营业执照"}, {"code": "platform_report", "name_zh": "平台建设情况报告"}]
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
CODES = ("technical_capability", "scale_strength", "service_capability")  # the key-platform rubric: 40 / 30 / 30


async def load_demo_accounts(session: AsyncSession) -> list[tuple[str, str, str]]:
    """Create the demo accounts unless they exist; answers (username, roles, password) of those created."""
    if (await session.execute(select(accounts.c.id).where(accounts.c.username == DEMO_ACCOUNTS[0][0]))).first():
        return []
    by_uscc = {uscc: org_id for uscc, org_id in await session.execute(select(organisations.c.uscc, organisations.c.id))}
    created = []
    for username, display_name, roles, district, uscc in DEMO_ACCOUNTS:
        if uscc and uscc not in by_uscc:
            continue  # a database whose organisations were not the demo's
        password = generate_password()
        profile = {
            "username": username,
            "display_name": display_name,
            "email": f"{username}@sihua.local",
            "roles": roles,
            "district": district,
            "organisation_id": by_uscc[uscc] if uscc else None,
        }
        await create_account(session, OPERATOR, profile, password)
        created.append((username, ",".join(roles), password))
    return created


def print_passwords(created: list[tuple[str, str, str]]) -> None:
    print("[sihua] demo accounts (passwords are shown this once / 密码仅显示这一次):")
    print(f"[sihua]   {'username':<16} {'roles':<18} password")
    for username, roles, password in created:
        print(f"[sihua]   {username:<16} {roles:<18} {password}")


async def load_accounts() -> tuple[int, list[tuple[str, str, str]]]:
    """The organisations (when the registry has none) and the demo accounts, through the use cases, on the demo's first
    day; answers how many organisations there were before and the accounts created (with their passwords)."""
    settings = load_settings("registry")
    engine = create_engine(settings.database_url)
    clock = BusinessClock.from_settings(settings)
    if settings.business_date is None and not settings.business_offset:
        clock.pin(FIRST_DAY)
    try:
        async with session_factory(engine, clock=clock)() as session, session.begin():
            existing = len((await session.execute(select(organisations.c.id))).all())
            if not existing:
                for profile in DEMO_ORGANISATIONS:
                    await register_organisation(session, SYSTEM, profile, jurisdiction=load_jurisdiction(settings.jurisdiction))
            created = await load_demo_accounts(session)
    finally:
        await engine.dispose()
    return existing, created


async def organisation_ids(demo: Demo) -> None:
    found = await demo.get("registry", "/organisations", "demo.city", params={"limit": 100})
    by_uscc = {o["uscc"]: o["id"] for o in found["items"]}
    for name, uscc in (("furniture", FURNITURE), ("luggage", LUGGAGE), ("platform", PLATFORM), ("platform2", PLATFORM2),
                       ("traction", TRACTION), ("assessor", ASSESSOR), ("cluster_body", CLUSTER)):
        demo.ids[name] = by_uscc[uscc]
    people = await demo.get("registry", "/accounts", "demo.city", params={"limit": 100})
    demo.ids["accounts"] = {a["username"]: a["id"] for a in people["items"]}


async def setup(demo: Demo) -> None:
    """Expert profiles, the pilot pool, direct grants (the traction unit's title; the diagnosis-provider titles), a cluster
    with the furniture enterprise as its member."""
    demo.on(FIRST_DAY, "registry")
    await organisation_ids(demo)
    for expert in EXPERTS:
        await demo.put("registry", f"/experts/{demo.ids['accounts'][expert]}/profile", "demo.city",
                       json={"fields": ["工业互联网", "智能制造"], "can_chair": True})
    for enterprise in ("furniture", "luggage"):
        await demo.post("registry", "/pilot-pool", "demo.city", key=True, json={"enterprise_id": demo.ids[enterprise]})
    for org, kind in (("traction", "traction_unit"), ("platform", "diagnosis_provider"), ("platform2", "diagnosis_provider")):
        await demo.post("registry", "/titles", "demo.city", key=True, json={
            "organisation_id": demo.ids[org], "kind": kind, "valid_from": FIRST_DAY.isoformat()})
    cluster = await demo.post("registry", "/clusters", "demo.cluster", key=True, json={
        "name": "白云区定制家居产业集群", "district": "baiyun", "sector": "custom_furniture"})
    member = await demo.post("registry", f"/clusters/{cluster['id']}/members", "demo.baiyun", key=True,
                             json={"enterprise_id": demo.ids["furniture"]})
    etag = await demo.current("registry", f"/cluster-members/{member['id']}", "demo.city")
    await demo.post("registry", f"/cluster-members/{member['id']}/approve", "demo.city", if_match=etag, json={})
    demo.ids["cluster"] = cluster["id"]


def _sheet(total: int) -> dict[str, Any]:
    return {"scores": {CODES[0]: str(total * 4 / 10), CODES[1]: str(total * 3 / 10), CODES[2]: str(total * 3 / 10)},
            "comments": {code: "材料翔实，能力突出" for code in CODES}}


async def _call(demo: Demo, title: str, category: str) -> dict[str, Any]:
    created = await demo.post("registry", "/calls", "demo.city", key=True, json={
        "kind": "key_platform", "category": category, "title": title,
        "window": {"opens_on": demo.today("registry").isoformat(), "closes_on": None}, "required_materials": MATERIALS,
        "experts_per_application": 3, "cut_rule": {"pass_mark": "60", "quota": 2}, "spread_limit": "20", "review_days": 10})
    etag = await demo.current("registry", f"/calls/{created['id']}", "demo.city")
    opened: dict[str, Any] = await demo.post("registry", f"/calls/{created['id']}/open", "demo.city", if_match=etag)
    return opened


async def _step(demo: Demo, application_id: str, path: str, as_: str) -> None:
    etag = await demo.current("registry", f"/applications/{application_id}", "demo.city")
    await demo.post("registry", f"/applications/{application_id}/{path}", as_, if_match=etag)


async def _apply(demo: Demo, call: dict[str, Any], account: str, title: str) -> str:
    created = await demo.post("registry", f"/calls/{call['id']}/applications", account, key=True, json={
        "title": title, "summary": "平台服务能力与服务案例", "content": {"users": 1200, "cases": 36}})
    for material in call["required_materials"]:
        await demo.post("registry", f"/applications/{created['id']}/attachments", account,
                        data={"material_code": material["code"]},
                        files={"file": (f"{material['name_zh']}.pdf", PDF, "application/pdf")})
    await _step(demo, created["id"], "submit", account)
    await _step(demo, created["id"], "formal-check/start", "demo.city")
    await _step(demo, created["id"], "formal-check/pass", "demo.city")
    return str(created["id"])


async def _reviewed(demo: Demo, call: dict[str, Any], applicants: list[tuple[str, str, int]]) -> list[str]:
    """Applications of (account, title, total), formally checked, assigned to panels and scored that total."""
    apps = [await _apply(demo, call, account, title) for account, title, _ in applicants]
    await demo.post("registry", f"/calls/{call['id']}/assignments", "demo.city", json={})
    by_id = {demo.ids["accounts"][e]: e for e in EXPERTS}
    for app, (_, _, total) in zip(apps, applicants, strict=True):
        panel = await demo.get("registry", f"/applications/{app}/panel", "demo.city")
        for member in panel["members"]:
            if member["status"] != "declined":
                await demo.put("registry", f"/applications/{app}/scores", by_id[member["expert_id"]], json=_sheet(total))
    return apps


async def first_call(demo: Demo) -> None:
    """2025's call for key platforms: two platforms apply, are reviewed, listed in publicity and titled."""
    demo.on(FIRST_DAY + timedelta(days=1), "registry")
    call = await _call(demo, "2025年广州市四化赋能重点平台征集（工业互联网平台）", "industrial_internet")
    await _reviewed(demo, call, [("demo.platform", "工业互联网示范平台申报", 91), ("demo.platform2", "智造服务示范平台申报", 78)])
    demo.on(FIRST_DAY + timedelta(days=7), "registry")
    await demo.post("registry", f"/calls/{call['id']}/publicity", "demo.city", json={})
    listed = await demo.get("registry", f"/publicity/{call['id']}")
    demo.on(date.fromisoformat(listed["ends_on"]) + timedelta(days=1), "registry")
    etag = await demo.current("registry", f"/publicity/{call['id']}", "demo.city")
    final = await demo.post("registry", f"/publicity/{call['id']}/finalise", "demo.city", if_match=etag)
    titles = {t["organisation_id"]: t for t in final["titles"]}
    demo.ids["first_call"] = call["id"]
    demo.ids["titles"] = {name: titles[demo.ids[name]]["id"] for name in ("platform", "platform2")}


async def second_call(demo: Demo, publicity_on: date) -> None:
    """2026's call for smart-manufacturing platforms: the traction unit's application reviewed and in publicity since
    ``publicity_on``, an objection open — a newcomer resolves it and finalises (README)."""
    demo.on(publicity_on - timedelta(days=14), "registry")
    call = await _call(demo, "2026年广州市四化赋能重点平台征集（智能制造服务平台）", "smart_manufacturing")
    [app] = await _reviewed(demo, call, [("demo.traction", "定制家居链主智能制造服务平台申报", 88)])
    demo.on(publicity_on, "registry")
    await demo.post("registry", f"/calls/{call['id']}/publicity", "demo.city", json={})
    objection = await demo.post("registry", f"/publicity/{call['id']}/objections", "demo.luggage", key=True, json={
        "application_id": app, "reasons": "该平台申报的服务案例数量与实际不符，请核查"})
    demo.ids["second_call"] = call["id"]
    demo.ids["second_call_objection"] = objection["id"]


async def load() -> int:
    """``python -m registry.demo``: the organisations and accounts only (the whole demo: ``python -m sihua_shared.demo``)."""
    existing, created = await load_accounts()
    print(f"[sihua] demo organisations: {existing or len(DEMO_ORGANISATIONS)}")
    if created:
        print_passwords(created)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(load()))
