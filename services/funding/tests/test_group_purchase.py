"""S2 四(二)3 group-purchase district award from catalog's facts: catalog's group purchase opened / enrolled / closed /
delivered arrive over NATS to funding's worker (a redelivery changes nothing) and land in funding's read model; a
cluster body's application takes its basis from them — its purchases, deliveries by district (enterprises that
adopted, amount at the negotiated price, saving against the catalogue price) — shown in the trace and frozen in the
decision; without a delivery in the district it is refused; the district's 1500万 cap holds over every body (the
ledger)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from funding.adapters.funding_tables import awards
from funding.adapters.group_purchase_tables import group_purchase_deliveries, group_purchases
from funding.application.facts import record_group_purchase_delivered
from funding.main import create_app
from funding.spec import SPEC
from sihua_shared.bus import ensure_stream
from sihua_shared.contracts.catalog import (
    GROUP_PURCHASE_CLOSED,
    GROUP_PURCHASE_DELIVERED,
    GROUP_PURCHASE_ENROLLED,
    GROUP_PURCHASE_OPENED,
    GroupPurchaseDelivered,
)
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import EventSpec, new_event
from sihua_shared.testing.harness import Stack, eventually, running_worker, served_app
from tests.pipeline.helpers import rows

from .kit import API, ENVELOPE, WAN, created, seed, step

S2 = "gz-s2-sme-pilot"
LIST_PRICE, PRICE = 1_980_000, 1_500_000  # 19,800元 in the catalogue, 15,000元 negotiated


async def _publish(stack: Stack, facts: list[tuple[EventSpec, dict[str, Any]]]) -> None:  # type: ignore[type-arg]
    nc = await stack.servers.connect("funding-group-purchase-test")
    try:
        js = nc.jetstream()
        await ensure_stream(js, "catalog", namespace=stack.namespace)
        for spec, payload in facts:
            event = new_event(spec, spec.payload.model_validate(payload), subject=payload["group_purchase_id"], aggregate_version=1)
            for _ in range(2):  # the same fact twice: a redelivery
                await js.publish(f"{stack.namespace}.{spec.subject()}",
                                 json.dumps(event.model_dump(mode="json", exclude_none=True)).encode(),
                                 headers={"Content-Type": "application/cloudevents+json; charset=utf-8"})
    finally:
        await nc.close()


def _purchase(gp: str, body: str, deliveries: list[tuple[str, str | None, int]]) -> list[tuple[EventSpec, dict[str, Any]]]:  # type: ignore[type-arg]
    """A purchase by ``body``: the delivery comes first (out of order), then opening, enrolments ``(enterprise,
    district named by catalog, places)``, closing."""
    base = {"group_purchase_id": gp, "cluster_body_id": body, "product_id": "prod-1", "version": 1}
    out: list[tuple[EventSpec, dict[str, Any]]] = []  # type: ignore[type-arg]
    for enterprise, district, _ in deliveries[:1]:
        out.append((GROUP_PURCHASE_DELIVERED, {**base, "enterprise_id": enterprise, "price_fen": PRICE, "district": district,
                                               "delivered_on": "2026-02-20"}))
    out.append((GROUP_PURCHASE_OPENED, {**base, "package_code": "basic", "catalogue_price_fen": LIST_PRICE, "price_fen": PRICE,
                                        "places": 20, "opens_on": "2026-01-05", "closes_on": "2026-02-05"}))
    for enterprise, _, places in deliveries:
        out.append((GROUP_PURCHASE_ENROLLED, {**base, "enterprise_id": enterprise, "price_fen": PRICE, "enrolled_on": "2026-01-10",
                                              "places_taken": places}))
    out.append((GROUP_PURCHASE_CLOSED, {**base, "enrolled": len(deliveries), "closed_on": "2026-02-05"}))
    for enterprise, district, _ in deliveries[1:]:
        out.append((GROUP_PURCHASE_DELIVERED, {**base, "enterprise_id": enterprise, "price_fen": PRICE, "district": district,
                                               "delivered_on": "2026-02-21"}))
    return out


async def test_the_district_award_rests_on_catalogs_deliveries_and_the_district_cap_holds(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10))
    await seed(settings.database_url, ("body-1", "cluster_body", "baiyun"), ("body-2", "cluster_body", "baiyun"),
               ("body-3", "cluster_body", "baiyun"), ("ent-a", "enterprise", "baiyun"), ("ent-b", "enterprise", "baiyun"),
               ("ent-c", "enterprise", "huadu"))
    async with running_worker(SPEC, settings):
        # body-1: two places to ent-a in baiyun, one to ent-b (catalog names no district: the registry's), one to ent-c in huadu
        await _publish(stack, _purchase("gp-1", "body-1", [("ent-a", "baiyun", 2), ("ent-b", None, 1), ("ent-c", "huadu", 1)])
                       + _purchase("gp-2", "body-2", [("ent-a", "baiyun", 1)]))

        async def kept() -> bool:
            delivered = await rows(settings.database_url, select(group_purchase_deliveries))
            closed = await rows(settings.database_url, select(group_purchases).where(group_purchases.c.closed_on.is_not(None)))
            return len(delivered) == 4 and len(closed) == 2

        await eventually(kept, timeout=30)
    purchase = (await rows(settings.database_url, select(group_purchases).where(group_purchases.c.group_purchase_id == "gp-1")))[0]
    assert (purchase.catalogue_price_fen, purchase.price_fen, purchase.enrolled) == (LIST_PRICE, PRICE, 3)

    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approver = stack.issuer.headers(["city_officer"], sub="officer-b")
    reason = {"proposal_reason": "集中采购交付三家企业，应用成效评为一级"}
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        body1 = stack.issuer.headers(["cluster_body"], org="body-1")
        app = await step(client, body1, await created(client, body1, S2, "s2-group-purchase", "gp-award-body-1"), "submit")
        app = await step(client, reviewer, app, "review", {"inputs": {"proposed_fen": 1200 * WAN, **reason}})
        assert app["computed_amount_fen"] == 1200 * WAN
        basis = app["trace"]["steps"][0]
        assert (basis["rule"], basis["clause"]) == ("basis:group_purchase", "S2 四(二)3")
        # baiyun: ent-a (2 places) and ent-b (1 place) at 15,000元; saved 4,800元 a place against the catalogue
        assert basis["inputs"]["group_purchase_deliveries"] == 2 and basis["inputs"]["group_purchase_enterprises"] == 2
        assert basis["amount_fen"] == basis["inputs"]["group_purchase_amount_fen"] == 3 * PRICE
        assert basis["inputs"]["group_purchase_saving_fen"] == 3 * (LIST_PRICE - PRICE)
        by_district = {d["district"]: d for d in basis["inputs"]["basis"]["by_district"]}
        assert by_district["huadu"] == {"district": "huadu", "deliveries": 1, "enterprises": 1, "amount_fen": PRICE,
                                        "saving_fen": LIST_PRICE - PRICE}
        assert [(p["group_purchase_id"], p["deliveries"], p["enrolled"]) for p in basis["inputs"]["basis"]["purchases"]] == [
            ("gp-1", 3, 3)]
        app = await step(client, approver, app, "approve")
        assert app["amount_fen"] == 1200 * WAN
        replay = (await client.get(f"{API}/applications/{app['id']}/computation", headers=approver)).json()
        assert replay["kind"] == "replay" and replay["same_as_decision"] is True
        # the decision froze the basis it relied on
        assert replay["frozen"]["facts"]["group_purchase_deliveries"] == 2
        assert replay["frozen"]["facts"]["group_purchase"] == basis["inputs"]["basis"]

        # body-2 of the same district proposes 500万: the ledger leaves 300万 of the district's 1500万
        body2 = stack.issuer.headers(["cluster_body"], org="body-2")
        app2 = await step(client, body2, await created(client, body2, S2, "s2-group-purchase", "gp-award-body-2"), "submit")
        app2 = await step(client, reviewer, app2, "review", {"inputs": {"proposed_fen": 500 * WAN, **reason}})
        app2 = await step(client, approver, app2, "approve")
        assert app2["amount_fen"] == 300 * WAN
        cap = next(s for s in app2["trace"]["steps"] if s["rule"] == "cap:district-1500wan")
        assert (cap["inputs"]["prior_fen"], cap["inputs"]["remaining_fen"]) == (1200 * WAN, 300 * WAN)

        # body-3 has no delivery in the district: refused by the policy file's condition
        body3 = stack.issuer.headers(["cluster_body"], org="body-3")
        app3 = await step(client, body3, await created(client, body3, S2, "s2-group-purchase", "gp-award-body-3"), "submit")
        app3 = await step(client, reviewer, app3, "review", {"inputs": {"proposed_fen": 100 * WAN, **reason}})
        assert app3["computed_amount_fen"] == 0
        refused = await client.post(f"{API}/applications/{app3['id']}/approve", headers={**approver, "If-Match": f'"{app3["version"]}"'})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "award_refused" and "condition_unmet" in refused.json()["codes"]
    ledger = await rows(settings.database_url, select(awards.c.applicant_id, awards.c.amount_fen).order_by(awards.c.applicant_id))
    assert [(r.applicant_id, r.amount_fen) for r in ledger] == [("body-1", 1200 * WAN), ("body-2", 300 * WAN)]


async def test_parallel_approvals_of_a_districts_bodies_never_exceed_its_1500wan(stack: Stack) -> None:
    """Four bodies of one district propose 600万 each and are approved at once: the district lock makes each see the
    others' awards — 600万, 600万, 300万 and one with nothing left; the ledger holds exactly 1500万."""
    settings = await stack.settings("funding", business_date=date(2026, 3, 10))
    bodies = [f"body-{n}" for n in range(4)]
    await seed(settings.database_url, *[(b, "cluster_body", "baiyun") for b in bodies])
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as s, s.begin():
        for n, body in enumerate(bodies):
            await record_group_purchase_delivered(s, ENVELOPE, GroupPurchaseDelivered(
                group_purchase_id=f"gp-{n}", cluster_body_id=body, enterprise_id=f"ent-{n}", product_id="prod-1", version=1,
                price_fen=PRICE, district="baiyun", delivered_on=date(2026, 2, 20)))
    await engine.dispose()
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approvers = [stack.issuer.headers(["city_officer"], sub=f"officer-{n}") for n in ("b", "c")]
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        reviewed = []
        for body in bodies:
            headers = stack.issuer.headers(["cluster_body"], org=body)
            app = await step(client, headers, await created(client, headers, S2, "s2-group-purchase", f"gp-award-{body}"), "submit")
            reviewed.append(await step(client, reviewer, app, "review", {"inputs": {
                "proposed_fen": 600 * WAN, "proposal_reason": "集中采购已交付，按成效评级"}}))

        async def one(n: int, app: dict[str, Any]) -> int:
            headers = {**approvers[n % 2], "If-Match": f'"{app["version"]}"'}
            return (await client.post(f"{API}/applications/{app['id']}/approve", headers=headers)).status_code

        statuses = await asyncio.gather(*(one(n, a) for n, a in enumerate(reviewed)))
    assert sorted(statuses) == [200, 200, 200, 409]
    ledger = await rows(settings.database_url, select(awards.c.amount_fen))
    assert sorted(r.amount_fen for r in ledger) == [300 * WAN, 600 * WAN, 600 * WAN]
