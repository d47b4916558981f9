"""Issue 12's "done means", in one test through the HTTP APIs with the facts on NATS and the worker running: an
enterprise's baseline assessment yields explained recommendations for its weakest scenes, visible to it and to the
provider it consented to; a cluster body opens a group purchase, the enterprise enrols, delivery is recorded and the
enterprise rates the product; two key platforms publish a joint solution after both confirm, and one files its
annual work plan."""

from __future__ import annotations

import uuid
from typing import Any

from catalog.main import create_app
from catalog.spec import SPEC
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import facts_on_nats

from .kit import API, DAY, KEY_PLATFORM, OTHER_PROVIDER, Review, ok, publish_facts, title, world
from .matching_kit import (
    CLUSTER_BODY,
    ENTERPRISE,
    RATING,
    assessment,
    cluster_member,
    consent,
    enterprise,
    group_purchase_body,
    organisation,
)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def test_recommend_buy_together_rate_and_build_solutions(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    await stack.create_streams("registry", "diagnosis")
    app = create_app(settings)
    async with running_worker(SPEC, settings) as worker, service_client(app) as client:
        facts = [*world(), (registry_facts.TITLE_GRANTED, title(KEY_PLATFORM, 3, "title-kp-1"), 1), enterprise(),
                 consent(), organisation(CLUSTER_BODY, "cluster_body", 40), cluster_member()]
        await publish_facts(stack, facts)

        async def arrived() -> bool:
            return sum(r.counts["processed"] for r in worker.runners) >= len(facts)

        await eventually(arrived, timeout=30)
        review = Review(client, stack)
        created = await review.create()
        await review.through_review(created["id"])
        issuer = stack.issuer
        ent = issuer.headers(["enterprise"], sub="acct-ent", org=ENTERPRISE)

        # 1. the baseline assessment (diagnosis's fact on NATS) yields explained recommendations
        await publish_facts(stack, [assessment("assess-baseline")])
        reco_url = f"{API}/enterprises/{ENTERPRISE}/recommendations"

        async def recommended() -> Any:
            response = await client.get(reco_url, headers=ent)
            return response.json() if response.status_code == 200 else None

        reco = await eventually(recommended, timeout=30)
        assert reco["assessment_id"] == "assess-baseline" and reco["weakest_scenes"] == ["S05", "S09"]
        assert [i["product_id"] for i in reco["items"]] == [created["id"]]
        assert reco["items"][0]["explanation"].startswith(
            "计划排程 当前为一级；企业整体为一级，达到二级需 6 个场景达到二级，其中 3 个为约束性场景")
        assert ok(await client.get(reco_url, headers=review.provider))["id"] == reco["id"]  # consented
        assert (await client.get(reco_url, headers=issuer.headers(["provider"], org=OTHER_PROVIDER))).status_code == 404

        # 2. group purchase: opened, enrolled, closed, delivered; then the adopter rates the product
        cluster = issuer.headers(["cluster_body"], sub="acct-cb", org=CLUSTER_BODY)
        opened = ok(await client.post(f"{API}/group-purchases", json=group_purchase_body(created["id"]),
                                      headers={**cluster, **_key()}), 201)
        one = f"{API}/group-purchases/{opened['id']}"
        ok(await client.post(f"{one}/enrolments", headers={**ent, **_key()}), 201)
        current = await client.get(one, headers=cluster)
        ok(await client.post(f"{one}/close", headers={**cluster, "If-Match": current.headers["etag"]}))
        delivered = ok(await client.post(f"{one}/deliveries", json={"enterprise_id": ENTERPRISE},
                                         headers={**cluster, **_key()}), 201)
        assert delivered["state"] == "closed" and delivered["enrolments"][0]["delivered_on"] == DAY.isoformat()
        rated = ok(await client.post(f"{API}/products/{created['id']}/ratings", json=RATING, headers={**ent, **_key()}), 201)
        assert rated["score"] == 4

        # 3. two key platforms publish a joint solution after both confirm; one files its annual work plan
        partner = issuer.headers(["provider"], sub="acct-kp", org=KEY_PLATFORM)
        solution = ok(await client.post(f"{API}/solutions", json={
            "title": "定制家居柔性排产解决方案", "sector": "custom_furniture", "summary": "订单到排产到车间看板的一体化方案",
            "product_ids": [created["id"]], "partner_organisation_ids": [KEY_PLATFORM]}, headers={**review.provider, **_key()}), 201)
        step = f"{API}/solutions/{solution['id']}"
        waiting = ok(await client.post(f"{step}/publish", headers={**review.provider, "If-Match": '"1"'}))
        assert waiting["state"] == "awaiting_partners"
        assert ok(await client.get(f"{API}/solutions", headers=ent))["total"] == 0  # not published yet
        published = ok(await client.post(f"{step}/confirm", headers={**partner, "If-Match": '"2"'}))
        assert published["state"] == "published" and list(published["confirmations"]) == [KEY_PLATFORM]
        assert ok(await client.get(f"{API}/solutions", headers=ent))["total"] == 1
        plan = ok(await client.post(f"{API}/work-plans", json={"year": 2026, "targets": [
            {"sector": "custom_furniture", "enterprises_to_serve": 50, "products_to_apply": 3}]},
            headers={**review.provider, **_key()}), 201)
        assert plan["results"] == [{"sector": "custom_furniture", "enterprises_served": 1, "products_applied": 1}]

        wanted = {"recommendation.issued", "group_purchase.opened", "group_purchase.enrolled", "group_purchase.closed",
                  "group_purchase.delivered", "product.rated", "solution.published", "work_plan.filed"}

        async def published_all() -> Any:
            types = {".".join(f["type"].split(".")[-3:-1]) for f in await facts_on_nats(stack, "catalog")}
            return types if wanted <= types else None

        await eventually(published_all, timeout=30)
    on_nats = {".".join(f["type"].split(".")[-3:-1]): f["data"] for f in await facts_on_nats(stack, "catalog")}
    assert on_nats["recommendation.issued"]["items"][0]["product_id"] == created["id"]
    assert on_nats["group_purchase.delivered"]["enterprise_id"] == ENTERPRISE
    assert on_nats["solution.published"]["partner_organisation_ids"] == [KEY_PLATFORM]
