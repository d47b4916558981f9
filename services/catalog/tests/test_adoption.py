"""Adoption and outcome (issue 14 §2) with funding's project facts on NATS and the worker running: contracts make
adopters, acceptance results are counted per product version, the accepted adopters' level comes from diagnosis's
post-transformation assessment, the product's public and provider views show them, and the showcase ranks by
adoption and by outcome. Facts arriving out of order or twice leave the counts right."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from catalog.main import create_app
from catalog.spec import SPEC
from sihua_shared.contracts import funding as funding_facts
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

from .kit import API, DAY, Fact, Review, ok, product, publish_facts, world
from .matching_kit import assessment, enterprise

ENTERPRISES = ("ent-1", "ent-2", "ent-3")
TRACTION_UNIT = "tu-1"


def _project(project_id: str, enterprise_id: str) -> dict[str, Any]:
    n = 11 + ENTERPRISES.index(enterprise_id)
    return {"project_id": project_id, "enterprise_id": enterprise_id, "enterprise_uscc": make_uscc(300 + n),
            "traction_unit_id": TRACTION_UNIT, "district": "huangpu"}


def contracted(project_id: str, enterprise_id: str, lines: list[tuple[str, int, int]]) -> Fact:
    """A contract whose lines name (product id, version, amount in fen)."""
    items = [funding_facts.ContractLine(product_id=pid, version=v, package_code="basic", quantity=1, unit_price_fen=fen,
                                        amount_fen=fen, above_catalogue_price=False) for pid, v, fen in lines]
    total = sum(i.amount_fen for i in items)
    return (funding_facts.PROJECT_CONTRACTED, funding_facts.ProjectContracted(
        **_project(project_id, enterprise_id), contract_number=f"HT-{project_id}", contract_amount_fen=total,
        declared_investment_fen=total, lines=items, title_id="title-tu-1", contracted_on=DAY - timedelta(days=90)), 1)


def completed(project_id: str, enterprise_id: str) -> Fact:
    return (funding_facts.PROJECT_COMPLETED, funding_facts.ProjectCompleted(
        **_project(project_id, enterprise_id), completed_on=DAY - timedelta(days=30)), 3)


def accepted(project_id: str, enterprise_id: str) -> Fact:
    return (funding_facts.PROJECT_ACCEPTED, funding_facts.ProjectAccepted(
        **_project(project_id, enterprise_id), accepted_on=DAY - timedelta(days=5), verified_actual_investment_fen=1_000_000), 5)


def failed(project_id: str, enterprise_id: str) -> Fact:
    return (funding_facts.PROJECT_FAILED, funding_facts.ProjectFailed(
        **_project(project_id, enterprise_id), failed_on=DAY - timedelta(days=5), reasons=["改造内容未完成"]), 5)


async def test_contract_facts_count_adopters_and_rank_by_outcome(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    await stack.create_streams("registry", "diagnosis", "funding")
    app = create_app(settings)
    async with running_worker(SPEC, settings) as worker, service_client(app) as client:
        seen = 0

        async def publish(facts: list[Fact]) -> None:
            nonlocal seen
            await publish_facts(stack, facts)
            seen += len(facts)

            async def arrived() -> bool:
                return sum(r.counts["processed"] for r in worker.runners) >= seen

            await eventually(arrived, timeout=30)

        await publish([*world(), *(enterprise(e, 11 + i) for i, e in enumerate(ENTERPRISES))])
        review = Review(client, stack)
        broad, narrow, untried = [await review.create(product(name=n)) for n in ("智能排产云", "设备点检通", "质量追溯宝")]
        for created in (broad, narrow, untried):
            await review.through_review(created["id"])
        one, two = broad["id"], narrow["id"]

        # broad: three adopters, one accepted (ent-1), one failed (ent-2), one in progress (ent-3) — the acceptance
        # arrives before its contract, and the failure twice; narrow: one project, accepted (ent-2, with broad too)
        await publish([
            accepted("p-1", "ent-1"), contracted("p-1", "ent-1", [(one, 1, 1_980_000)]), completed("p-1", "ent-1"),
            contracted("p-2", "ent-2", [(one, 1, 1_980_000), (two, 1, 4_800_000)]), failed("p-2", "ent-2"),
            failed("p-2", "ent-2"),
            contracted("p-3", "ent-3", [(one, 1, 1_500_000)]),
            contracted("p-4", "ent-2", [(two, 1, 4_800_000)]), completed("p-4", "ent-2"), accepted("p-4", "ent-2"),
            assessment("post-1", "ent-1", level=2, stage="post_transformation"),
        ])

        # the provider's view and the public one show adopters and outcomes
        seen_by_provider = ok(await client.get(f"{API}/products/{one}", headers=review.provider))["adoption"]
        expected = {"adopters": 3, "contracts": 3, "contract_amount_fen": 5_460_000, "in_progress": 1, "accepted": 1,
                    "failed": 1, "acceptance_rate_percent": "50.00"}
        assert {k: seen_by_provider[k] for k in expected} == expected
        assert seen_by_provider["accepted_levels"] == {"2": 1}
        assert seen_by_provider["versions"] == [{"version": 1, **expected}]
        public = ok(await client.get(f"{API}/showcase/products/{one}"))["adoption"]
        assert public == seen_by_provider
        assert isinstance(public["contract_amount_fen"], int)
        narrow_seen = ok(await client.get(f"{API}/showcase/products/{two}"))["adoption"]
        assert (narrow_seen["adopters"], narrow_seen["contracts"], narrow_seen["accepted"], narrow_seen["failed"],
                narrow_seen["acceptance_rate_percent"], narrow_seen["accepted_levels"]) == (1, 2, 1, 1, "50.00", {"unassessed": 1})

        # ranking: by adoption (adopters), by outcome (accepted, then acceptance rate)
        async def order(sort: str) -> list[str]:
            found = ok(await client.get(f"{API}/showcase/products", params={"sort": sort}))
            return [i["product_id"] for i in found["items"]]

        assert await order("adoption") == [one, two, untried["id"]]
        await publish([contracted("p-5", "ent-3", [(two, 1, 4_800_000)]), accepted("p-5", "ent-3")])  # narrow: 2 of 3
        assert await order("outcome") == [two, one, untried["id"]]
        items = ok(await client.get(f"{API}/showcase/products", params={"sort": "outcome"}))["items"]
        assert items[0]["adoption"]["accepted"] == 2 and items[0]["adoption"]["acceptance_rate_percent"] == "66.67"
        assert items[2]["adoption"] == {"adopters": 0, "contracts": 0, "contract_amount_fen": 0, "in_progress": 0,
                                        "accepted": 0, "failed": 0, "acceptance_rate_percent": None}

        # a contract adopter may rate the version it contracted
        rater = stack.issuer.headers(["enterprise"], sub="acct-ent-3", org="ent-3")
        ok(await client.post(f"{API}/products/{one}/ratings", json={"version": 1, "score": 5, "comment": "排产准了"},
                             headers={**rater, "Idempotency-Key": str(uuid.uuid4())}), 201)
