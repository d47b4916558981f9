"""Transformation projects (S2 五(五)) over HTTP: a pilot enterprise contracts a titled traction unit for admitted
catalogue products (a line above the catalogue price is flagged), the third party approves the investment, the
unit reports and completes, acceptance is applied and decided; each step its fact. A revoked unit signs no new
contract and its running projects are flagged."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select, update

from funding.adapters.readmodels import known_titles
from funding.application.facts import record_assessment_completed
from funding.application.projects import flag_revoked_unit, record_post_assessment
from funding.main import create_app
from sihua_shared.contracts.diagnosis import AssessmentCompleted
from sihua_shared.contracts.registry import TitleRevoked
from sihua_shared.db import create_engine, session_factory
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, ENVELOPE, WAN, created, project_step, seed, seed_project_facts, step

PRICE = {"basic": 1_980_000, "pro": 4_800_000}


def _body(unit: str, **extra: Any) -> dict[str, Any]:
    return {"traction_unit_id": unit, "contract_number": "HT-2026-001", "contract_amount_fen": 40 * WAN,
            "declared_investment_fen": 40 * WAN, "milestones": [{"name": "上线试运行", "due_on": "2026-06-30"}],
            "lines": [{"product_id": "prod-1", "version": 1, "package_code": "pro", "quantity": 2, "unit_price_fen": 5_000_000},
                      {"product_id": "prod-1", "version": 1, "package_code": "basic", "quantity": 1, "unit_price_fen": 1_980_000}],
            **extra}


async def _create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await client.post(f"{API}/projects", headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, json=body)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _assessment(url: str, enterprise: str, uscc: str, name: str, time: str, level: int) -> None:
    """Diagnosis's fact of an on-site post-transformation assessment, as the worker records it (both read models)."""
    payload = AssessmentCompleted(
        assessment_id=f"post-{name}", enterprise_id=enterprise, uscc=uscc, kind="onsite", stage="post_transformation",
        edition_id="2024", level=level, level_by_score=level, level_by_scenes=level, total_milli=60_000, dimension_milli={},
        scene_levels={}, weakest_scenes=[])
    envelope = ENVELOPE.model_copy(update={"time": time})
    engine = create_engine(url)
    async with session_factory(engine)() as s, s.begin():
        await record_post_assessment(s, envelope, payload)
        await record_assessment_completed(s, envelope, payload)
    await engine.dispose()


async def test_a_project_from_contract_to_acceptance_and_a_revoked_unit(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    usccs = await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), ("ent-2", "enterprise", "baiyun"),
                       ("tu-1", "traction_unit", None), ("tu-2", "traction_unit", None), ("tp-1", "third_party", None),
                       titles={"tu-1": ("traction_unit",), "tu-2": ("traction_unit",)})
    await seed_project_facts(settings.database_url, pilots={"ent-1": (usccs["ent-1"], "baiyun")},
                             products={"prod-1": ("tu-1", PRICE)})
    issuer = stack.issuer
    ent = issuer.headers(["enterprise"], org="ent-1")
    unit = issuer.headers(["provider"], org="tu-1")
    other_unit = issuer.headers(["provider"], org="tu-2")
    third = issuer.headers(["third_party"], org="tp-1")
    city = issuer.headers(["city_officer"], sub="officer-a")
    async with service_client(create_app(settings)) as client:
        # guards: only the pilot pool, only a titled unit, only admitted versions and packages
        await _create(client, issuer.headers(["enterprise"], org="ent-2"), _body("tu-1"), 403)
        await _create(client, ent, _body("tp-1"), 409)
        bad = _body("tu-1", lines=[{"product_id": "prod-1", "version": 2, "package_code": "pro", "quantity": 1, "unit_price_fen": 1}])
        assert (await _create(client, ent, bad, 422))["errors"][0]["field"] == "body.lines.0"
        # milestones: a name and a due date each, names unique in the project
        for milestones, field in (([{"name": "上线试运行"}], "body.milestones.0.due_on"),
                                  ([{"name": "上线", "due_on": "2026-13-01"}], "body.milestones.0.due_on"),
                                  ([{"name": "", "due_on": "2026-06-30"}], "body.milestones.0.name"),
                                  ([{"name": "上线", "due_on": "2026-06-30"}, {"name": "上线", "due_on": "2026-07-30"}],
                                   "body.milestones.1.name")):
            refused = await _create(client, ent, _body("tu-1", milestones=milestones), 422)
            assert refused["errors"][0]["field"] == field, refused
        project = await _create(client, ent, _body("tu-1"))
        assert project["state"] == "draft" and project["price_flagged"] is True
        assert project["milestones"] == [{"name": "上线试运行", "due_on": "2026-06-30"}]
        assert [(line["catalogue_price_fen"], line["above_catalogue_price"]) for line in project["lines"]] == [
            (4_800_000, True), (1_980_000, False)]
        project = await project_step(client, ent, project, "submit")
        assert project["state"] == "submitted" and project["contracted_on"] == DAY.isoformat()
        await project_step(client, unit, project, "complete", status=409)  # not in progress yet
        await project_step(client, ent, project, "investment", {"approved_investment_fen": 30 * WAN}, status=403)
        await project_step(client, third, project, "investment", {"approved_investment_fen": 41 * WAN}, status=422)
        project = await project_step(client, third, project, "investment", {"approved_investment_fen": 38 * WAN})
        assert (project["state"], project["approved_investment_fen"]) == ("investment_approved", 38 * WAN)
        await project_step(client, other_unit, project, "progress", {"percent": 10, "text": "x"}, status=404)
        refused = await project_step(client, unit, project, "progress", {"percent": 50, "milestone": "验收", "text": "x"},
                                     status=422)
        assert refused["errors"][0]["field"] == "body.milestone"
        project = await project_step(client, unit, project, "progress", {"percent": 50, "milestone": "上线试运行", "text": "排产上线"})
        assert (project["state"], project["progress_percent"]) == ("in_progress", 50)
        await project_step(client, unit, project, "progress", {"percent": 40, "text": "倒退"}, status=422)
        project = await project_step(client, third, project, "findings", {"text": "监理：进度符合合同"})
        project = await project_step(client, unit, project, "complete")
        assert project["state"] == "completed" and project["completed_on"] == DAY.isoformat()
        # the city opens an acceptance batch; the enterprise applies in it with its invoices (tax-exclusive)
        invoices = {"invoices": [{"number": "FP-1", "amount_fen": 30 * WAN}, {"number": "FP-2", "amount_fen": 8 * WAN}]}
        await project_step(client, ent, project, "acceptance", {**invoices, "batch_id": str(uuid.uuid4())}, status=409)
        opened = await client.post(f"{API}/acceptance-batches", headers=city, json={"name": "2026年第一批", "year": 2026,
                                                                                    "closes_on": "2026-04-30"})
        assert opened.status_code == 201, opened.text
        assert (await client.post(f"{API}/acceptance-batches", headers=ent, json={"name": "x", "year": 2026,
                                                                                  "closes_on": "2026-04-30"})).status_code == 403
        project = await project_step(client, ent, project, "acceptance", {**invoices, "batch_id": opened.json()["id"]})
        assert (project["state"], project["invoiced_fen"]) == ("acceptance_applied", 38 * WAN)
        await project_step(client, city, project, "decision", {"passed": True}, status=422)
        await project_step(client, city, project, "decision", {"passed": True, "verified_actual_investment_fen": 39 * WAN},
                           status=422)  # above the invoices
        # no on-site post-transformation assessment after completion yet (one before it does not count)
        await _assessment(settings.database_url, "ent-1", usccs["ent-1"], "before", "2026-03-01T02:00:00Z", 3)
        refused = await project_step(client, city, project, "decision", {"passed": True, "verified_actual_investment_fen": 37 * WAN},
                                     status=409)
        assert refused["code"] == "no_post_assessment"
        await _assessment(settings.database_url, "ent-1", usccs["ent-1"], "after", "2026-03-10T02:00:00Z", 2)
        project = await project_step(client, city, project, "decision",
                                     {"passed": True, "verified_actual_investment_fen": 37 * WAN})
        assert (project["state"], project["verified_actual_investment_fen"], project["post_level"]) == ("accepted", 37 * WAN, 2)
        # the S2 transformation subsidy on the accepted project: min(核定 38万, verified 37万) × 50%, reviewed and
        # approved by two people, with its trace
        app = await created(client, ent, "gz-s2-sme-pilot", "s2-transformation", project["id"])
        app = await step(client, ent, app, "submit")
        mismatch = await step(client, city, app, "review", {"inputs": {"approved_investment_fen": 40 * WAN, "batch_rate": "50%"}},
                              status=409)
        assert (mismatch["code"], mismatch["errors"][0]["field"]) == ("project_figures_mismatch", "body.inputs.approved_investment_fen")
        app = await step(client, city, app, "review", {"inputs": {"batch_rate": "50%"}})  # the figures come from the project
        assert app["trace"]["steps"][0]["inputs"] == {"approved_investment_fen": 38 * WAN, "verified_actual_investment_fen": 37 * WAN}
        await step(client, city, app, "approve", status=403)  # the reviewer never approves
        app = await step(client, issuer.headers(["city_officer"], sub="officer-b"), app, "approve")
        assert app["amount_fen"] == 185_000_00 and app["trace"]["steps"], app
        one = (await client.get(f"{API}/projects/{project['id']}", headers=city)).json()
        assert [r["kind"] for r in one["reports"]] == ["progress", "finding"]
        flagged = (await client.get(f"{API}/projects", headers=city, params={"flagged": "true"})).json()
        assert flagged["total"] == 1  # the price corridor
        # a project with the second unit runs when its title is revoked: flagged, and no new contract
        running = await project_step(client, ent, await _create(client, ent, _body("tu-2")), "submit")
        engine = create_engine(settings.database_url)
        async with session_factory(engine)() as s, s.begin():
            await s.execute(update(known_titles).where(known_titles.c.organisation_id == "tu-2").values(revoked_on=date(2026, 3, 9)))
            await flag_revoked_unit(s, ENVELOPE, TitleRevoked.model_construct(
                title_id="title-tu-2-traction_unit", title_number="T-tu-2-0", kind="traction_unit", organisation_id="tu-2",
                uscc=usccs["tu-2"], reason="年度评价不合格", revoked_on=date(2026, 3, 9), revoked_by="evaluation"))
        running = (await client.get(f"{API}/projects/{running['id']}", headers=ent)).json()
        assert running["flag"] and "撤销" in running["flag"]
        assert (await _create(client, ent, _body("tu-2"), 409))["code"] == "no_valid_title"
        # who sees what: the enterprise and its unit their own, another unit nothing
        assert (await client.get(f"{API}/projects", headers=unit)).json()["total"] == 1
        assert (await client.get(f"{API}/projects", headers=issuer.headers(["provider"], org="tu-x"))).json()["total"] == 0
        async with session_factory(engine)() as s:
            types = [r.type.rsplit(".", 3)[-2] for r in (await s.execute(
                select(outbox.c.type).where(outbox.c.type.like("%funding.project.%")).order_by(outbox.c.seq)))]
            contracted = (await s.execute(select(outbox.c.envelope).where(
                outbox.c.type.like("%funding.project.contracted%")).order_by(outbox.c.seq))).first()
        await engine.dispose()
        assert contracted is not None
        assert contracted.envelope["data"]["milestones"] == [{"name": "上线试运行", "due_on": "2026-06-30"}]
        assert types == ["contracted", "investment_approved", "progress_reported", "completed", "acceptance_applied",
                         "accepted", "contracted"], types


async def test_a_project_that_fails_acceptance(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    usccs = await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), ("tu-1", "traction_unit", None),
                       ("tp-1", "third_party", None), titles={"tu-1": ("traction_unit",)})
    await seed_project_facts(settings.database_url, pilots={"ent-1": (usccs["ent-1"], "baiyun")},
                             products={"prod-1": ("tu-1", PRICE)})
    issuer = stack.issuer
    ent, unit = issuer.headers(["enterprise"], org="ent-1"), issuer.headers(["provider"], org="tu-1")
    third, city = issuer.headers(["third_party"], org="tp-1"), issuer.headers(["city_officer"], sub="officer-a")
    async with service_client(create_app(settings)) as client:
        project = await project_step(client, ent, await _create(client, ent, _body("tu-1")), "submit")
        project = await project_step(client, third, project, "investment", {"approved_investment_fen": 38 * WAN})
        project = await project_step(client, unit, project, "progress", {"percent": 80, "text": "上线"})
        project = await project_step(client, unit, project, "complete")
        batch = await client.post(f"{API}/acceptance-batches", headers=city, json={"name": "2026年第一批", "year": 2026,
                                                                                   "closes_on": "2026-04-30"})
        project = await project_step(client, ent, project, "acceptance", {
            "batch_id": batch.json()["id"], "invoices": [{"number": "FP-1", "amount_fen": 38 * WAN}]})
        await project_step(client, ent, project, "decision", {"passed": False, "reasons": ["改造内容未完成"]}, status=403)
        await project_step(client, city, project, "decision", {"passed": False}, status=422)  # a failure gives its reasons
        project = await project_step(client, city, project, "decision", {"passed": False, "reasons": ["改造内容未完成"]})
        assert project["state"] == "failed"
        await project_step(client, city, project, "decision", {"passed": True, "verified_actual_investment_fen": WAN},
                           status=409)  # decided
        # the S2 subsidy is not reviewed on a project that did not pass
        app = await step(client, ent, await created(client, ent, "gz-s2-sme-pilot", "s2-transformation", project["id"]), "submit")
        refused = await step(client, city, app, "review", {"inputs": {"batch_rate": "50%"}}, status=409)
        assert refused["code"] == "project_not_accepted"
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as s:
        facts = [r.envelope for r in await s.execute(select(outbox.c.envelope).where(outbox.c.type.like("%funding.project.failed%")))]
    await engine.dispose()
    assert [f["data"]["reasons"] for f in facts] == [["改造内容未完成"]]
