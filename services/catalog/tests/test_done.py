"""Issue 11's "done means", in one test through the HTTP APIs with the facts on NATS: a verified provider submits a
product; it passes the formal check and a conflict-free expert review and is admitted; it is verified with a key
platform's interface; the public finds it by a Chinese query and by a synonym; a change request for its price is
reviewed and becomes version 2; the provider's title is revoked and the product is suspended."""

from __future__ import annotations

from typing import Any

from catalog.main import create_app
from catalog.spec import SPEC
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import facts_on_nats

from .kit import API, CONFLICTED, DAY, KEY_PLATFORM, PROVIDER, Review, ok, product, publish_facts, revocation, world


async def test_a_product_from_submission_to_suspension(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    await stack.create_streams("registry", "diagnosis")
    app = create_app(settings)
    async with running_worker(SPEC, settings) as worker, service_client(app) as client:
        facts = world()
        await publish_facts(stack, facts)
        review = Review(client, stack)

        async def facts_arrived() -> bool:
            return sum(r.counts["processed"] for r in worker.runners) >= len(facts)

        await eventually(facts_arrived, timeout=30)
        created = await review.create()
        assert created["state"] == "draft" and created["listing"] == "unlisted"

        # formal check, then a panel drawn without the expert of the provider's related organisation
        await review.step(created["id"], "submit", review.provider)
        await review.step(created["id"], "start_formal_check", review.city)
        await review.step(created["id"], "pass_formal_check", review.city)
        panel = ok(await client.get(f"{API}/products/{created['id']}/panel", headers=review.city))
        members = [m["expert_id"] for m in panel["members"]]
        assert len(members) == 3 and CONFLICTED not in members
        for member in members:
            scores = {c["code"]: 8 for c in panel["rubric"]["criteria"]}
            ok(await client.put(f"{API}/products/{created['id']}/scores", json={"scores": scores},
                                headers=review.experts[member]))
        admitted = await review.step(created["id"], "admit", review.city)
        assert admitted["listing"] == "listed" and admitted["catalogue_number"] == "GZ-XKQZ-2026-0001"
        assert admitted["marks"] == ["key_platform"] and admitted["admitted_version"] == 1

        # verified with the key platform's interface by the third party
        record = ok(await client.post(f"{API}/products/{created['id']}/adaptations", headers={
            **review.third_party, "Idempotency-Key": "adapt-1"}, json={
            "target_kind": "platform", "target_ref": KEY_PLATFORM, "target_name": "广州工业互联网平台开放接口",
            "tested": "订单与生产计划数据双向同步", "cases": [{"name": "订单下发", "result": "passed"}],
            "valid_until": "2027-05-09"}), 201)
        assert record["valid"] is True

        # the public finds it, without signing in, by a Chinese query and by a synonym (排产 ↔ 计划排程)
        for query in ("排产", "计划排程", "定制家居 排产"):
            found = ok(await client.get(f"{API}/showcase/products", params={"q": query}))
            assert [i["product_id"] for i in found["items"]] == [created["id"]], (query, found)
        faceted = ok(await client.get(f"{API}/showcase/products", params={"verified_with": f"platform:{KEY_PLATFORM}"}))
        assert faceted["total"] == 1 and faceted["facets"]["verified_with"] == {f"platform:{KEY_PLATFORM}": 1}
        assert ok(await client.get(f"{API}/showcase/products", params={"q": "仓储管理"}))["total"] == 0
        public = ok(await client.get(f"{API}/showcase/products/{created['id']}"))
        assert public["content"]["packages"][0]["price_fen"] == 1_980_000

        # a change request for its price, reviewed again: version 2; version 1 stays readable
        current = await client.get(f"{API}/products/{created['id']}", headers=review.provider)
        changed = ok(await client.post(f"{API}/products/{created['id']}/versions", json=product(price_fen=1_680_000),
                                       headers={**review.provider, "If-Match": current.headers["etag"]}), 201)
        assert changed["latest_version"] == 2 and changed["admitted_version"] == 1
        second = await review.through_review(created["id"], points=9)
        assert second["admitted_version"] == 2 and second["catalogue_number"] == "GZ-XKQZ-2026-0001"
        first = ok(await client.get(f"{API}/products/{created['id']}/versions/1", headers=review.provider))
        assert first["state"] == "superseded" and first["content"]["packages"][0]["price_fen"] == 1_980_000
        public = ok(await client.get(f"{API}/showcase/products/{created['id']}"))
        assert public["version"] == 2 and public["content"]["packages"][0]["price_fen"] == 1_680_000

        # the provider's title is revoked (a registry fact on NATS): the product is suspended and leaves the showcase
        await publish_facts(stack, [(registry_facts.TITLE_REVOKED, revocation(PROVIDER, 1), 2)])

        async def suspended() -> Any:
            row = ok(await client.get(f"{API}/products/{created['id']}", headers=review.city))
            return row if row["listing"] == "suspended" else None

        row = await eventually(suspended, timeout=30)
        assert row["suspension_reasons"] == ["重点平台称号已撤销或失效"]
        assert ok(await client.get(f"{API}/showcase/products", params={"q": "排产"}))["total"] == 0
        assert (await client.get(f"{API}/showcase/products/{created['id']}")).status_code == 404

        async def published() -> Any:
            types = [f["type"].rsplit(".", 2)[-2] for f in await facts_on_nats(stack, "catalog")]
            return types if "suspended" in types else None

        types = await eventually(published, timeout=30)
    assert types[:1] == ["submitted"] and {"admitted", "changed", "suspended", "verified"} <= set(types)
    facts = {f["type"].rsplit(".", 2)[-2]: f["data"] for f in await facts_on_nats(stack, "catalog")}
    assert facts["admitted"]["version"] == 1 and facts["admitted"]["packages"][0]["price_fen"] == 1_980_000
    assert facts["changed"]["version"] == 2 and facts["changed"]["packages"][0] == {
        "code": "basic", "name": "基础版", "price_fen": 1_680_000, "unit": "per_year"}
