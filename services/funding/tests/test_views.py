"""Officials' views over HTTP: queues by state, budget use per fund source and measure, the forecast per fund
source and month, and a what-if that runs a changed policy against the live queue without writing anything."""

from __future__ import annotations

from datetime import date
from importlib import resources

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from funding.adapters.funding_tables import applications, policy_versions
from funding.main import create_app
from sihua_shared.db import create_engine, session_factory
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, WAN, approved, created, project_step, seed, seed_project_facts, step
from .test_payments import _order, _paid
from .test_projects import PRICE, _body, _create

LOAN = {"loan_contract_amount_fen": 100 * WAN, "actual_interest_paid_fen": 2 * WAN, "interest_period_start": "2026-01-01"}


async def _counts(url: str) -> tuple[int, list[int]]:
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        versions = (await s.execute(select(func.count()).select_from(policy_versions))).scalar_one()
        rows = (await s.execute(select(applications.c.version).order_by(applications.c.id))).scalars().all()
    await engine.dispose()
    return int(versions), [int(v) for v in rows]


async def test_queues_budget_use_forecast_and_a_what_if_that_writes_nothing(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=date(2026, 3, 10), payee_account_key=Fernet.generate_key().decode())
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), ("ent-2", "enterprise", "huangpu"),
               levels={"ent-1": 2, "ent-2": 2})
    ent, ent2 = stack.issuer.headers(["enterprise"], org="ent-1"), stack.issuer.headers(["enterprise"], org="ent-2")
    finance = stack.issuer.headers(["finance"], sub="fin-1", org="finance-bureau")
    a, b = stack.issuer.headers(["city_officer"], sub="officer-a"), stack.issuer.headers(["city_officer"], sub="officer-b")
    district = stack.issuer.headers(["district_officer"], district="huangpu")
    official = {"approved_investment_fen": 40 * WAN, "verified_actual_investment_fen": 40 * WAN, "batch_rate": "50%"}
    async with service_client(create_app(settings)) as client:
        for source, share in (("city", 6000), ("provincial", 4000)):
            made = await client.post(f"{API}/budgets", headers={**finance, "Idempotency-Key": f"b-{source}"}, json={
                "year": 2026, "measure_id": "s2-transformation", "fund_source": source, "amount_fen": 100 * WAN,
                "share_bp": share})
            assert made.status_code == 201, made.text
        award = await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-transformation", "proj-1", official=official)
        assert award["amount_fen"] == 20 * WAN
        paid_loan = await approved(client, ent, a, b, "gz-s2-sme-pilot", "s2-digital-loan", "loan-0", **LOAN)
        await _paid(client, finance, await _order(client, finance, paid_loan, tranche="whole"))
        claw = await client.post(f"{API}/applications/{paid_loan['id']}/clawbacks", headers=a,
                                 json={"reason": "double_funding", "amount_fen": WAN})
        assert claw.status_code == 201, claw.text
        await _order(client, finance, award, tranche="first", amount_fen=5 * WAN)
        await step(client, ent, await created(client, ent, "gz-s2-sme-pilot", "s2-digital-loan", "loan-1", **LOAN), "submit")
        waiting = await step(client, ent2, await created(client, ent2, "gz-s2-sme-pilot", "s2-digital-loan", "loan-2", **LOAN),
                             "submit")
        await step(client, a, waiting, "review", {"inputs": {}, "facts": {}})

        queues = (await client.get(f"{API}/views/queues", headers=a)).json()
        assert queues["applications"] == {"approved": 2, "submitted": 1, "reviewed": 1}, queues
        assert queues["payment_orders"] == {"ordered": 1, "paid": 1} and queues["clawbacks"] == {"open": 1}
        assert queues["oldest_waiting"]["orders_to_pay"] == "2026-03-10"
        mine = (await client.get(f"{API}/views/queues", headers=district)).json()
        assert mine["applications"] == {"reviewed": 1} and mine["payment_orders"] == {}
        assert (await client.get(f"{API}/views/queues", headers=ent)).status_code == 403

        use = (await client.get(f"{API}/views/budget-use", headers=finance, params={"year": 2026})).json()
        assert [(u["fund_source"], u["measure_id"], u["reserved_fen"], u["remaining_fen"], u["awards"], u["used_permille"])
                for u in use] == [("city", "s2-transformation", 12 * WAN, 88 * WAN, 1, 120),
                                  ("provincial", "s2-transformation", 8 * WAN, 92 * WAN, 1, 80)]

        forecast = (await client.get(f"{API}/views/forecast", headers=finance)).json()
        assert [(r["fund_source"], r["month"], r["committed_fen"], r["likely_clawback_fen"]) for r in forecast["items"]] == [
            ("city", "2026-03", 12 * WAN, 0), ("provincial", "2026-03", 8 * WAN, 0),
            ("unassigned", "2026-04", 0, WAN)], forecast  # the loan subsidy has no budget set
        assert set(forecast["estimates"]) == {"committed_fen", "in_progress_fen", "pending_acceptance_fen", "likely_clawback_fen"}

        before = await _counts(settings.database_url)
        text = (resources.files("funding.policies") / "guangzhou" / "s2-sme-pilot.yaml").read_text(encoding="utf-8")
        changed = text.replace("base: loan_contract_amount\n    rate: 3%", "base: loan_contract_amount\n    rate: 1%")
        assert changed != text
        run = await client.post(f"{API}/views/what-if", headers=finance, json={"yaml_text": changed})
        assert run.status_code == 200, run.text
        result = run.json()
        assert not result["written"] and result["policy_id"] == "gz-s2-sme-pilot"
        assert sorted((i["applicant_id"], i["state"], i["current_fen"], i["changed_fen"]) for i in result["items"]) == [
            ("ent-1", "submitted", 2 * WAN, WAN), ("ent-2", "reviewed", 2 * WAN, WAN)]
        assert [(e["applicant_id"], e["difference_fen"]) for e in result["enterprises"]] == [("ent-1", -WAN), ("ent-2", -WAN)]
        assert result["funds"] == [{"fund_source": "unassigned", "current_fen": 4 * WAN, "changed_fen": 2 * WAN,
                                    "difference_fen": -2 * WAN}]
        stored = await client.post(f"{API}/views/what-if", headers=finance, json={"version_id": award["policy_version_id"]})
        assert stored.status_code == 200 and stored.json()["total"]["difference_fen"] == 0, stored.text
        bad = await client.post(f"{API}/views/what-if", headers=finance, json={"yaml_text": "schema: nope"})
        assert bad.status_code == 422, bad.text
        nul = await client.post(f"{API}/views/what-if", headers=finance, json={"version_id": "gz-s2\u0000@x"})
        assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "body.version_id", nul.text
        assert (await client.post(f"{API}/views/what-if", headers=ent, json={"yaml_text": changed})).status_code == 403
        assert await _counts(settings.database_url) == before  # nothing written


async def test_the_forecast_counts_projects_in_progress_and_pending_acceptance(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    usccs = await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), ("ent-2", "enterprise", "baiyun"),
                       ("tu-1", "traction_unit", None), ("tp-1", "third_party", None), titles={"tu-1": ("traction_unit",)})
    await seed_project_facts(settings.database_url, pilots={"ent-1": (usccs["ent-1"], "baiyun"), "ent-2": (usccs["ent-2"], "baiyun")},
                             products={"prod-1": ("tu-1", PRICE)})
    issuer = stack.issuer
    unit, third = issuer.headers(["provider"], org="tu-1"), issuer.headers(["third_party"], org="tp-1")
    city, finance = issuer.headers(["city_officer"], sub="officer-a"), issuer.headers(["finance"], sub="fin-1")
    async with service_client(create_app(settings)) as client:
        for source, share in (("city", 6000), ("provincial", 4000)):
            made = await client.post(f"{API}/budgets", headers={**finance, "Idempotency-Key": f"b-{source}"}, json={
                "year": 2026, "measure_id": "s2-transformation", "fund_source": source, "amount_fen": 500 * WAN, "share_bp": share})
            assert made.status_code == 201, made.text
        batch = await client.post(f"{API}/acceptance-batches", headers=city, json={"name": "2026年第一批", "year": 2026,
                                                                                   "closes_on": "2026-04-30"})
        for org in ("ent-1", "ent-2"):
            ent = issuer.headers(["enterprise"], org=org)
            project = await project_step(client, ent, await _create(client, ent, _body("tu-1")), "submit")
            project = await project_step(client, third, project, "investment", {"approved_investment_fen": 38 * WAN})
            project = await project_step(client, unit, project, "progress", {"percent": 50, "text": "上线"})
            if org == "ent-2":  # completed and applied for acceptance with 30万 of invoices
                project = await project_step(client, unit, project, "complete")
                await project_step(client, ent, project, "acceptance", {
                    "batch_id": batch.json()["id"], "invoices": [{"number": "FP-1", "amount_fen": 30 * WAN}]})
        forecast = (await client.get(f"{API}/views/forecast", headers=finance)).json()
    # 38万 × 50% = 19万 in progress (month not known); min(38万, 30万) × 50% = 15万 after the batch closes; 60/40
    assert [(r["fund_source"], r["month"], r["in_progress_fen"], r["pending_acceptance_fen"]) for r in forecast["items"]] == [
        ("city", "2026-05", 0, 9 * WAN), ("city", "later", 114_000_00, 0),
        ("provincial", "2026-05", 0, 6 * WAN), ("provincial", "later", 76_000_00, 0)], forecast
