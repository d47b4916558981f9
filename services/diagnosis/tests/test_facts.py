"""Diagnosis's facts for the services downstream (issue 10 §2): edition activated with its scenes, consent granted
and revoked, and the agreed fee of a diagnosis project (≤ 20万元, S0 三(三)) on its assignment and completion — each
in the outbox, in the use case's transaction, and on NATS."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from diagnosis.domain.index import load_shipped_edition
from diagnosis.main import create_app
from diagnosis.spec import SPEC
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import facts_on_nats, rows

from .kit import API, DAY, EDITION_VERSION, LEVEL2, assess, seed
from .test_reports import report_of

TYPE = "cn.gov.sihua.diagnosis.{}.v1"
FACTS = ("edition.activated", "consent.granted", "consent.revoked", "diagnosis_project.assigned", "diagnosis_project.completed")


async def test_edition_consent_and_project_fee_facts_reach_the_outbox_and_nats(stack: Stack) -> None:
    settings = await stack.settings("diagnosis", business_date=DAY)
    await seed(settings.database_url, ("ent-a", "enterprise", "huangpu", None), ("third", "third_party", None, None),
               ("prov", "diagnosis_provider", None, None), diagnosis_providers=("prov",))
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    ent = stack.issuer.headers(["enterprise"], org="ent-a", sub="ent-user")
    prov = stack.issuer.headers(["provider"], org="prov")
    async with service_client(create_app(settings)) as client:
        assert (await client.get(f"{API}/editions", headers=city)).status_code == 200  # the shipped edition, on first use
        again = await client.post(f"{API}/editions/{EDITION_VERSION}/activate", headers=city)
        assert again.status_code == 200, again.text

        granted = await client.post(f"{API}/consents", json={"organisation_id": "third"}, headers=ent)
        assert granted.status_code == 201, granted.text
        consent = granted.json()
        revoked = await client.post(f"{API}/consents/{consent['id']}/revoke", headers={**ent, "If-Match": '"1"'})
        assert revoked.status_code == 200, revoked.text

        projects = f"{API}/diagnosis-projects"
        for fee in (20_000_001, -1):
            refused = await client.post(projects, json={"enterprise_id": "ent-a", "provider_id": "prov", "fee_fen": fee},
                                        headers=city)
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["field"] == "body.fee_fen"
            assert fee < 0 or refused.json()["code"] == "fee_over_cap"  # the cap comes from Guangzhou's data
        created = await client.post(projects, json={"enterprise_id": "ent-a", "provider_id": "prov", "fee_fen": 20_000_000},
                                    headers=city)
        assert created.status_code == 201, created.text
        project = created.json()
        assert project["fee_fen"] == 20_000_000
        assert (await client.get(f"{projects}/{project['id']}", headers=prov)).json()["fee_fen"] == 20_000_000
        finance = stack.issuer.headers(["finance"])  # the bureau that pays reads every project with its fee
        assert (await client.get(projects, headers=finance)).json()["items"][0]["fee_fen"] == 20_000_000
        assert (await client.get(f"{API}/consents", headers=finance)).status_code == 403

        onsite = await assess(client, prov, LEVEL2, kind="onsite", enterprise_id="ent-a")
        async with running_worker(SPEC, settings):
            await report_of(client, prov, onsite["id"])
            done = await client.post(f"{projects}/{project['id']}/complete",
                                     json={"assessment_id": onsite["id"], "plan": "上线质量管理模块"},
                                     headers={**prov, "If-Match": '"1"'})
            assert done.status_code == 200, done.text

            async def published() -> list[dict[str, Any]] | None:
                try:
                    found = await facts_on_nats(stack)
                except TimeoutError:
                    return None
                seen = {f["type"] for f in found}
                return found if all(TYPE.format(t) in seen for t in FACTS) else None

            on_nats: list[dict[str, Any]] = await eventually(published, timeout=30, interval=0.3)

    in_outbox = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    for facts in (in_outbox, on_nats):
        def of(name: str, facts: list[dict[str, Any]] = facts) -> list[dict[str, Any]]:
            return [f for f in facts if f["type"] == TYPE.format(name)]

        shipped = load_shipped_edition()
        activations = of("edition.activated")
        assert [(a["subject"], a["data"]["version_id"], a["data"]["activated_by_account_id"], a["data"]["shipped"])
                for a in activations] == [("2024", EDITION_VERSION, "system", True), ("2024", EDITION_VERSION, "city-1", True)]
        assert [a["aggregateversion"] for a in activations] == [1, 2]
        scenes = activations[0]["data"]["scenes"]
        assert [s["scene_id"] for s in scenes] == list(shipped.scene_ids)
        first = shipped.scenes[shipped.scene_ids[0]]
        assert (scenes[0]["name"], scenes[0]["constrained"]) == (first.name, first.constrained)
        assert activations[1]["data"]["scenes"] == scenes

        assert [f["data"] for f in of("consent.granted")] == [
            {"consent_id": consent["id"], "enterprise_id": "ent-a", "organisation_id": "third", "granted_by_account_id": "ent-user"}]
        assert [f["aggregateversion"] for f in of("consent.granted") + of("consent.revoked")] == [1, 2]
        assert [f["data"] for f in of("consent.revoked")] == [
            {"consent_id": consent["id"], "enterprise_id": "ent-a", "organisation_id": "third", "revoked_by_account_id": "ent-user"}]
        assert [f["data"]["fee_fen"] for f in of("diagnosis_project.assigned")] == [20_000_000]
        completed = of("diagnosis_project.completed")
        assert [(c["data"]["project_id"], c["data"]["fee_fen"]) for c in completed] == [(project["id"], 20_000_000)]
