"""Applications over HTTP against a real database: the whole path draft → submitted → reviewed → approved, the
two-person rule, the policy version by date, no double application, the ledger's caps, the replayed trace."""

from __future__ import annotations

from sqlalchemy import select

from funding.adapters.funding_tables import awards
from funding.main import create_app
from sihua_shared.contracts.funding import APPLICATION_APPROVED, APPLICATION_REJECTED, POLICY_VERSION_ACTIVATED
from sihua_shared.db import create_engine, session_factory
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, WAN, created, seed, step

S2 = "gz-s2-sme-pilot"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


async def _rows(url: str, table: object) -> list[dict[str, object]]:
    engine = create_engine(url)
    async with session_factory(engine)() as s:
        found = [dict(r) for r in (await s.execute(select(table))).mappings()]  # type: ignore[call-overload]
    await engine.dispose()
    return found


async def test_s2_transformation_from_draft_to_the_ledger_with_its_trace(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), ("ent-2", "enterprise", "huadu"), levels={"ent-1": 2})
    ent = stack.issuer.headers(["enterprise"], org="ent-1", sub="acct-ent-1")
    reviewer = stack.issuer.headers(["city_officer"], sub="officer-a")
    approver = stack.issuer.headers(["city_officer"], sub="officer-b")
    official = {"approved_investment_fen": 200 * WAN, "verified_actual_investment_fen": 150 * WAN, "batch_rate": "50%"}
    async with service_client(create_app(settings)) as client:
        app = await created(client, ent, S2, "s2-transformation", "proj-1")
        assert (app["state"], app["district"], app["draft_policy"]) == ("draft", "baiyun", False)
        # the applicant never sets official figures, and money is integer fen
        refused = await client.post(f"{API}/applications", headers=ent, json={
            "policy_id": S2, "measure_id": "s2-transformation", "project_id": "proj-x", "inputs": {"batch_rate": "50%"}})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.inputs.batch_rate"
        floats = await client.post(f"{API}/applications", headers=ent, json={
            "policy_id": S2, "measure_id": "s2-digital-loan", "project_id": "proj-x", "inputs": {"loan_contract_amount_fen": 1.5}})
        assert floats.status_code == 422
        app = await step(client, ent, app, "submit")
        # another enterprise sees nothing of it
        other = stack.issuer.headers(["enterprise"], org="ent-2")
        assert (await client.get(f"{API}/applications/{app['id']}", headers=other)).status_code == 404
        huadu = stack.issuer.headers(["district_officer"], district="huadu")
        assert (await client.get(f"{API}/applications", headers=huadu)).json()["total"] == 0
        baiyun = stack.issuer.headers(["district_officer"], district="baiyun")
        assert (await client.get(f"{API}/applications", headers=baiyun)).json()["total"] == 1
        # a review without the batch's rate names what is missing
        missing = await client.post(f"{API}/applications/{app['id']}/review", headers={**reviewer, "If-Match": f'"{app["version"]}"'},
                                    json={"inputs": {"approved_investment_fen": 200 * WAN}})
        assert missing.status_code == 422
        assert {e["field"] for e in missing.json()["errors"]} == {"inputs.batch_rate", "inputs.verified_actual_investment_fen"}
        app = await step(client, reviewer, app, "review", {"inputs": official, "note": "材料齐全"})
        assert (app["state"], app["computed_amount_fen"]) == ("reviewed", 60 * WAN)
        same = await client.post(f"{API}/applications/{app['id']}/approve", headers={**reviewer, "If-Match": f'"{app["version"]}"'})
        assert same.status_code == 403 and same.json()["code"] == "same_person"
        auditor = stack.issuer.headers(["auditor"])
        assert (await client.post(f"{API}/applications/{app['id']}/approve",
                                  headers={**auditor, "If-Match": f'"{app["version"]}"'})).status_code == 403
        stale = await client.post(f"{API}/applications/{app['id']}/approve", headers={**approver, "If-Match": '"1"'})
        assert stale.status_code == 412
        done = await step(client, approver, app, "approve")
        assert (done["state"], done["amount_fen"], done["decided_by"]) == ("approved", 60 * WAN, "officer-b")
        assert [s["rule"] for s in done["trace"]["steps"]] == [
            "base:approved_or_verified_lower", "share", "cap:level-cap", "condition:pilot>=1", "condition:level>=2"]
        again = await client.post(f"{API}/applications/{app['id']}/approve", headers={**approver, "If-Match": f'"{done["version"]}"'})
        assert again.status_code == 409
        replay = (await client.get(f"{API}/applications/{app['id']}/computation", headers=auditor)).json()
        assert replay["kind"] == "replay" and replay["same_as_decision"] is True
        assert replay["frozen"]["inputs"]["verified_actual_investment_fen"] == 150 * WAN and replay["frozen"]["facts"]["level"] == 2
        ledger = (await client.get(f"{API}/awards", headers=stack.issuer.headers(["finance"]))).json()
        assert [(a["uscc"], a["measure_id"], a["project_id"], a["amount_fen"]) for a in ledger["items"]] == [
            (done["applicant_uscc"], "s2-transformation", "proj-1", 60 * WAN)]
        # the loan-interest subsidy combines with the transformation subsidy for the same project (S2 四(一)1)
        loan = await created(client, ent, S2, "s2-digital-loan", "proj-1", loan_contract_amount_fen=1_000 * WAN,
                             actual_interest_paid_fen=25 * WAN, interest_period_start="2026-01-01")
        statement = await client.post(f"{API}/applications/{loan['id']}/evidence", headers=ent, data={"kind": "bank_interest_statement"},
                                      files={"file": ("利息单.pdf", PDF, "application/pdf")})
        assert statement.status_code == 201, statement.text
        loan = await step(client, ent, loan, "submit")
        # the bank's service client reports the interest actually paid: 20万, below the declared 25万
        bank = stack.issuer.headers(["service"], sub="bank-gateway")
        reported = await client.post(f"{API}/applications/{loan['id']}/reported-interest", headers=bank,
                                     json={"actual_interest_paid_fen": 20 * WAN, "source": "工商银行利息单 2026-001"})
        assert reported.status_code == 200, reported.text
        loan = await step(client, reviewer, reported.json(), "review", {"inputs": {}})
        loan = await step(client, approver, loan, "approve")
        assert loan["amount_fen"] == 20 * WAN
        frozen = (await client.get(f"{API}/applications/{loan['id']}/computation", headers=auditor)).json()["frozen"]
        assert frozen["evidence"] == [{"id": statement.json()["id"], "kind": "bank_interest_statement",
                                       "sha256": statement.json()["sha256"]}]
        assert frozen["inputs"]["actual_interest_paid_fen"] == 20 * WAN
        download = await client.get(f"{API}/applications/{loan['id']}/evidence/{statement.json()['id']}", headers=auditor)
        assert download.status_code == 200 and download.content == PDF
        # a further transformation project: the 二级 cap of 60万 is spent over the enterprise's projects
        second = await created(client, ent, S2, "s2-transformation", "proj-2")
        second = await step(client, ent, second, "submit")
        second = await step(client, reviewer, second, "review", {"inputs": official})
        assert second["computed_amount_fen"] == 0
        refused_cap = await client.post(f"{API}/applications/{second['id']}/approve",
                                        headers={**approver, "If-Match": f'"{second["version"]}"'})
        assert refused_cap.status_code == 409 and refused_cap.json()["code"] == "nothing_to_award"
        rejected = await step(client, approver, second, "reject", {"reasons": ["二级企业累计补助已达60万元"]})
        assert rejected["state"] == "rejected"
    facts = [r["type"] for r in await _rows(settings.database_url, outbox)]
    assert facts.count(APPLICATION_APPROVED.type) == 2
    assert POLICY_VERSION_ACTIVATED.type in facts and APPLICATION_REJECTED.type in facts
    assert len(await _rows(settings.database_url, awards)) == 2


async def test_no_double_application_expiry_and_draft_flag(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"), ("plat-1", "platform", "tianhe"))
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    plat = stack.issuer.headers(["provider"], org="plat-1")
    async with service_client(create_app(settings)) as client:
        # S0 expired on 2025-12-31: no new application
        expired = await client.post(f"{API}/applications", headers=ent, json={
            "policy_id": "gz-s0-sihua-platforms", "measure_id": "s0-transformation", "project_id": "p", "inputs": {}})
        assert expired.status_code == 422 and expired.json()["code"] == "policy_expired"
        # S1 is a draft: it computes, flagged
        chain = await created(client, ent, "gz-s1-digital-transformation", "s1-chain", "proj-9", project_total_fen=1_000 * WAN)
        assert chain["draft_policy"] is True
        edited = await client.put(f"{API}/applications/{chain['id']}/inputs", headers={**ent, "If-Match": f'"{chain["version"]}"'},
                                  json={"inputs": {"project_total_fen": 1_200 * WAN}})
        assert edited.status_code == 200 and edited.json()["inputs"] == {"project_total_fen": 1_200 * WAN}
        await step(client, ent, edited.json(), "submit")
        # the same project under another measure it may not combine with
        g5 = await created(client, ent, "gz-s1-digital-transformation", "s1-5g", "proj-9", project_total_fen=1_000 * WAN)
        clash = await client.post(f"{API}/applications/{g5['id']}/submit", headers={**ent, "If-Match": f'"{g5["version"]}"'})
        assert clash.status_code == 409 and clash.json()["code"] == "double_application"
        # entitlement: an enterprise does not apply for a platform's measure; a measure with no figure takes none
        assert (await client.post(f"{API}/applications", headers=ent, json={
            "policy_id": "gz-s2-sme-pilot", "measure_id": "s2-public-platform", "project_id": "p", "inputs": {}})).status_code == 403
        none = await client.post(f"{API}/applications", headers=ent, json={
            "policy_id": "gz-s1-digital-transformation", "measure_id": "s1-talent", "project_id": "p", "inputs": {}})
        assert none.status_code == 422 and none.json()["code"] == "measure_not_computable"
        assert (await created(client, plat, "gz-s2-sme-pilot", "s2-public-platform", "op-2026"))["applicant_kind"] == "platform"
        policies = (await client.get(f"{API}/policies", headers=ent)).json()
        status = {p["policy_id"]: p["status_today"] for p in policies["items"]}
        assert status == {"gz-s0-sihua-platforms": "expired", "gz-s1-digital-transformation": "draft", "gz-s2-sme-pilot": "in_force"}


async def test_an_uploaded_version_is_used_from_its_date_and_decisions_keep_theirs(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    await seed(settings.database_url, ("ent-1", "enterprise", "baiyun"))
    ent = stack.issuer.headers(["enterprise"], org="ent-1")
    city = stack.issuer.headers(["city_officer"], sub="officer-a")
    async with service_client(create_app(settings)) as client:
        versions = (await client.get(f"{API}/policies", headers=city, params={"policy_id": S2})).json()["items"]
        old = versions[0]["version_id"]
        shipped_text = (await _shipped_s2())
        bad = await client.post(f"{API}/policies", headers=city, json={"yaml_text": shipped_text.replace("rate: 3%", "rate: 0.03")})
        assert bad.status_code == 422
        guessed = shipped_text.replace("method: share", "method: guess", 1)
        broken = await client.post(f"{API}/policies", headers=city, json={"yaml_text": guessed})
        assert broken.status_code == 422 and any("measures" in e["field"] for e in broken.json()["errors"])
        assert (await client.post(f"{API}/policies", headers=ent, json={"yaml_text": shipped_text})).status_code == 403
        app = await created(client, ent, S2, "s2-digital-loan", "loan-1")
        assert app["policy_version_id"] == old
        newer = shipped_text.replace("valid_from: 2024-01-01", "valid_from: 2024-01-01\neffective_from: 2026-03-01").replace(
            "rate: 3%", "rate: 2%")
        uploaded = await client.post(f"{API}/policies", headers=city, json={"yaml_text": newer})
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["in_force_today"] is True
        submitted = await step(client, ent, app, "submit")
        assert submitted["policy_version_id"] == uploaded.json()["version_id"]
        assert (await client.post(f"{API}/policies", headers=city, json={"yaml_text": newer})).status_code == 409


async def _shipped_s2() -> str:
    from funding.domain.policies import shipped_texts

    return next(t for t in shipped_texts("guangzhou") if "gz-s2-sme-pilot" in t)
