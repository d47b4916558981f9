"""Evaluation's role × operation × ownership table (handbook §6): every operation of its OpenAPI document has a row
naming who may call it; each role is probed as a caller of its own (the provider evaluated, the enterprise it served,
the third party auditing, the home district's officer), and the cases probe the others — another provider, another
enterprise, an unbound district officer.
Real HTTP, real PostgreSQL (``sihua_shared.testing.access``).
"""

from __future__ import annotations

from evaluation.domain.model import shipped_models
from evaluation.main import create_app
from sihua_shared.testing.access import Case, Row, check_table, role_actors
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, seed

A = API
HOME, AWAY = "huangpu", "tianhe"
RESULT_READ = "provider third_party city_officer auditor"
CYCLE_READ = "provider third_party city_officer auditor district_officer"
TRAINING_READ = "third_party provider city_officer district_officer auditor"
SESSION = {"held_on": "2026-06-18", "topic": "数字化转型政策宣贯", "attendees": [{"person_key": "p-1", "name": "张三"}]}

ROWS: list[Row] = [
    Row("GET", f"{A}/models", CYCLE_READ),
    Row("GET", f"{A}/models/{{version_id}}", CYCLE_READ),
    Row("POST", f"{A}/models", "city_officer"),
    Row("POST", f"{A}/cycles", "city_officer"),
    Row("GET", f"{A}/cycles", CYCLE_READ),
    Row("GET", f"{A}/cycles/{{cycle_id}}", CYCLE_READ),
    Row("POST", f"{A}/cycles/{{cycle_id}}/compute", "city_officer"),
    Row("POST", f"{A}/cycles/{{cycle_id}}/samples", "city_officer"),
    Row("GET", f"{A}/cycles/{{cycle_id}}/samples", "third_party city_officer auditor"),
    Row("POST", f"{A}/cycles/{{cycle_id}}/submissions", "provider third_party", cases=[
        # the key-platform model submits nothing (complaints are computed): any indicator is refused as such
        Case("provider@other", 422, json={"provider_id": "prov-home", "indicator_id": "complaints", "value": 1,
                                          "evidence": ["合同台账"]}),
    ]),
    Row("POST", f"{A}/cycles/{{cycle_id}}/findings", "third_party"),
    Row("GET", f"{A}/cycles/{{cycle_id}}/findings", "provider third_party city_officer auditor"),
    Row("POST", f"{A}/cycles/{{cycle_id}}/close", "city_officer"),
    # the ranking exists once the cycle is closed: the seeded one is open, so the callers admitted get 404
    Row("GET", f"{A}/cycles/{{cycle_id}}/ranking", RESULT_READ, allowed_outcome=404),
    Row("GET", f"{A}/results", RESULT_READ),
    Row("GET", f"{A}/results/{{result_id}}", RESULT_READ, cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/results/{{result_id}}/notify", "city_officer"),
    Row("POST", f"{A}/results/{{result_id}}/recheck", "city_officer"),
    Row("POST", f"{A}/results/{{result_id}}/appeal", "provider",
        cases=[Case("provider@other", 404, json={"reason": "申诉理由"})]),
    Row("POST", f"{A}/results/{{result_id}}/decide", "city_officer"),
    Row("POST", f"{A}/results/{{result_id}}/issue", "city_officer"),
    Row("GET", f"{A}/questionnaire", f"{CYCLE_READ} enterprise"),
    Row("GET", f"{A}/surveys", "enterprise"),
    Row("GET", f"{A}/surveys/{{survey_id}}", "enterprise", cases=[Case("enterprise@other", 404)]),
    Row("POST", f"{A}/surveys/{{survey_id}}/answer", "enterprise",
        cases=[Case("enterprise@other", 404, json={"answers": {"q1": 5, "q2": 5, "q3": 5, "q4": 5}})]),
    Row("GET", f"{A}/providers/{{provider_id}}/satisfaction", "provider city_officer auditor",
        cases=[Case("provider@other", 403)]),
    Row("POST", f"{A}/complaints", "enterprise", cases=[
        Case("enterprise@other", 409, json={"provider_id": "prov-home", "subject": "服务未完成", "text": "诊断报告迟交"}),
    ]),
    Row("GET", f"{A}/complaints", "enterprise city_officer district_officer auditor"),
    Row("GET", f"{A}/complaints/{{complaint_id}}", "enterprise city_officer district_officer auditor",
        cases=[Case("enterprise@other", 404), Case("district_officer@unbound", 404)]),
    Row("POST", f"{A}/complaints/{{complaint_id}}/decision", "city_officer"),
    Row("GET", f"{A}/providers/{{provider_id}}/complaints", "provider city_officer auditor",
        cases=[Case("provider@other", 403)]),
    Row("POST", f"{A}/training/programmes", "third_party provider"),
    # the seeded programme is the third party's: a provider does not see it
    Row("GET", f"{A}/training/programmes/{{programme_id}}", TRAINING_READ, exactly={"provider": 404}),
    Row("POST", f"{A}/training/programmes/{{programme_id}}/sessions", "third_party provider",
        cases=[Case("provider", 404, json=SESSION)]),
    Row("GET", f"{A}/training/summary", TRAINING_READ),
    Row("GET", f"{A}/programme/kpis", "city_officer district_officer auditor",
        cases=[Case("district_officer@unbound", 403)]),
]


async def test_every_evaluation_operation_answers_each_role_as_the_table_says(stack: Stack) -> None:
    settings = await stack.settings("evaluation", business_date=DAY)
    await seed(settings.database_url, ("ent-home", "enterprise", HOME, "custom_furniture"),
               ("ent-away", "enterprise", AWAY, None), ("prov-home", "platform", HOME, None),
               ("prov-away", "platform", AWAY, None), ("tp-home", "third_party", HOME, None),
               titles=(("prov-home", "key_platform"), ("prov-away", "key_platform")),
               served=(("prov-home", "ent-home"), ("prov-away", "ent-away")))
    issuer = stack.issuer
    actors = {
        **role_actors(issuer, home=HOME),
        "enterprise@other": issuer.headers(["enterprise"], org="ent-away"),
        "provider@other": issuer.headers(["provider"], org="prov-away"),
        "district_officer@unbound": issuer.headers(["district_officer"]),
    }
    app = create_app(settings)
    async with service_client(app) as client:
        cycle = await client.post(f"{API}/cycles", json={"kind": "key_platform", "year": 2026}, headers=actors["city_officer"])
        assert cycle.status_code == 201, cycle.text
        computed = await client.post(f"{API}/cycles/{cycle.json()['id']}/compute", headers=actors["city_officer"])
        assert computed.status_code == 200, computed.text
        result = next(r for r in computed.json() if r["provider_id"] == "prov-home")
        surveys = await client.get(f"{API}/surveys", headers=actors["enterprise"])
        programme = await client.post(f"{API}/training/programmes", json={"title": "数字化转型培训"},
                                      headers=actors["third_party"])
        assert programme.status_code == 201, programme.text
        complaint = await client.post(f"{API}/complaints", json={"provider_id": "prov-home", "subject": "服务未完成",
                                                                 "text": "诊断报告迟交"},
                                      headers={**actors["enterprise"], "Idempotency-Key": "complaint-1"})
        assert complaint.status_code == 201, complaint.text
        params = {"cycle_id": cycle.json()["id"], "result_id": result["id"], "survey_id": surveys.json()["items"][0]["id"],
                  "provider_id": "prov-home", "programme_id": programme.json()["id"],
                  "complaint_id": complaint.json()["id"],
                  "version_id": shipped_models()["gz-key-platform-2026"].version}
        await check_table(client, app, ROWS, actors, params)
