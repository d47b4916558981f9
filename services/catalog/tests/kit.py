"""What the catalog tests share: the facts other services would send (registry organisations, titles, experts,
relationships; the diagnosis edition in force), applied through the service's own reactions or published on NATS,
a product as a provider describes it, and the HTTP steps of an admission review."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from catalog.spec import SPEC
from sihua_shared.contracts import diagnosis as diagnosis_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import EventPayload, EventSpec, new_event
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack

API = "/api/catalog/v1"
DAY = date(2026, 5, 10)  # the business date the tests pin (titles are valid on it)
PROVIDER, OTHER_PROVIDER, KEY_PLATFORM, RELATED, THIRD_PARTY = "prov-1", "prov-2", "kp-1", "rel-1", "tp-1"
EXPERTS = ("exp-a", "exp-b", "exp-c", "exp-d")
CONFLICTED = "exp-d"  # works for an organisation related to the provider: never on its panel
TITLE = "title-prov-1"
SCENES = [("S01", "产品设计"), ("S05", "计划排程"), ("S09", "设备管理")]

Fact = tuple[EventSpec[Any], EventPayload, int]
PDF = ("产品手册.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")


def organisation(org_id: str, kind: str, n: int, *, district: str = "huangpu", name: str | None = None,
                 verification: str | None = None) -> Fact:
    return (registry_facts.ORGANISATION_REGISTERED, registry_facts.OrganisationRegistered(
        organisation_id=org_id, uscc=make_uscc(300 + n), name=name or f"{org_id} 科技有限公司", kind=kind,  # type: ignore[arg-type]
        district=district, verification=verification), 1)  # type: ignore[arg-type]


def title(org_id: str, n: int, title_id: str = TITLE, kind: str = "key_platform") -> registry_facts.TitleGranted:
    return registry_facts.TitleGranted(
        title_id=title_id, title_number=f"GZSH-KP-2026-{n:04d}", kind=kind, name_zh="广州市四化赋能重点平台",  # type: ignore[arg-type]
        organisation_id=org_id, uscc=make_uscc(300 + n), valid_from=DAY - timedelta(days=30), valid_until=DAY + timedelta(days=700))


def revocation(org_id: str, n: int, title_id: str = TITLE) -> registry_facts.TitleRevoked:
    return registry_facts.TitleRevoked(
        title_id=title_id, title_number=f"GZSH-KP-2026-{n:04d}", kind="key_platform", organisation_id=org_id,
        uscc=make_uscc(300 + n), reason="年度评价不合格", revoked_on=DAY, revoked_by="evaluation")


def expert(expert_id: str, org_id: str | None) -> Fact:
    return (registry_facts.EXPERT_PROFILE_SET, registry_facts.ExpertProfileSet(
        expert_account_id=expert_id, display_name=f"{expert_id}专家", organisation_id=org_id, fields=["智能制造"], version=1), 1)


def edition() -> Fact:
    return (diagnosis_facts.EDITION_ACTIVATED, diagnosis_facts.EditionActivated(
        edition_id="2024", version_id="2024@3f2a9c1b0d4e", content_hash="3f2a9c1b0d4e" + "0" * 52,
        title="中小企业数字化水平评测指标（2024年版）", activated_by_account_id="system", shipped=True,
        scenes=[diagnosis_facts.EditionScene(scene_id=s, name=n, constrained=False) for s, n in SCENES]), 1)


def world() -> list[Fact]:
    """A verified key platform offering products, another provider, the key platform whose interface products are
    verified with, an organisation related to the provider, the third party, four experts (one conflicted), the
    edition in force."""
    return [
        organisation(PROVIDER, "platform", 1, name="广州智造云科技有限公司"),
        organisation(OTHER_PROVIDER, "provider", 2, district="baiyun"),
        organisation(KEY_PLATFORM, "platform", 3, name="广州工业互联网平台有限公司"),
        organisation(RELATED, "enterprise", 4),
        organisation(THIRD_PARTY, "third_party", 5),
        (registry_facts.TITLE_GRANTED, title(PROVIDER, 1), 1),
        (registry_facts.RELATIONSHIP_DECLARED, registry_facts.RelationshipDeclared(
            relationship_id="rel-a", organisation_a_id=PROVIDER, organisation_b_id=RELATED, kind="shareholding",
            declared_on=DAY - timedelta(days=60)), 1),
        *(expert(e, None) for e in EXPERTS[:-1]),
        expert(CONFLICTED, RELATED),
        edition(),
    ]


def _reactions(spec: EventSpec[Any]) -> list[Any]:
    return [r.handler for s in SPEC.subscriptions for r in s.reactions if r.spec.type == spec.type]


async def apply_facts(database_url: str, facts: list[Fact]) -> None:
    """Apply facts through the service's own reactions, as its worker would (no NATS)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for spec, payload, version in facts:
                envelope = new_event(spec, payload, subject="s", aggregate_version=version)
                for handler in _reactions(spec):
                    await handler(session, envelope, payload)
    finally:
        await engine.dispose()


async def publish_facts(stack: Stack, facts: list[Fact]) -> None:
    """Publish facts on NATS as their producers would."""
    nc = await stack.servers.connect("catalog-test-facts")
    try:
        js = nc.jetstream()
        for spec, payload, version in facts:
            event = new_event(spec, payload, subject="s", aggregate_version=version)
            await js.publish(spec.subject(stack.namespace), json.dumps(event.model_dump(mode="json")).encode(),
                             headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()


def product(name: str = "智能排产云", price_fen: int = 1_980_000, **overrides: Any) -> dict[str, Any]:
    return {
        "name": name, "summary": "面向定制家居企业的轻量级生产排产 SaaS",
        "description": "按订单自动生成生产计划，支持插单、设备产能约束与车间看板，一周上线。",
        "product_type": "saas", "business_links": ["manufacturing", "management"], "scenes": ["S05"],
        "sectors": ["custom_furniture"], "deployment": "cloud", "interfaces": ["OPC UA", "RESTful API"],
        "packages": [{"code": "basic", "name": "基础版", "price_fen": price_fen, "unit": "per_year"},
                     {"code": "pro", "name": "专业版", "price_fen": 4_800_000, "unit": "per_year"}],
        "delivery_days": 7, "reference_customers": ["广州某定制家居有限公司"], **overrides,
    }


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


class Review:
    """The HTTP steps of an admission review, for one client and the test's tokens."""

    def __init__(self, client: httpx.AsyncClient, stack: Stack) -> None:
        self.client = client
        issuer = stack.issuer
        self.provider = issuer.headers(["provider"], sub="acct-prov", org=PROVIDER)
        self.city = issuer.headers(["city_officer"], sub="acct-city")
        self.third_party = issuer.headers(["third_party"], sub="acct-tp", org=THIRD_PARTY)
        self.experts = {e: issuer.headers(["expert"], sub=e) for e in EXPERTS}

    async def create(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return ok(await self.client.post(f"{API}/products", json=body or product(),
                                         headers={**self.provider, "Idempotency-Key": str(uuid.uuid4())}), 201)

    async def step(self, product_id: str, action: str, headers: dict[str, str], reasons: list[str] | None = None,
                   status: int = 200) -> dict[str, Any]:
        current = await self.client.get(f"{API}/products/{product_id}", headers=self.city)
        response = await self.client.post(f"{API}/products/{product_id}/steps", json={"action": action, "reasons": reasons or []},
                                          headers={**headers, "If-Match": current.headers["etag"]})
        return ok(response, status)

    async def through_review(self, product_id: str, points: int = 8) -> dict[str, Any]:
        """Submitted, formally checked, scored by the drawn panel, admitted."""
        await self.step(product_id, "submit", self.provider)
        await self.step(product_id, "start_formal_check", self.city)
        await self.step(product_id, "pass_formal_check", self.city)
        panel = ok(await self.client.get(f"{API}/products/{product_id}/panel", headers=self.city))
        for member in panel["members"]:
            scores = {c["code"]: points for c in panel["rubric"]["criteria"]}
            ok(await self.client.put(f"{API}/products/{product_id}/scores", json={"scores": scores, "comment": "同意入库"},
                                     headers=self.experts[member["expert_id"]]))
        return await self.step(product_id, "admit", self.city)


async def seed(stack: Stack, client: httpx.AsyncClient, url: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """A product of the home provider admitted at version 1, with a change request (version 2) in expert review;
    a brochure; an adaptation record."""
    await apply_facts(url, world())
    review = Review(client, stack)
    created = await review.create()
    brochure = ok(await client.post(f"{API}/products/{created['id']}/files", headers=review.provider,
                                    files={"file": (PDF[0], PDF[1], "application/pdf")}), 201)
    await review.through_review(created["id"])
    record = ok(await client.post(f"{API}/products/{created['id']}/adaptations", headers=review.third_party, json={
        "target_kind": "platform", "target_ref": KEY_PLATFORM, "target_name": "开放接口", "tested": "数据同步",
        "cases": [{"name": "订单下发", "result": "passed"}], "valid_until": "2027-05-09"}), 201)
    current = await client.get(f"{API}/products/{created['id']}", headers=review.provider)
    ok(await client.post(f"{API}/products/{created['id']}/versions", json=product(price_fen=1_500_000),
                         headers={**review.provider, "If-Match": current.headers["etag"]}), 201)
    for action in ("submit", "start_formal_check", "pass_formal_check"):
        await review.step(created["id"], action, review.provider if action == "submit" else review.city)
    panel = ok(await client.get(f"{API}/products/{created['id']}/panel", headers=review.city))
    from .matching_kit import seed_matching  # matching, group purchase, ratings, solutions

    extra_params = await seed_matching(stack, client, url, created["id"])
    issuer = stack.issuer
    actors = {
        "enterprise": issuer.headers(["enterprise"], org="ent-1"),
        "provider": review.provider,
        "expert": review.experts[panel["members"][0]["expert_id"]],
        "district_officer": issuer.headers(["district_officer"], district="huangpu"),
        "city_officer": review.city,
        "third_party": issuer.headers(["third_party"], sub="acct-tp", org=THIRD_PARTY),
        "cluster_body": issuer.headers(["cluster_body"], org="cluster-body-1"),
        "finance": issuer.headers(["finance"], org="finance-bureau"),
        "auditor": issuer.headers(["auditor"]),
        "service": issuer.headers(["service"]),
        "provider@other": issuer.headers(["provider"], org=OTHER_PROVIDER),
        "expert@other": issuer.headers(["expert"], sub=CONFLICTED),
        "district_officer@other": issuer.headers(["district_officer"], district="baiyun"),
        "district_officer@unbound": issuer.headers(["district_officer"]),
    }
    params = {"product_id": created["id"], "number": "1", "file_id": brochure["id"], "record_id": record["id"]}
    params |= extra_params
    return params, actors
