"""集中采购: a cluster body opens a group purchase at a price no higher than the catalogue's, its member
enterprises enrol within the window while places remain, it closes the enrolment and records delivery, which makes
the enterprise an adopter (counted by matching)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from catalog.main import create_app
from sihua_shared.db import create_engine
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, Review, apply_facts, ok, world
from .matching_kit import (
    CLUSTER_BODY,
    ENTERPRISE,
    OTHER_ENTERPRISE,
    assessment,
    cluster_member,
    enterprise,
    group_purchase_body,
    organisation,
)


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _facts(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(outbox.c.type).where(outbox.c.type.like("%group_purchase%")).order_by(outbox.c.seq))
            return [t.rsplit(".", 2)[-2] for t in rows.scalars()]
    finally:
        await engine.dispose()


async def test_open_enrol_close_deliver(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    url = settings.database_url
    await apply_facts(url, [*world(), organisation(CLUSTER_BODY, "cluster_body", 40), enterprise(),
                            enterprise("ent-3", 13), cluster_member(), cluster_member("ent-3", "member-3", n=13)])
    async with service_client(create_app(settings)) as client:
        review = Review(client, stack)
        product = await review.create()
        await review.through_review(product["id"])
        body_headers = stack.issuer.headers(["cluster_body"], sub="acct-cb", org=CLUSTER_BODY)
        ent = stack.issuer.headers(["enterprise"], sub="acct-ent", org=ENTERPRISE)
        gp = f"{API}/group-purchases"

        # no higher than the catalogue price; a listed product's package; a cluster body only
        above = await client.post(gp, json=group_purchase_body(product["id"], price_fen=1_980_001), headers={**body_headers, **_key()})
        assert above.status_code == 422 and above.json()["errors"][0]["field"] == "body.price_fen"
        assert (await client.post(gp, json=group_purchase_body(product["id"], package_code="gold"),
                                  headers={**body_headers, **_key()})).status_code == 422
        assert (await client.post(gp, json=group_purchase_body(product["id"]), headers={**ent, **_key()})).status_code == 403
        opened = ok(await client.post(gp, json=group_purchase_body(product["id"]), headers={**body_headers, **_key()}), 201)
        assert opened["catalogue_price_fen"] == 1_980_000 and opened["price_fen"] == 1_500_000 and opened["state"] == "open"
        one = f"{gp}/{opened['id']}"

        # members enrol (once); a non-member neither sees nor enrols
        ok(await client.post(f"{one}/enrolments", headers={**ent, **_key()}), 201)
        again = await client.post(f"{one}/enrolments", headers={**ent, **_key()})
        assert again.status_code == 409 and again.json()["code"] == "already_enrolled"
        stranger = stack.issuer.headers(["enterprise"], org=OTHER_ENTERPRISE)
        assert (await client.post(f"{one}/enrolments", headers={**stranger, **_key()})).status_code == 404
        assert ok(await client.get(gp, headers=stranger))["total"] == 0
        third = stack.issuer.headers(["enterprise"], sub="acct-3", org="ent-3")
        seen = ok(await client.post(f"{one}/enrolments", headers={**third, **_key()}), 201)
        assert seen["enrolled"] == 2 and seen["places_left"] == 0 and [e["enterprise_id"] for e in seen["enrolments"]] == ["ent-3"]
        await apply_facts(url, [cluster_member(OTHER_ENTERPRISE, "member-2", n=12)])
        full = await client.post(f"{one}/enrolments", headers={**stranger, **_key()})
        assert full.status_code == 409 and full.json()["code"] == "no_places_left"

        # the cluster body closes (If-Match) and records delivery; the enterprise becomes an adopter
        current = await client.get(one, headers=body_headers)
        assert (await client.post(f"{one}/close", headers={**body_headers, "If-Match": '"1"'})).status_code == 412
        closed = ok(await client.post(f"{one}/close", headers={**body_headers, "If-Match": current.headers["etag"]}))
        assert closed["state"] == "closed" and closed["closed_on"] == DAY.isoformat()
        not_enrolled = await client.post(f"{one}/deliveries", json={"enterprise_id": OTHER_ENTERPRISE},
                                         headers={**body_headers, **_key()})
        assert not_enrolled.status_code == 422
        delivered = ok(await client.post(f"{one}/deliveries", json={"enterprise_id": ENTERPRISE, "note": "已上线"},
                                         headers={**body_headers, **_key()}), 201)
        assert [e["delivered_on"] for e in delivered["enrolments"] if e["enterprise_id"] == ENTERPRISE] == [DAY.isoformat()]
        twice = await client.post(f"{one}/deliveries", json={"enterprise_id": ENTERPRISE}, headers={**body_headers, **_key()})
        assert twice.status_code == 409

        # the provider and the city see it; matching now counts the adopter of the sector
        assert ok(await client.get(one, headers=review.provider))["enrolled"] == 2
        assert ok(await client.get(gp, headers=review.city))["total"] == 1
        await apply_facts(url, [assessment("assess-gp", "ent-3", n=13), enterprise("ent-3", 13, version=3)])
        got: dict[str, Any] = ok(await client.get(f"{API}/enterprises/ent-3/recommendations", headers=third))
        assert got["items"][0]["sector_adopters"] == 1 and got["items"][0]["explanation"].endswith("本行业已有 1 家企业采用")
    assert await _facts(url) == ["opened", "enrolled", "enrolled", "closed", "delivered"]
