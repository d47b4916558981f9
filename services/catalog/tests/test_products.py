"""Products through the HTTP api with the other services' facts applied through the catalog's own reactions: bad
input named by field, who may offer products, the review's returns and rejections with reasons, the pass score,
delisting, suspension and reinstatement whatever order the registry's facts arrive in, the showcase's facets and
sorting, adaptation expiry, the officials' views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from catalog.application.adaptations import expire_records
from catalog.main import create_app
from sihua_shared.clock import BusinessClock
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.db import create_engine, session_factory
from sihua_shared.exports import XLSX_TYPE
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client

from .kit import (
    API,
    DAY,
    KEY_PLATFORM,
    OTHER_PROVIDER,
    PROVIDER,
    Review,
    apply_facts,
    expert,
    ok,
    organisation,
    product,
    revocation,
    title,
    world,
)


async def _app(stack: Stack) -> tuple[Any, str]:
    settings = await stack.settings("catalog", business_date=DAY)
    await apply_facts(settings.database_url, world())
    return create_app(settings), settings.database_url


async def _facts(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [t.rsplit(".", 2)[-2] for t in (await conn.execute(select(outbox.c.type).order_by(outbox.c.seq))).scalars()]
    finally:
        await engine.dispose()


async def test_bad_input_is_a_problem_naming_the_field(stack: Stack) -> None:
    app, _ = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        cases = {
            "body.scenes.0": product(scenes=["S99"]),
            "body.packages.1.code": product(packages=[{"code": "a", "name": "甲", "price_fen": 1, "unit": "per_year"},
                                                      {"code": "a", "name": "乙", "price_fen": 2, "unit": "per_year"}]),
            "body.packages.0.price_fen": product(packages=[{"code": "a", "name": "甲", "price_fen": 19.8, "unit": "per_year"}]),
            "body.product_type": product(product_type="app"),
        }
        for field, body in cases.items():
            response = await client.post(f"{API}/products", json=body, headers=review.provider)
            assert response.status_code == 422, response.text
            assert field in {e["field"] for e in response.json()["errors"]}, (field, response.text)


async def test_only_a_verified_provider_offers_products(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    await apply_facts(settings.database_url, [
        *world(), organisation("signup-1", "provider", 9, verification="unverified"), organisation("ent-1", "enterprise", 10)])
    async with service_client(create_app(settings)) as client:
        for org, code in (("signup-1", "organisation_not_verified"), ("ent-1", "not_a_provider"), ("nobody", "unknown_organisation")):
            response = await client.post(f"{API}/products", json=product(), headers=stack.issuer.headers(["provider"], org=org))
            assert response.status_code == 403 and response.json()["code"] == code, response.text


async def test_returned_with_reasons_then_resubmitted_and_rejected(stack: Stack) -> None:
    app, url = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        created = await review.create()
        await review.step(created["id"], "submit", review.provider)
        await review.step(created["id"], "start_formal_check", review.city)
        refused = await review.step(created["id"], "return_for_revision", review.city, status=422)
        assert refused["code"] == "reasons_required"
        returned = await review.step(created["id"], "return_for_revision", review.city, ["缺少产品说明书"])
        assert returned["state"] == "returned"
        current = await client.get(f"{API}/products/{created['id']}", headers=review.provider)
        edited = ok(await client.put(f"{API}/products/{created['id']}/draft", json=product(summary="补充了说明书"),
                                     headers={**review.provider, "If-Match": current.headers["etag"]}))
        assert edited["content"]["summary"] == "补充了说明书"
        stale = await client.put(f"{API}/products/{created['id']}/draft", json=product(),
                                 headers={**review.provider, "If-Match": current.headers["etag"]})
        assert stale.status_code == 412
        await review.step(created["id"], "submit", review.provider)
        await review.step(created["id"], "start_formal_check", review.city)
        await review.step(created["id"], "pass_formal_check", review.city)
        rejected = await review.step(created["id"], "reject", review.city, ["与已入库产品重复"])
        assert rejected["state"] == "rejected" and rejected["listing"] == "unlisted"
        versions = ok(await client.get(f"{API}/products/{created['id']}/versions", headers=review.provider))
        history = versions[0]["history"]
        assert [h["action"] for h in history] == ["submit", "start_formal_check", "return_for_revision", "submit",
                                                  "start_formal_check", "pass_formal_check", "reject"]
        assert history[2]["reasons"] == ["缺少产品说明书"] and history[-1]["reasons"] == ["与已入库产品重复"]
        # the provider cannot take the city's steps, another provider does not see the product
        other = stack.issuer.headers(["provider"], org=OTHER_PROVIDER)
        assert (await client.get(f"{API}/products/{created['id']}", headers=other)).status_code == 404
    assert await _facts(url) == ["submitted", "returned", "submitted", "rejected"]


async def test_a_score_below_the_pass_mark_is_not_admitted(stack: Stack) -> None:
    app, _ = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        created = await review.create()
        response = await client.get(f"{API}/products/{created['id']}", headers=review.provider)
        assert response.status_code == 200
        try:
            await review.through_review(created["id"], points=5)
        except AssertionError as refused:
            assert "score_below_pass" in str(refused)
        else:  # pragma: no cover
            raise AssertionError("admitted below the pass score")
        panel = ok(await client.get(f"{API}/products/{created['id']}/panel", headers=review.city))
        assert panel["result"]["final_score"] == "50.00" and panel["result"]["passes"] is False


async def test_a_recusing_expert_is_replaced_and_the_others_stay(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    await apply_facts(settings.database_url, [*world(), expert("exp-e", None)])
    async with service_client(create_app(settings)) as client:
        review = Review(client, stack)
        review.experts["exp-e"] = stack.issuer.headers(["expert"], sub="exp-e")
        created = await review.create()
        for action in ("submit", "start_formal_check", "pass_formal_check"):
            await review.step(created["id"], action, review.provider if action == "submit" else review.city)
        before = [m["expert_id"] for m in ok(await client.get(f"{API}/products/{created['id']}/panel", headers=review.city))["members"]]
        leaving = before[0]
        after = ok(await client.post(f"{API}/products/{created['id']}/recusal", json={"reason": "曾为该服务商提供咨询"},
                                     headers=review.experts[leaving]))
        assert leaving not in after["members"] and set(before[1:]) <= set(after["members"]) and len(after["members"]) == 3
        assert "exp-d" not in after["members"]  # the conflicted expert stays out
        assert (await client.get(f"{API}/products/{created['id']}", headers=review.experts[leaving])).status_code == 404
        again = await client.post(f"{API}/products/{created['id']}/recusal", json={"reason": "同上"},
                                  headers=review.experts[after["members"][0]])
        assert again.status_code == 409 and again.json()["code"] == "not_enough_experts"


async def _admitted(client: httpx.AsyncClient, review: Review, **content: Any) -> dict[str, Any]:
    created = await review.create(product(**content))
    return await review.through_review(created["id"])


async def test_delisting_takes_it_off_the_showcase(stack: Stack) -> None:
    app, url = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        admitted = await _admitted(client, review)
        assert ok(await client.get(f"{API}/showcase/products"))["total"] == 1
        current = await client.get(f"{API}/products/{admitted['id']}", headers=review.city)
        refused = await client.post(f"{API}/products/{admitted['id']}/delist", json={"reason": "价格虚高"},
                                    headers={**review.provider, "If-Match": current.headers["etag"]})
        assert refused.status_code == 403
        delisted = ok(await client.post(f"{API}/products/{admitted['id']}/delist", json={"reason": "价格虚高"},
                                        headers={**review.city, "If-Match": current.headers["etag"]}))
        assert delisted["listing"] == "delisted" and delisted["delist_reason"] == "价格虚高"
        assert ok(await client.get(f"{API}/showcase/products"))["total"] == 0
    assert (await _facts(url))[-1] == "delisted"
    engine = create_engine(url)
    async with engine.connect() as conn:
        actions = (await conn.execute(select(audit_log.c.action).where(audit_log.c.entity_id == admitted["id"])
                                      .order_by(audit_log.c.id))).scalars().all()
    await engine.dispose()
    assert actions[0] == "product.create" and actions[-1] == "product.delist" and "product.admit" in actions


async def test_suspension_follows_the_title_whatever_order_the_facts_arrive_in(stack: Stack) -> None:
    app, url = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        await apply_facts(url, [(registry_facts.ECOSYSTEM_PARTNER_CONFIRMED, registry_facts.EcosystemPartnerConfirmed(
            membership_id="m-1", traction_unit_id="tu-1", traction_unit_uscc=make_uscc(1), partner_id=PROVIDER,
            partner_uscc=make_uscc(301), confirmed_on=DAY), 1)])
        admitted = await _admitted(client, review)
        assert admitted["marks"] == ["key_platform", "ecosystem_partner"]

        async def listing() -> str:
            return str(ok(await client.get(f"{API}/products/{admitted['id']}", headers=review.city))["listing"])

        await apply_facts(url, [(registry_facts.TITLE_REVOKED, revocation(PROVIDER, 1), 2)])
        assert await listing() == "suspended"
        await apply_facts(url, [(registry_facts.TITLE_GRANTED, title(PROVIDER, 1), 1)])  # the old grant, late
        assert await listing() == "suspended"
        await apply_facts(url, [(registry_facts.TITLE_GRANTED, title(PROVIDER, 2, title_id="title-prov-1b"), 1)])
        assert await listing() == "listed"
        assert ok(await client.get(f"{API}/showcase/products"))["total"] == 1
        # the organisation loses its standing
        await apply_facts(url, [(registry_facts.ORGANISATION_REJECTED, registry_facts.OrganisationRejected(
            organisation_id=PROVIDER, uscc=title(PROVIDER, 1).uscc, reason="营业执照已注销", rejected_on=DAY, version=5), 5)])
        suspended = ok(await client.get(f"{API}/products/{admitted['id']}", headers=review.city))
        assert suspended["listing"] == "suspended" and suspended["suspension_reasons"] == ["服务商核验未通过或已被取消"]
    assert [f for f in await _facts(url) if f in ("suspended", "reinstated")] == ["suspended", "reinstated", "suspended"]


async def test_the_showcase_facets_sorts_and_hides_what_is_not_listed(stack: Stack) -> None:
    app, _ = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        cheap = await _admitted(client, review, name="设备管理小助手", summary="设备点检与预测性维护", scenes=["S09"],
                                product_type="licensed_software", deployment="on_premise", price_fen=300_000)
        dear = await _admitted(client, review, price_fen=9_000_000)
        await review.create(product(name="排产草稿"))  # a draft: never public
        found = ok(await client.get(f"{API}/showcase/products", params={"sort": "price_asc"}))
        assert [i["product_id"] for i in found["items"]] == [cheap["id"], dear["id"]]
        assert found["facets"]["scene"] == {"S05": 1, "S09": 1}
        assert found["facets"]["price_band"] == {"10k_50k": 1, "under_10k": 1}  # the cheapest package counts
        assert found["facets"]["product_type"] == {"licensed_software": 1, "saas": 1}
        by_scene = ok(await client.get(f"{API}/showcase/products", params={"scene": "S09"}))
        assert [i["product_id"] for i in by_scene["items"]] == [cheap["id"]]
        # 预测性维护 ↔ 设备运维 (synonyms as data), and a scene's name finds its products (S05 计划排程)
        assert ok(await client.get(f"{API}/showcase/products", params={"q": "设备运维"}))["total"] == 1
        assert [i["product_id"] for i in ok(await client.get(f"{API}/showcase/products", params={"q": "排产"}))["items"]] == [dear["id"]]
        assert ok(await client.get(f"{API}/showcase/products", params={"q": "！"}))["total"] == 0
        bad = await client.get(f"{API}/showcase/products", params={"sort": "cheapest"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("sort")


async def test_an_adaptation_record_shows_until_it_expires(stack: Stack) -> None:
    app, url = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        admitted = await _admitted(client, review)
        until = DAY + timedelta(days=30)
        ok(await client.post(f"{API}/products/{admitted['id']}/adaptations", headers=review.third_party, json={
            "target_kind": "platform", "target_ref": KEY_PLATFORM, "target_name": "开放接口", "tested": "数据同步",
            "cases": [{"name": "订单下发", "result": "passed"}], "valid_until": until.isoformat()}), 201)
        refused = await client.post(f"{API}/products/{admitted['id']}/adaptations", headers=review.provider, json={})
        assert refused.status_code == 403
        verified = ok(await client.get(f"{API}/showcase/verified-with/platform/{KEY_PLATFORM}"))
        assert [i["product_id"] for i in verified["items"]] == [admitted["id"]]
        engine = create_engine(url)
        later = session_factory(engine, clock=BusinessClock(pinned=until + timedelta(days=1)))
        async with later() as session, session.begin():
            assert await expire_records(session) == 1
        async with later() as session, session.begin():
            assert await expire_records(session) == 0  # once
        await engine.dispose()
        assert ok(await client.get(f"{API}/showcase/verified-with/platform/{KEY_PLATFORM}"))["total"] == 0
        records = ok(await client.get(f"{API}/products/{admitted['id']}/adaptations", headers=review.provider))
        assert records[0]["valid"] is False and records[0]["expired_on"] == (until + timedelta(days=1)).isoformat()
    assert (await _facts(url))[-2:] == ["verified", "expired"]


async def test_officials_see_the_queue_the_target_and_export_the_list(stack: Stack) -> None:
    app, _ = await _app(stack)
    async with service_client(app) as client:
        review = Review(client, stack)
        await _admitted(client, review)
        waiting = await review.create(product(name="质量管理云"))
        await review.step(waiting["id"], "submit", review.provider)
        queue = ok(await client.get(f"{API}/review-queue", headers=review.city))
        assert [(i["product_id"], i["state"]) for i in queue["items"]] == [(waiting["id"], "submitted")]
        other = stack.issuer.headers(["district_officer"], district="baiyun")
        assert ok(await client.get(f"{API}/review-queue", headers=other))["total"] == 0
        stats = ok(await client.get(f"{API}/statistics/admitted", headers=review.city))
        assert (stats["target"], stats["admitted"], stats["remaining"]) == (360, 1, 359)
        assert stats["by_sector"] == {"custom_furniture": 1} and stats["by_scene"] == {"S05": 1}
        exported = await client.get(f"{API}/exports/admitted", headers=review.city)
        assert exported.status_code == 200 and exported.headers["content-type"] == XLSX_TYPE
        results = await client.get(f"{API}/exports/review-results", params={"format": "csv"}, headers=review.city)
        assert results.status_code == 200 and "准予入库" not in results.text and "admitted" in results.text


