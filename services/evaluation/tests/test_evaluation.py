"""The evaluation service over HTTP against a real database: models refused on upload, facts kept once, quarterly
progress checks, the appeal window and an upheld appeal, a verdict without appeal, training person-times, KPIs as
XLSX."""

from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from evaluation.adapters.eval_tables import evaluation_facts, surveys
from evaluation.application.common import calendar
from evaluation.main import create_app
from sihua_shared.tables import audit_log
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import API, DAY, if_match, ok, seed


async def test_due_process_windows_appeals_and_the_facts_kept_once(stack: Stack) -> None:
    settings = await stack.settings("evaluation", business_date=DAY)
    served = (("p1", "e1"), ("p2", "e2"))
    await seed(settings.database_url, ("e1", "enterprise", "huangpu", "custom_furniture"),
               ("e2", "enterprise", "tianhe", "auto_parts"), ("p1", "platform", None, None), ("p2", "platform", None, None),
               titles=(("p1", "key_platform"), ("p2", "key_platform")), served=served)
    await seed(settings.database_url, served=served)  # the same facts redelivered: kept once, one survey each
    assert (await rows(settings.database_url, select(func.count()).select_from(evaluation_facts)))[0][0] == 2
    assert (await rows(settings.database_url, select(func.count()).select_from(surveys)))[0][0] == 2
    city, second = stack.issuer.headers(["city_officer"], sub="c1"), stack.issuer.headers(["city_officer"], sub="c2")
    app = create_app(settings)
    async with service_client(app) as client:
        broken = await client.post(f"{API}/models", headers=city, json={"content": "id: x\nkind: key_platform\n"})
        assert broken.status_code == 422 and broken.json()["code"] == "model_invalid"
        assert all(e["field"].startswith("body.content") for e in broken.json()["errors"])

        cycle = ok(await client.post(f"{API}/cycles", headers=city, json={"kind": "key_platform", "year": 2026}), 201)
        again = await client.post(f"{API}/cycles", headers=city, json={"kind": "key_platform", "year": 2026})
        assert again.status_code == 409
        # the first quarter's progress check counts nothing of June
        first = ok(await client.post(f"{API}/cycles/{cycle['id']}/compute", params={"quarter": 1}, headers=city))
        served_q1 = {v["indicator_id"]: v for v in first[0]["trace"]["indicators"]}["enterprises_served"]
        assert (served_q1["value"], first[0]["trace"]["quarter"]) == ("0", 1)
        results = {r["provider_id"]: r for r in ok(await client.post(f"{API}/cycles/{cycle['id']}/compute", headers=city))}
        served_now = {v["indicator_id"]: v for v in results["p1"]["trace"]["indicators"]}["enterprises_served"]
        assert (served_now["value"], served_now["facts"]) == ("1", ["project-fact-0"])
        assert ok(await client.get(f"{API}/cycles/{cycle['id']}", headers=city))["last_check_quarter"] == 4
        # with the shipped model and one enterprise each, both fail
        one, two = results["p1"], results["p2"]
        assert (one["grade"], two["grade"]) == ("不合格", "不合格") and one["reasons"]

        r = f"{API}/results"
        one = ok(await client.post(f"{r}/{one['id']}/notify", headers={**city, **if_match(one)}))
        two = ok(await client.post(f"{r}/{two['id']}/notify", headers={**city, **if_match(two)}))
        # a progress check leaves results in due process alone
        recomputed = {x["provider_id"]: x for x in ok(await client.post(f"{API}/cycles/{cycle['id']}/compute", headers=city))}
        assert recomputed["p1"]["version"] == one["version"]
        clock = app.state.clock
        clock.pin(date.fromisoformat(one["rectification_due"]) + timedelta(days=1))
        one = ok(await client.post(f"{r}/{one['id']}/recheck", headers={**city, **if_match(one)}))
        two = ok(await client.post(f"{r}/{two['id']}/recheck", headers={**city, **if_match(two)}))
        until = calendar().add_working_days(clock.today(), 10)
        assert one["appeal_until"] == until.isoformat()

        # p1 appeals and wins: another officer changes the grade; p2 lets the window pass
        p1 = stack.issuer.headers(["provider"], org="p1")
        one = ok(await client.post(f"{r}/{one['id']}/appeal", headers={**p1, **if_match(one)}, json={"reason": "数据遗漏"}))
        missing = await client.post(f"{r}/{one['id']}/decide", headers={**second, **if_match(one)},
                                    json={"upheld": True, "reason": "补充材料属实"})
        assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.grade"
        one = ok(await client.post(f"{r}/{one['id']}/decide", headers={**second, **if_match(one)},
                                   json={"upheld": True, "grade": "合格", "reason": "补充材料属实"}))
        one = ok(await client.post(f"{r}/{one['id']}/issue", headers={**city, **if_match(one)}))
        assert (one["grade"], one["computed_grade"], one["state"]) == ("合格", "不合格", "issued")
        early = await client.post(f"{r}/{two['id']}/issue", headers={**city, **if_match(two)})
        assert early.status_code == 409 and early.json()["code"] == "window_open"
        clock.pin(until + timedelta(days=1))
        late = await client.post(f"{r}/{two['id']}/appeal", headers={**stack.issuer.headers(["provider"], org="p2"),
                                                                    **if_match(two)}, json={"reason": "逾期申诉"})
        assert late.status_code == 409 and late.json()["code"] == "appeal_window_closed"
        two = ok(await client.post(f"{r}/{two['id']}/issue", headers={**city, **if_match(two)}))
        assert two["state"] == "issued" and two["grade"] == "不合格"

        # training: the third party's programme, one person-time per person per session
        third = stack.issuer.headers(["third_party"], org="tp")
        programme = ok(await client.post(f"{API}/training/programmes", headers=third, json={"title": "数字化转型培训班"}), 201)
        people = [{"person_key": f"id-{n}", "name": f"学员{n}", "enterprise_id": "e1"} for n in range(3)]
        body = {"held_on": "2026-06-18", "topic": "政策宣贯", "district": "huangpu", "sector": "custom_furniture",
                "attendees": people}
        ok(await client.post(f"{API}/training/programmes/{programme['id']}/sessions", headers=third, json=body), 201)
        twice = {**body, "attendees": people + people[:1]}
        assert (await client.post(f"{API}/training/programmes/{programme['id']}/sessions", headers=third,
                                  json=twice)).status_code == 422
        summary = ok(await client.get(f"{API}/training/summary", headers=city))
        assert (summary["person_times"], summary["target"], summary["by_district"]) == (3, 2000, {"huangpu": 3})
        tianhe = ok(await client.get(f"{API}/training/summary",
                                     headers=stack.issuer.headers(["district_officer"], district="tianhe")))
        assert tianhe["person_times"] == 0

        xlsx = await client.get(f"{API}/programme/kpis", params={"format": "xlsx"}, headers=city)
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        table = {row[0]: row for row in sheet.iter_rows(values_only=True)}
        assert table["培训人次"][1:3] == (2000, 3) and table["年度服务企业数"][2] == 2
        district = ok(await client.get(f"{API}/programme/kpis", headers=stack.issuer.headers(["district_officer"],
                                                                                              district="huangpu")))
        served_row = next(k for k in district["kpis"] if k["key"] == "enterprises_served_year")
        assert (served_row["actual"], served_row["by_district"]) == (1, {"huangpu": 1})
        # over time: cumulative at each quarter's end (the projects were completed in June)
        assert served_row["by_quarter"] == {"Q1": 0, "Q2": 1, "Q3": 1, "Q4": 1}
        training_row = next(k for k in district["kpis"] if k["key"] == "training_person_times")
        assert training_row["by_quarter"] == {"Q1": 0, "Q2": 3, "Q3": 3, "Q4": 3}
    actions = [a.action for a in await rows(settings.database_url, select(audit_log.c.action))]
    for action in ("evaluation_cycle.open", "evaluation_result.notify", "evaluation_result.recheck",
                   "evaluation_result.appeal", "evaluation_result.decide", "evaluation_result.issue",
                   "training_session.record"):
        assert action in actions, action


async def test_recognition_targets_count_the_registry_s_recognition_titles(stack: Stack) -> None:
    """S2 二's workshops, factories, scenarios, chain cases and quality providers are registry titles (issue 10 §3):
    the KPIs count the valid ones of each kind, by district, from the title facts evaluation keeps."""
    settings = await stack.settings("evaluation", business_date=DAY)
    await seed(settings.database_url, ("w1", "enterprise", "huangpu", "custom_furniture"),
               ("w2", "enterprise", "tianhe", "auto_parts"), ("f1", "enterprise", "huangpu", "auto_parts"),
               ("x1", "provider", "tianhe", None),
               titles=(("w1", "digital_workshop"), ("w2", "digital_workshop"), ("f1", "smart_manufacturing_factory"),
                       ("x1", "excellent_provider")))
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        found = {k["key"]: k for k in ok(await client.get(f"{API}/programme/kpis", headers=city))["kpis"]}
        assert (found["digital_workshops"]["actual"], found["digital_workshops"]["by_district"]) == (
            2, {"huangpu": 1, "tianhe": 1})
        assert found["smart_factories"]["actual"] == 1 and found["quality_providers"]["actual"] == 1
        assert found["scenarios"]["actual"] == 0 and found["products"]["actual"] == 0
        before = ok(await client.get(f"{API}/programme/kpis", params={"year": 2025}, headers=city))["kpis"]
        assert next(k for k in before if k["key"] == "digital_workshops")["actual"] == 0  # granted in 2026
