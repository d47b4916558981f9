"""Issue 15's "done means", as far as today's facts allow, through the HTTP APIs with the facts on NATS: the real
registry grants the titles; diagnosis facts are published on NATS as diagnosis would; a cycle computes two key
platforms' indicators from those facts, one grades 优秀, the other fails, gets notice, does not rectify, appeals, loses
the appeal and receives a failing verdict — and the registry revokes its title; a traction unit's tier fact is
published; the sample is redrawn by hand from its seed and matches; the KPI chart renders."""

from __future__ import annotations

import hashlib
import hmac
import json
from contextlib import AsyncExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from evaluation.application.common import calendar
from evaluation.domain.model import shipped_models
from evaluation.main import create_app as create_evaluation
from registry.main import create_app as create_registry
from services.evaluation.tests.kit import if_match, ok
from sihua_shared.contracts.diagnosis import ASSESSMENT_COMPLETED, DIAGNOSIS_PROJECT_COMPLETED
from sihua_shared.events import EventSpec, new_event
from sihua_shared.tables import outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.faults.kit import publish_raw

from .helpers import facts_on_nats, rows, spec_of

REGISTRY = "/api/registry/v1"
EVAL = "/api/evaluation/v1"
DAY = date(2026, 12, 1)
SEED = "5eed" * 8
CHART = Path("/tmp/evaluation-kpis.png")
PLATFORM_SUBMITTED = ("contracts_signed", "acceptances_passed", "products_admitted", "product_adopters", "product_ratings",
                      "work_plan_attainment")
UNIT_SUBMITTED = ("acceptances_passed", "ecosystem_products", "contracts_signed", "acceptance_pass_rate")


def _model(shipped_id: str, new_id: str, full_at: dict[str, int], minimum: int = 2, submitted: tuple[str, ...] = ()) -> str:
    """A model version an official uploads: the shipped reading with scales for a small test city (and, where it
    says so, values submitted with evidence instead of computed)."""
    data = yaml.safe_load(shipped_models()[shipped_id].content)
    data["id"] = new_id
    data["parameters"]["min_enterprises_for_uplift"] = minimum
    for indicator in data["indicators"]:
        if indicator["id"] in full_at:
            indicator["scale"]["full_at"] = full_at[indicator["id"]]
        if indicator["id"] in submitted:
            indicator["source"] = {"kind": "submitted", "submitted_by": "provider"}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def _send(stack: Stack, spec: EventSpec[Any], data: dict[str, Any], subject: str) -> str:
    event = new_event(spec, spec.parse(data), subject=subject, aggregate_version=1)
    await publish_raw(stack.servers, spec.subject(stack.namespace), json.dumps(event.model_dump(mode="json")).encode(),
                      msg_id=event.id)
    return event.id


async def test_two_platforms_graded_from_facts_one_fails_through_due_process_and_loses_its_title(stack: Stack) -> None:
    registry_settings = await stack.settings("registry", business_date=DAY)
    evaluation_settings = await stack.settings("evaluation", business_date=DAY)
    await stack.create_streams("diagnosis")
    city = stack.issuer.headers(["city_officer"], sub="officer-1")
    other_officer = stack.issuer.headers(["city_officer"], sub="officer-2")
    evaluation_app = create_evaluation(evaluation_settings)
    async with AsyncExitStack() as running:
        registry = await running.enter_async_context(service_client(create_registry(registry_settings)))
        api = await running.enter_async_context(service_client(evaluation_app))
        await running.enter_async_context(running_worker(spec_of("registry"), registry_settings))
        await running.enter_async_context(running_worker(spec_of("evaluation"), evaluation_settings))

        async def org(n: int, kind: str, name: str) -> str:
            body = {"uscc": make_uscc(900 + n), "name": name, "kind": kind, "district": "huangpu",
                    "sector": "custom_furniture" if kind == "enterprise" else None}
            return str(ok(await registry.post(f"{REGISTRY}/organisations", json=body, headers=city), 201)["id"])

        good, bad, unit, third = (await org(1, "platform", "优秀平台有限公司"), await org(2, "platform", "落后平台有限公司"),
                                  await org(3, "traction_unit", "牵引单位有限公司"), await org(4, "third_party", "第三方机构有限公司"))
        ents = [await org(10 + n, "enterprise", f"家具企业{n}有限公司") for n in range(6)]
        titles = {}
        for provider, kind in ((good, "key_platform"), (bad, "key_platform"), (unit, "traction_unit")):
            titles[provider] = ok(await registry.post(f"{REGISTRY}/titles", headers=city, json={
                "organisation_id": provider, "kind": kind, "valid_from": "2026-01-01"}), 201)

        # diagnosis's facts: the good platform served e0 e1 (一级 → 三级), the weak one e2 e3 (一级 → 一级), the traction
        # unit e4 (一级 → 一级); e5 was served by nobody (一级 → 一级)
        served = {ents[0]: good, ents[1]: good, ents[2]: bad, ents[3]: bad, ents[4]: unit}
        project_events = {}
        for n, (enterprise, provider) in enumerate(served.items()):
            project_events[enterprise] = await _send(stack, DIAGNOSIS_PROJECT_COMPLETED, {
                "project_id": f"00000000-0000-4000-8000-00000000010{n}", "enterprise_id": enterprise,
                "provider_id": provider, "assessment_id": f"a-{n}", "report_id": f"r-{n}", "completed_on": "2026-06-01"},
                subject=f"project-{n}")
        assessment_events = {}
        for n, enterprise in enumerate(ents):
            post = 3 if served.get(enterprise) == good else 1
            for stage, level in (("baseline", 1), ("post_transformation", post)):
                example = dict(ASSESSMENT_COMPLETED.example or {})
                example.update(assessment_id=f"{stage}-{n}", enterprise_id=enterprise, uscc=make_uscc(910 + n),
                               stage=stage, kind="onsite", level=level)
                assessment_events[(enterprise, stage)] = await _send(stack, ASSESSMENT_COMPLETED, example, subject=f"{stage}-{n}")

        # one survey per served relationship, for that enterprise only
        async def surveys_of(enterprise: str) -> list[dict[str, Any]]:
            found = await api.get(f"{EVAL}/surveys", headers=stack.issuer.headers(["enterprise"], org=enterprise))
            return list(found.json()["items"]) if found.status_code == 200 else []

        async def all_surveys() -> bool:
            return all([len(await surveys_of(e)) == 1 for e in served]) and not await surveys_of(ents[5])

        await eventually(all_surveys, timeout=30)
        for enterprise, score in ((ents[0], 5), (ents[1], 5), (ents[2], 2), (ents[4], 5)):
            survey = (await surveys_of(enterprise))[0]
            me = stack.issuer.headers(["enterprise"], org=enterprise)
            body = {"answers": {q: score for q in ("q1", "q2", "q3", "q4")}}
            assert (await api.post(f"{EVAL}/surveys/{survey['id']}/answer", json=body,
                                   headers={**stack.issuer.headers(["enterprise"], org=ents[5]), **if_match(survey)})
                    ).status_code == 404  # another enterprise never answers it
            ok(await api.post(f"{EVAL}/surveys/{survey['id']}/answer", json=body, headers={**me, **if_match(survey)}))
            again = await api.post(f"{EVAL}/surveys/{survey['id']}/answer", json=body, headers={**me, "If-Match": "*"})
            assert again.status_code == 409  # once
        # providers see aggregates only, and not below three answers
        mine = ok(await api.get(f"{EVAL}/providers/{good}/satisfaction", headers=stack.issuer.headers(["provider"], org=good)))
        assert (mine["answered"], mine["mean_score"]) == (2, None)
        assert ok(await api.get(f"{EVAL}/providers/{good}/satisfaction", headers=city))["mean_score"] == "100.0"
        assert (await api.get(f"{EVAL}/providers/{bad}/satisfaction",
                              headers=stack.issuer.headers(["provider"], org=good))).status_code == 403

        # officials replace the shipped reading with versions scaled for this small city (no release)
        platform_model = ok(await api.post(f"{EVAL}/models", headers=city, json={"content": _model(
            "gz-key-platform-2026", "test-key-platform", {"enterprises_served": 2, "diagnoses_completed": 2},
            submitted=PLATFORM_SUBMITTED)}), 201)
        unit_model = ok(await api.post(f"{EVAL}/models", headers=city, json={"content": _model(
            "gz-traction-unit-2026", "test-traction-unit", {"pilot_enterprises_diagnosed": 1},
            submitted=UNIT_SUBMITTED)}), 201)
        cycle = ok(await api.post(f"{EVAL}/cycles", headers=city, json={
            "kind": "key_platform", "year": 2026, "model_version": platform_model["version_id"], "seed": SEED}), 201)
        unit_cycle = ok(await api.post(f"{EVAL}/cycles", headers=city, json={
            "kind": "traction_unit", "year": 2026, "model_version": unit_model["version_id"]}), 201)
        c, u = f"{EVAL}/cycles/{cycle['id']}", f"{EVAL}/cycles/{unit_cycle['id']}"

        # values submitted with evidence (their facts are not published yet)
        as_good, as_bad = stack.issuer.headers(["provider"], org=good), stack.issuer.headers(["provider"], org=bad)
        as_third = stack.issuer.headers(["third_party"], org=third)
        for indicator, value in (("contracts_signed", 20), ("acceptances_passed", 15), ("products_admitted", 5),
                                 ("product_adopters", 20), ("product_ratings", 5), ("work_plan_attainment", 100)):
            ok(await api.post(f"{c}/submissions", headers=as_good, json={
                "provider_id": good, "indicator_id": indicator, "value": value, "evidence": ["合同台账 2026-01"]}), 201)
        refused = await api.post(f"{c}/submissions", headers=as_bad, json={
            "provider_id": good, "indicator_id": "contracts_signed", "value": 0, "evidence": ["伪造"]})
        assert refused.status_code == 403  # a provider submits for itself only
        for provider, complaints in ((good, 0), (bad, 4)):
            ok(await api.post(f"{c}/submissions", headers=as_third, json={
                "provider_id": provider, "indicator_id": "complaints", "value": complaints, "evidence": ["投诉登记表"]}), 201)
        for indicator, value in (("acceptances_passed", 20), ("ecosystem_products", 10), ("scenarios_and_chain_cases", 4),
                                 ("contracts_signed", 20), ("acceptance_pass_rate", 100), ("milestones_on_time", 100)):
            ok(await api.post(f"{u}/submissions", headers=stack.issuer.headers(["provider"], org=unit), json={
                "provider_id": unit, "indicator_id": indicator, "value": value, "evidence": ["验收报告"]}), 201)

        # the sampling audit: drawn from the published seed, redrawn here by hand
        samples = {s["provider_id"]: s for s in ok(await api.post(f"{c}/samples", headers=city))}
        for provider, enterprises in ((good, [ents[0], ents[1]]), (bad, [ents[2], ents[3]])):
            by_hand = sorted(enterprises, key=lambda e: hmac.new(SEED.encode(), e.encode(), hashlib.sha256).hexdigest())[:5]
            assert samples[provider]["drawn"] == by_hand and samples[provider]["seed"] == SEED
        assert ok(await api.post(f"{c}/samples", headers=city)) == list(samples.values())  # drawn once
        outside = await api.post(f"{c}/findings", headers=as_third, json={
            "provider_id": bad, "enterprise_id": ents[0], "severity": "major", "summary": "不在样本中", "evidence": ["x1"]})
        assert outside.status_code == 422
        finding = ok(await api.post(f"{c}/findings", headers=as_third, json={
            "provider_id": bad, "enterprise_id": ents[2], "severity": "major", "summary": "诊断报告与现场情况不符",
            "evidence": ["现场核查记录 HC-2026-17", "照片 6 张"]}), 201)
        assert [f["id"] for f in ok(await api.get(f"{c}/findings", headers=as_good))] == []
        assert [f["id"] for f in ok(await api.get(f"{c}/findings", headers=as_bad))] == [finding["id"]]

        # the computation, with each value linked to the facts behind it
        results = {r["provider_id"]: r for r in ok(await api.post(f"{c}/compute", headers=city))}
        top, weak = results[good], results[bad]
        assert (top["grade"], top["score_milli"], top["support"]) == ("优秀", 100_000, True)
        values = {v["indicator_id"]: v for v in top["trace"]["indicators"]}
        assert sorted(values["enterprises_served"]["facts"]) == sorted(project_events[e] for e in (ents[0], ents[1]))
        assert values["adjusted_uplift"]["value"] == "2.000" and values["adjusted_uplift"]["n"] == 2
        assert values["adjusted_uplift"]["interval"] == ["2.000", "2.000"]
        assert assessment_events[(ents[0], "baseline")] in values["level_uplift"]["facts"]
        assert values["contracts_signed"]["source"] == "submitted"
        weak_values = {v["indicator_id"]: v for v in weak["trace"]["indicators"]}
        assert weak_values["adjusted_uplift"]["value"] == "-1.000"
        assert weak["grade"] == "不合格" and weak["trace"]["findings"][0]["finding_id"] == finding["id"]
        # a provider sees its own results only
        assert [r["provider_id"] for r in ok(await api.get(f"{EVAL}/results", headers=as_good))["items"]] == [good]
        assert (await api.get(f"{EVAL}/results/{weak['id']}", headers=as_good)).status_code == 404

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
        weak = ok(await api.post(f"{r}/{weak['id']}/appeal", headers={**as_bad, **if_match(weak)},
                                 json={"reason": "抽样企业情况已改善"}))
        twice = await api.post(f"{r}/{weak['id']}/appeal", headers={**as_bad, **if_match(weak)}, json={"reason": "再次申诉"})
        assert twice.status_code == 409
        decision = {"upheld": False, "reason": "复核无误，维持原结论"}
        same = await api.post(f"{r}/{weak['id']}/decide", headers={**city, **if_match(weak)}, json=decision)
        assert same.status_code == 403
        weak = ok(await api.post(f"{r}/{weak['id']}/decide", headers={**other_officer, **if_match(weak)}, json=decision))
        assert (weak["state"], weak["appeal_upheld"], weak["decided_by"]) == ("decided", False, "officer-2")
        weak = ok(await api.post(f"{r}/{weak['id']}/issue", headers={**city, **if_match(weak)}))
        assert weak["state"] == "issued"

        # the registry revokes the failing platform's title on the verdict; the good one keeps its title
        bad_title = f"{REGISTRY}/titles/{titles[bad]['id']}"

        async def revoked() -> Any:
            found = ok(await registry.get(bad_title, headers=city))
            return found if found["revoked_by"] == "evaluation" else None

        title = await eventually(revoked, timeout=30)
        assert title["revocation_reason"].startswith("年度评价不合格")
        assert ok(await registry.get(f"{REGISTRY}/titles/{titles[good]['id']}", headers=city))["revoked_on"] is None

        # the traction unit's cycle: computed, issued, closed → its tier is published for funding
        unit_result = ok(await api.post(f"{u}/compute", headers=city))[0]
        assert (unit_result["provider_id"], unit_result["tier"]) == (unit, "二档")
        ok(await api.post(f"{r}/{unit_result['id']}/issue", headers={**city, **if_match(unit_result)}))
        held = ok(await api.get(u, headers=city))
        ok(await api.post(f"{u}/close", headers={**city, **if_match(held)}))
        held = ok(await api.get(c, headers=city))
        closed = ok(await api.post(f"{c}/close", headers={**city, **if_match(held)}))
        assert closed["state"] == "closed"

        ranking = ok(await api.get(f"{c}/ranking", headers=city))
        assert [(e["provider_id"], e["rank"]) for e in ranking["ranked"]] == [(good, 1), (bad, 2)]
        public = await api.get(f"{EVAL}/published/rankings/{cycle['id']}")  # no sign-in: handbook §6
        assert public.status_code == 200 and public.json() == ranking, public.text
        hidden = await api.get(f"{EVAL}/published/rankings/{unit_cycle['id']}")  # traction units' cycles are not published
        assert hidden.status_code == 404, hidden.text

        chart = await api.get(f"{EVAL}/programme/kpis", params={"format": "png"}, headers=city)
        assert chart.status_code == 200 and chart.content[:8] == b"\x89PNG\r\n\x1a\n"
        CHART.write_bytes(chart.content)
        kpis = {k["key"]: k for k in ok(await api.get(f"{EVAL}/programme/kpis", headers=city))["kpis"]}
        assert kpis["enterprises_level2_plus"]["actual"] == 0  # at 三级, but no accepted transformation project
        # quality providers are the excellent-provider recognitions (issue 15 §6), not 优秀 grades: none granted here
        assert kpis["quality_providers"]["actual"] == 0
        assert kpis["enterprises_served_year"]["by_sector"] == {"custom_furniture": 5}
        assert kpis["products"]["actual"] == 0

        async def tier_on_nats() -> Any:
            facts = await facts_on_nats(stack, "evaluation")
            return [f for f in facts if f["type"].endswith("tier.assigned.v1")] or None

        tiers = await eventually(tier_on_nats, timeout=20)
    assert [(t["data"]["provider_id"], t["data"]["tier"], t["data"]["model_version"]) for t in tiers] == [
        (unit, "二档", unit_model["version_id"])]
    published = [e.envelope["type"].split(".")[4:6] for e in
                 await rows(evaluation_settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    for fact in (["cycle", "opened"], ["survey", "answered"], ["sample", "drawn"], ["finding", "recorded"],
                 ["result", "noticed"], ["result", "rectification_due"], ["result", "verdict_proposed"],
                 ["result", "appeal_filed"], ["result", "appeal_decided"], ["verdict", "issued"], ["tier", "assigned"],
                 ["cycle", "closed"]):
        assert fact in published, fact
