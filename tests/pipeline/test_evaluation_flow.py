"""Issue 15's "done means" in one test through the HTTP APIs with the facts on NATS. The real registry, catalog, funding
and evaluation run with their workers: the registry registers, titles and enrols; catalog admits the providers'
products and takes the key platform's work plan; funding takes the contracts for those products through acceptance;
diagnosis's facts (the edition, projects, assessments) and the registry's expert profiles are published on NATS as
their producers would. A traction-unit cycle computes two units' indicators from those facts: one grades 优秀, the
other fails, gets notice, does not rectify, appeals, loses the appeal and receives a failing verdict — after which the
registry revokes its title, catalog suspends its products and funding refuses its new contracts; the good unit's
tier is paid by funding (an s2-traction-tier application approved by two people, within the tier's cap). The key
platform's cycle grades it from its products, adopters, contracts and work plan; the sample is redrawn by hand from
its seed and matches; the KPI chart renders."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from contextlib import AsyncExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import select

from catalog.main import create_app as create_catalog
from evaluation.application.common import calendar
from evaluation.domain.model import shipped_models
from evaluation.main import create_app as create_evaluation
from funding.adapters.funding_tables import tiers as funding_tiers
from funding.main import create_app as create_funding
from registry.main import create_app as create_registry
from services.catalog.tests.kit import edition, expert, product
from services.evaluation.tests.kit import if_match, ok
from services.funding.tests.kit import approved, project_step
from sihua_shared.contracts.diagnosis import ASSESSMENT_COMPLETED, DIAGNOSIS_PROJECT_COMPLETED
from sihua_shared.events import EventPayload, EventSpec, new_event
from sihua_shared.tables import outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.faults.kit import publish_raw

from .helpers import facts_on_nats, rows, spec_of

REGISTRY, CATALOG, FUNDING, EVAL = "/api/registry/v1", "/api/catalog/v1", "/api/funding/v1", "/api/evaluation/v1"
DAY = date(2026, 12, 1)
NOON = "2026-12-01T04:00:00Z"  # noon in Shanghai on DAY: the assessments are taken on the day projects complete
SEED = "5eed" * 8
WAN = 1_000_000  # 1万元 in fen
SME = {"employees": 85, "revenue_wan": "4200"}
EXPERTS = ("exp-a", "exp-b", "exp-c")
UNIT_SUBMITTED = ("scenarios_and_chain_cases",)  # no fact computes it (the model says why)


def _model(shipped_id: str, new_id: str, full_at: dict[str, Any], minimum: int = 2) -> str:
    """A model version an official uploads: the shipped reading with scales for a small test city."""
    data = yaml.safe_load(shipped_models()[shipped_id].content)
    data["id"] = new_id
    data["parameters"]["min_enterprises_for_uplift"] = minimum
    for indicator in data["indicators"]:
        if indicator["id"] in full_at:
            indicator["scale"]["full_at"] = full_at[indicator["id"]]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def _publish(stack: Stack, spec: EventSpec[Any], payload: EventPayload, subject: str, time: str | None = None) -> str:
    event = new_event(spec, payload, subject=subject, aggregate_version=1)
    if time is not None:
        event = event.model_copy(update={"time": time})
    await publish_raw(stack.servers, spec.subject(stack.namespace), json.dumps(event.model_dump(mode="json")).encode(),
                      msg_id=event.id)
    return event.id


async def _send(stack: Stack, spec: EventSpec[Any], data: dict[str, Any], subject: str, time: str | None = None) -> str:
    return await _publish(stack, spec, spec.parse(data), subject, time)


async def _retrying(call: Any, status: int = 201, timeout: float = 30) -> dict[str, Any]:
    """A request that succeeds once a worker has caught up with the facts it needs."""
    async def attempt() -> Any:
        response: httpx.Response = await call()
        return response if response.status_code == status else None

    found: httpx.Response = await eventually(attempt, timeout=timeout)
    body: dict[str, Any] = found.json()
    return body


async def test_two_units_graded_from_real_facts_one_fails_loses_title_products_and_contracts_one_is_paid(
        stack: Stack, tmp_path: Path) -> None:
    settings = {name: await stack.settings(name, business_date=DAY) for name in ("registry", "catalog", "funding", "evaluation")}
    await stack.create_streams("diagnosis")
    issuer = stack.issuer
    city = issuer.headers(["city_officer"], sub="officer-1")
    other_officer = issuer.headers(["city_officer"], sub="officer-2")
    evaluation_app = create_evaluation(settings["evaluation"])
    async with AsyncExitStack() as running:
        registry = await running.enter_async_context(service_client(create_registry(settings["registry"])))
        catalog = await running.enter_async_context(service_client(create_catalog(settings["catalog"])))
        funding = await running.enter_async_context(service_client(create_funding(settings["funding"])))
        api = await running.enter_async_context(service_client(evaluation_app))
        for name in ("registry", "catalog", "funding", "evaluation"):
            await running.enter_async_context(running_worker(spec_of(name), settings[name]))

        async def org(n: int, kind: str, name: str) -> str:
            body = {"uscc": make_uscc(900 + n), "name": name, "kind": kind, "district": "baiyun",
                    **({"sector": "custom_furniture", **SME} if kind == "enterprise" else {})}
            return str(ok(await registry.post(f"{REGISTRY}/organisations", json=body, headers=city), 201)["id"])

        platform = await org(1, "platform", "优秀平台有限公司")
        good, bad = await org(2, "traction_unit", "牵引单位甲有限公司"), await org(3, "traction_unit", "牵引单位乙有限公司")
        third = await org(4, "third_party", "第三方机构有限公司")
        ents = [await org(10 + n, "enterprise", f"家具企业{n}有限公司") for n in range(6)]
        titles = {}
        for provider, kind in ((platform, "key_platform"), (good, "traction_unit"), (bad, "traction_unit")):
            titles[provider] = ok(await registry.post(f"{REGISTRY}/titles", headers=city, json={
                "organisation_id": provider, "kind": kind, "valid_from": "2026-01-01"}), 201)
        for enterprise in ents[:4]:
            ok(await registry.post(f"{REGISTRY}/pilot-pool", json={"enterprise_id": enterprise}, headers=city), 201)
        # what catalog needs from producers not running here: the edition in force, the expert pool
        spec, payload, _ = edition()
        await _publish(stack, spec, payload, "edition")
        for e in EXPERTS:
            spec, payload, _ = expert(e, None)
            await _publish(stack, spec, payload, e)

        # catalog: each provider's product through admission review (the panel drawn from the expert pool)
        as_provider = {p: issuer.headers(["provider"], sub=f"acct-{p}", org=p) for p in (platform, good, bad)}

        async def admitted(provider: str, name: str) -> dict[str, Any]:
            created = await _retrying(lambda: catalog.post(f"{CATALOG}/products", json=product(name), headers={
                **as_provider[provider], "Idempotency-Key": str(uuid.uuid4())}))

            async def attempt(action: str, who: dict[str, str]) -> httpx.Response:
                current = await catalog.get(f"{CATALOG}/products/{created['id']}", headers=city)
                return await catalog.post(f"{CATALOG}/products/{created['id']}/steps", json={"action": action, "reasons": []},
                                          headers={**who, "If-Match": current.headers["etag"]})

            async def step(action: str, who: dict[str, str]) -> dict[str, Any]:
                return ok(await attempt(action, who))

            await step("submit", as_provider[provider])
            await step("start_formal_check", city)
            await _retrying(lambda: attempt("pass_formal_check", city), status=200)  # once catalog knows the experts
            panel = ok(await catalog.get(f"{CATALOG}/products/{created['id']}/panel", headers=city))
            for member in panel["members"]:
                ok(await catalog.put(f"{CATALOG}/products/{created['id']}/scores", headers=issuer.headers(
                    ["expert"], sub=member["expert_id"]), json={"scores": {c["code"]: 8 for c in panel["rubric"]["criteria"]},
                                                                "comment": "同意入库"}))
            return await step("admit", city)

        products = {p: await admitted(p, n) for p, n in ((platform, "平台排产云"), (good, "甲设备联网"), (bad, "乙质量追溯"))}
        assert all(p["listing"] == "listed" for p in products.values())
        ok(await catalog.post(f"{CATALOG}/work-plans", headers=as_provider[platform], json={
            "year": 2026, "targets": [{"sector": "custom_furniture", "enterprises_to_serve": 2, "products_to_apply": 1}]}), 201)

        # diagnosis's facts: the platform served e0 e1 (一级 → 三级), unit 甲 e2 (一级 → 二级), unit 乙 e3 (一级 → 一级);
        # e4, e5 nobody (一级 → 一级)
        served = {ents[0]: platform, ents[1]: platform, ents[2]: good, ents[3]: bad}
        post = {ents[0]: 3, ents[1]: 3, ents[2]: 2}
        project_events = {}
        for n, (enterprise, provider) in enumerate(served.items()):
            project_events[enterprise] = await _send(stack, DIAGNOSIS_PROJECT_COMPLETED, {
                "project_id": f"00000000-0000-4000-8000-00000000010{n}", "enterprise_id": enterprise,
                "provider_id": provider, "assessment_id": f"a-{n}", "report_id": f"r-{n}", "completed_on": "2026-06-01"},
                subject=f"project-{n}")
        assessment_events = {}
        for n, enterprise in enumerate(ents):
            for stage, level in (("baseline", 1), ("post_transformation", post.get(enterprise, 1))):
                example = dict(ASSESSMENT_COMPLETED.example or {})
                example.update(assessment_id=f"{stage}-{n}", enterprise_id=enterprise, uscc=make_uscc(910 + n),
                               stage=stage, kind="onsite", level=level, official_record=True)
                assessment_events[(enterprise, stage)] = await _send(stack, ASSESSMENT_COMPLETED, example,
                                                                     subject=f"{stage}-{n}", time=NOON)

        # funding: e0 and e1 contract unit 甲 for the platform's product (e0 also 甲's own), e3 contracts unit 乙 for its
        # product; the first two pass acceptance, the third fails
        as_ent = {e: issuer.headers(["enterprise"], org=e) for e in ents}
        as_third = issuer.headers(["third_party"], sub="acct-third", org=third)
        batch = ok(await funding.post(f"{FUNDING}/acceptance-batches", headers=city, json={
            "name": "2026年第二批", "year": 2026, "closes_on": "2026-12-31"}), 201)

        def line(provider: str) -> dict[str, Any]:
            return {"product_id": products[provider]["id"], "version": 1, "package_code": "basic", "quantity": 1,
                    "unit_price_fen": 1_980_000}

        async def contract(enterprise: str, unit: str, *suppliers: str) -> dict[str, Any]:
            body = {"traction_unit_id": unit, "contract_number": f"HT-{enterprise[:8]}", "contract_amount_fen": 40 * WAN,
                    "declared_investment_fen": 40 * WAN, "milestones": [{"name": "上线试运行", "due_on": "2026-12-20"}],
                    "lines": [line(s) for s in suppliers]}
            return await _retrying(lambda: funding.post(f"{FUNDING}/projects", json=body, headers={
                **as_ent[enterprise], "Idempotency-Key": str(uuid.uuid4())}))

        async def through_acceptance(project: dict[str, Any], enterprise: str, unit: str, passed: bool) -> dict[str, Any]:
            project = await project_step(funding, as_ent[enterprise], project, "submit")
            project = await project_step(funding, as_third, project, "investment", {"approved_investment_fen": 38 * WAN})
            project = await project_step(funding, as_provider[unit], project, "progress",
                                         {"percent": 100, "milestone": "上线试运行", "text": "系统上线"})
            project = await project_step(funding, as_provider[unit], project, "complete")
            project = await project_step(funding, as_ent[enterprise], project, "acceptance", {
                "invoices": [{"number": f"FP-{enterprise[:6]}", "amount_fen": 38 * WAN}], "batch_id": batch["id"]})
            decision = ({"passed": True, "verified_actual_investment_fen": 37 * WAN} if passed
                        else {"passed": False, "reasons": ["改造内容未完成"]})
            return await _retrying(lambda: funding.post(
                f"{FUNDING}/projects/{project['id']}/decision", json=decision,
                headers={**city, "If-Match": f'"{project["version"]}"'}), status=200)

        contracts = [(ents[0], good, (platform, good), True), (ents[1], good, (platform,), True), (ents[3], bad, (bad,), False)]
        decided = {e: await through_acceptance(await contract(e, u, *s), e, u, passed) for e, u, s, passed in contracts}
        assert [decided[e]["state"] for e, *_ in contracts] == ["accepted", "accepted", "failed"]

        # one survey per served relationship — a diagnosis project, or a contract that passed acceptance — for that
        # enterprise only
        async def surveys_of(enterprise: str) -> list[dict[str, Any]]:
            found = await api.get(f"{EVAL}/surveys", headers=as_ent[enterprise])
            return list(found.json()["items"]) if found.status_code == 200 else []

        expected = {ents[0]: 2, ents[1]: 2, ents[2]: 1, ents[3]: 1, ents[4]: 0, ents[5]: 0}

        async def all_surveys() -> bool:
            return all([len(await surveys_of(e)) == n for e, n in expected.items()])

        await eventually(all_surveys, timeout=30)
        contract_surveys = [s for e in ents for s in await surveys_of(e) if s["relationship"] == "transformation_project"]
        assert sorted((s["enterprise_id"], s["provider_id"]) for s in contract_surveys) == sorted(
            [(ents[0], good), (ents[1], good)])  # the failed contract opens none
        scores = {ents[0]: 5, ents[1]: 5, ents[2]: 5, ents[3]: 2}
        for enterprise, score in scores.items():
            for survey in await surveys_of(enterprise):
                body = {"answers": {q: score for q in ("q1", "q2", "q3", "q4")}}
                assert (await api.post(f"{EVAL}/surveys/{survey['id']}/answer", json=body,
                                       headers={**as_ent[ents[5]], **if_match(survey)})).status_code == 404
                ok(await api.post(f"{EVAL}/surveys/{survey['id']}/answer", json=body,
                                  headers={**as_ent[enterprise], **if_match(survey)}))
                again = await api.post(f"{EVAL}/surveys/{survey['id']}/answer", json=body,
                                       headers={**as_ent[enterprise], "If-Match": "*"})
                assert again.status_code == 409  # once
        # providers see aggregates only: unit 甲 has three answers (e2's diagnosis, e0's and e1's contracts)
        mine = ok(await api.get(f"{EVAL}/providers/{good}/satisfaction", headers=as_provider[good]))
        assert (mine["answered"], mine["mean_score"]) == (3, "100.0") and "enterprise_id" not in json.dumps(mine)
        theirs = ok(await api.get(f"{EVAL}/providers/{bad}/satisfaction", headers=as_provider[bad]))
        assert (theirs["answered"], theirs["mean_score"]) == (1, None)
        assert (await api.get(f"{EVAL}/providers/{bad}/satisfaction", headers=as_provider[good])).status_code == 403

        # officials replace the shipped readings with versions scaled for this small city (no release)
        platform_model = ok(await api.post(f"{EVAL}/models", headers=city, json={"content": _model(
            "gz-key-platform-2026", "test-key-platform", {"enterprises_served": 2, "diagnoses_completed": 2,
                                                          "contracts_signed": 2, "acceptances_passed": 2,
                                                          "products_admitted": 1, "product_adopters": 2})}), 201)
        unit_model = ok(await api.post(f"{EVAL}/models", headers=city, json={"content": _model(
            "gz-traction-unit-2026", "test-traction-unit", {"pilot_enterprises_diagnosed": 1, "adjusted_uplift": 0.2,
                                                            "contracts_signed": 2, "acceptances_passed": 2,
                                                            "ecosystem_products": 1}, minimum=1)}), 201)
        assert [i.id for i in shipped_models()["gz-traction-unit-2026"].model.indicators
                if i.source.kind == "submitted"] == list(UNIT_SUBMITTED)
        cycle = ok(await api.post(f"{EVAL}/cycles", headers=city, json={
            "kind": "key_platform", "year": 2026, "model_version": platform_model["version_id"], "seed": SEED}), 201)
        unit_cycle = ok(await api.post(f"{EVAL}/cycles", headers=city, json={
            "kind": "traction_unit", "year": 2026, "model_version": unit_model["version_id"], "seed": SEED}), 201)
        c, u = f"{EVAL}/cycles/{cycle['id']}", f"{EVAL}/cycles/{unit_cycle['id']}"

        # only what no fact computes is submitted with evidence
        complaints = await api.post(f"{c}/submissions", headers=as_third, json={
            "provider_id": platform, "indicator_id": "complaints", "value": 0, "evidence": ["投诉登记表"]})
        assert complaints.status_code == 422  # computed from the complaints a city officer upheld
        refused = await api.post(f"{c}/submissions", headers=as_provider[platform], json={
            "provider_id": platform, "indicator_id": "contracts_signed", "value": 99, "evidence": ["自报"]})
        assert refused.status_code == 422  # computed from funding's facts: nobody submits it
        ok(await api.post(f"{u}/submissions", headers=as_provider[good], json={
            "provider_id": good, "indicator_id": "scenarios_and_chain_cases", "value": 5, "evidence": ["验收报告"]}), 201)
        refused = await api.post(f"{u}/submissions", headers=as_provider[good], json={
            "provider_id": good, "indicator_id": "milestones_on_time", "value": 100, "evidence": ["自报"]})
        assert refused.status_code == 422  # computed from funding's milestones and progress reports
        refused = await api.post(f"{u}/submissions", headers=as_provider[bad], json={
            "provider_id": good, "indicator_id": "scenarios_and_chain_cases", "value": 0, "evidence": ["伪造"]})
        assert refused.status_code == 403  # a provider submits for itself only

        # the sampling audit: drawn from the published seed, redrawn here by hand
        samples = {s["provider_id"]: s for s in ok(await api.post(f"{c}/samples", headers=city))}
        by_hand = sorted([ents[0], ents[1]], key=lambda e: hmac.new(SEED.encode(), e.encode(), hashlib.sha256).hexdigest())[:5]
        assert samples[platform]["drawn"] == by_hand and samples[platform]["seed"] == SEED
        assert ok(await api.post(f"{c}/samples", headers=city)) == list(samples.values())  # drawn once
        unit_samples = {s["provider_id"]: s for s in ok(await api.post(f"{u}/samples", headers=city))}
        assert unit_samples[bad]["drawn"] == [ents[3]]
        outside = await api.post(f"{u}/findings", headers=as_third, json={
            "provider_id": bad, "enterprise_id": ents[0], "severity": "major", "summary": "不在样本中", "evidence": ["x1"]})
        assert outside.status_code == 422
        finding = ok(await api.post(f"{u}/findings", headers=as_third, json={
            "provider_id": bad, "enterprise_id": ents[3], "severity": "major", "summary": "改造内容与合同不符",
            "evidence": ["现场核查记录 HC-2026-17", "照片 6 张"]}), 201)
        assert [f["id"] for f in ok(await api.get(f"{u}/findings", headers=as_provider[good]))] == []
        assert [f["id"] for f in ok(await api.get(f"{u}/findings", headers=as_provider[bad]))] == [finding["id"]]

        # the computation, each value linked to the facts behind it
        results = {r["provider_id"]: r for r in ok(await api.post(f"{u}/compute", headers=city))}
        top, weak = results[good], results[bad]
        values = {v["indicator_id"]: v for v in top["trace"]["indicators"]}
        assert (top["grade"], top["score_milli"], top["tier"], top["support"]) == ("优秀", 100_000, "一档", True), values
        assert values["acceptances_passed"]["value"] == "2" and len(values["acceptances_passed"]["facts"]) == 2
        assert (values["acceptance_pass_rate"]["value"], values["acceptance_pass_rate"]["n"]) == ("100.000", 2)
        assert values["contracts_signed"]["source"] == "computed" and len(values["contracts_signed"]["facts"]) == 2
        assert values["ecosystem_products"]["value"] == "1"
        assert values["satisfaction"]["n"] == 3 and values["adjusted_uplift"]["value"] == "0.200"
        assert values["pilot_enterprises_diagnosed"]["facts"] == [project_events[ents[2]]]
        weak_values = {v["indicator_id"]: v for v in weak["trace"]["indicators"]}
        assert (weak_values["acceptance_pass_rate"]["value"], weak_values["acceptances_passed"]["value"]) == ("0.000", "0")
        assert weak_values["adjusted_uplift"]["value"] == "-1.000"
        assert weak["grade"] == "不合格" and weak["trace"]["findings"][0]["finding_id"] == finding["id"]
        assert [r["provider_id"] for r in ok(await api.get(f"{EVAL}/results", headers=as_provider[good]))["items"]] == [good]
        assert (await api.get(f"{EVAL}/results/{weak['id']}", headers=as_provider[good])).status_code == 404

        r = f"{EVAL}/results"
        top = ok(await api.post(f"{r}/{top['id']}/issue", headers={**city, **if_match(top)}))
        assert (top["state"], top["issued_on"]) == ("issued", DAY.isoformat())
        refused = await api.post(f"{r}/{weak['id']}/issue", headers={**city, **if_match(weak)})
        assert refused.status_code == 409 and refused.json()["code"] == "notice_first"

        # notice → rectification window in working days → no rectification → re-check → proposed verdict
        weak = ok(await api.post(f"{r}/{weak['id']}/notify", headers={**city, **if_match(weak)}))
        due = calendar().add_working_days(DAY, 20)
        assert (weak["state"], weak["rectification_due"]) == ("rectifying", due.isoformat())
        early = await api.post(f"{r}/{weak['id']}/recheck", headers={**city, **if_match(weak)})
        assert early.status_code == 409 and early.json()["code"] == "window_open"
        evaluation_app.state.clock.pin(due + timedelta(days=1))
        weak = ok(await api.post(f"{r}/{weak['id']}/recheck", headers={**city, **if_match(weak)}))
        assert (weak["state"], weak["grade"], weak["proposed_by"]) == ("proposed", "不合格", "officer-1")

        # one appeal, within the window, decided by another official
        weak = ok(await api.post(f"{r}/{weak['id']}/appeal", headers={**as_provider[bad], **if_match(weak)},
                                 json={"reason": "抽样企业情况已改善"}))
        twice = await api.post(f"{r}/{weak['id']}/appeal", headers={**as_provider[bad], **if_match(weak)},
                               json={"reason": "再次申诉"})
        assert twice.status_code == 409
        decision = {"upheld": False, "reason": "复核无误，维持原结论"}
        same = await api.post(f"{r}/{weak['id']}/decide", headers={**city, **if_match(weak)}, json=decision)
        assert same.status_code == 403
        weak = ok(await api.post(f"{r}/{weak['id']}/decide", headers={**other_officer, **if_match(weak)}, json=decision))
        assert (weak["state"], weak["appeal_upheld"], weak["decided_by"]) == ("decided", False, "officer-2")
        weak = ok(await api.post(f"{r}/{weak['id']}/issue", headers={**city, **if_match(weak)}))
        assert weak["state"] == "issued"

        # the failing verdict: the registry revokes unit 乙's title, catalog suspends its product, funding refuses
        # its new contracts; unit 甲 keeps all three
        bad_title = f"{REGISTRY}/titles/{titles[bad]['id']}"

        async def revoked() -> Any:
            found = ok(await registry.get(bad_title, headers=city))
            return found if found["revoked_by"] == "evaluation" else None

        title = await eventually(revoked, timeout=30)
        assert title["revocation_reason"].startswith("年度评价不合格")
        assert ok(await registry.get(f"{REGISTRY}/titles/{titles[good]['id']}", headers=city))["revoked_on"] is None

        async def suspended() -> Any:
            found = ok(await catalog.get(f"{CATALOG}/products/{products[bad]['id']}", headers=city))
            return found if found["listing"] == "suspended" else None

        await eventually(suspended, timeout=30)
        assert ok(await catalog.get(f"{CATALOG}/products/{products[good]['id']}", headers=city))["listing"] == "listed"
        new_contract = {"traction_unit_id": bad, "contract_number": "HT-NEW", "contract_amount_fen": 10 * WAN,
                        "declared_investment_fen": 10 * WAN, "lines": [line(platform)]}

        async def refused_contract() -> Any:
            answer = await funding.post(f"{FUNDING}/projects", json=new_contract, headers={
                **as_ent[ents[2]], "Idempotency-Key": str(uuid.uuid4())})
            return answer if answer.status_code == 409 else None

        refusal = await eventually(refused_contract, timeout=30)
        assert refusal.json()["code"] == "no_valid_title"
        still = await funding.post(f"{FUNDING}/projects", json={**new_contract, "traction_unit_id": good}, headers={
            **as_ent[ents[2]], "Idempotency-Key": str(uuid.uuid4())})
        assert still.status_code == 201, still.text

        # the traction units' cycle closes → unit 甲's tier is published and funding pays it within the tier's cap
        held = ok(await api.get(u, headers=city))
        ok(await api.post(f"{u}/close", headers={**city, **if_match(held)}))

        async def tier_known() -> Any:
            return await rows(settings["funding"].database_url, select(funding_tiers)) or None

        assert [(t.provider_id, t.tier) for t in await eventually(tier_known, timeout=30)] == [(good, "一档")]
        award = await approved(funding, as_provider[good], city, other_officer, "gz-s2-sme-pilot", "s2-traction-tier",
                               unit_cycle["id"], official={"proposed_fen": 120 * WAN, "proposal_reason": "完成改造验收企业 2 家"})
        assert (award["state"], award["amount_fen"]) == ("approved", 100 * WAN)  # 一档: at most 100万
        assert [s["rule"] for s in award["trace"]["steps"]] == ["proposed", "cap:tier-cap"]

        # the key platform: graded from its products, adopters, contracts, work plan and diagnoses
        platform_result = ok(await api.post(f"{c}/compute", headers=city))[0]
        pv = {v["indicator_id"]: v for v in platform_result["trace"]["indicators"]}
        assert (pv["products_admitted"]["value"], pv["product_adopters"]["value"], pv["contracts_signed"]["value"],
                pv["acceptances_passed"]["value"], pv["work_plan_attainment"]["value"]) == ("1", "2", "2", "2", "100.000")
        assert sorted(pv["enterprises_served"]["facts"]) == sorted(project_events[e] for e in (ents[0], ents[1]))
        assert assessment_events[(ents[0], "baseline")] in pv["level_uplift"]["facts"]
        assert pv["product_ratings"]["value"] is None  # no adopter rated it (catalog's ratings follow group purchases)
        assert (platform_result["grade"], platform_result["score_milli"]) == ("优秀", 95_000), pv
        ok(await api.post(f"{r}/{platform_result['id']}/issue", headers={**city, **if_match(platform_result)}))
        held = ok(await api.get(c, headers=city))
        assert ok(await api.post(f"{c}/close", headers={**city, **if_match(held)}))["state"] == "closed"
        ranking = ok(await api.get(f"{c}/ranking", headers=city))
        assert [(e["provider_id"], e["rank"]) for e in ranking["ranked"]] == [(platform, 1)]
        public = await api.get(f"{EVAL}/published/rankings/{cycle['id']}")  # no sign-in: handbook §6
        assert public.status_code == 200 and public.json() == ranking, public.text
        hidden = await api.get(f"{EVAL}/published/rankings/{unit_cycle['id']}")  # traction units' cycles are not published
        assert hidden.status_code == 404, hidden.text

        chart = await api.get(f"{EVAL}/programme/kpis", params={"format": "png"}, headers=city)
        assert chart.status_code == 200 and chart.content[:8] == b"\x89PNG\r\n\x1a\n"
        (tmp_path / "evaluation-kpis.png").write_bytes(chart.content)  # to look at
        kpis = {k["key"]: k for k in ok(await api.get(f"{EVAL}/programme/kpis", headers=city))["kpis"]}
        assert kpis["enterprises_level2_plus"]["actual"] == 2  # e0, e1: accepted and at 三级 (e2 at 二级, no project)
        assert kpis["products"]["actual"] == 3  # the suspended one still counts: admitted, not delisted
        assert kpis["quality_providers"]["actual"] == 0 and kpis["clusters"]["actual"] == 0
        assert kpis["enterprises_served_year"]["by_sector"] == {"custom_furniture": 4}

        async def tier_on_nats() -> Any:
            facts = await facts_on_nats(stack, "evaluation")
            return [f for f in facts if f["type"].endswith("tier.assigned.v1")] or None

        published_tiers = await eventually(tier_on_nats, timeout=20)
    assert [(t["data"]["provider_id"], t["data"]["tier"], t["data"]["model_version"]) for t in published_tiers] == [
        (good, "一档", unit_model["version_id"])]
    published = [e.envelope["type"].split(".")[4:6] for e in
                 await rows(settings["evaluation"].database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    for fact in (["cycle", "opened"], ["survey", "answered"], ["sample", "drawn"], ["finding", "recorded"],
                 ["result", "noticed"], ["result", "rectification_due"], ["result", "verdict_proposed"],
                 ["result", "appeal_filed"], ["result", "appeal_decided"], ["verdict", "issued"], ["tier", "assigned"],
                 ["cycle", "closed"]):
        assert fact in published, fact
