"""Diagnosis's role × operation × ownership table (handbook §6): every operation of its OpenAPI document has a row
naming who may call it; each role is probed as a caller of its own (the enterprise assessed, the provider assigned
to it and filling its on-site assessment, the third party it consented to, the home district's officer), and the
cases probe the others — another enterprise or provider, another district, an expert bound to another district
or to none.
Real HTTP, real PostgreSQL and NATS (the worker issues the report) (``sihua_shared.testing.access``).
"""

from __future__ import annotations

import httpx

from diagnosis.main import create_app
from diagnosis.spec import SPEC
from sihua_shared.testing.access import Case, Row, Upload, check_table, role_actors
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

from .kit import API, EDITION_VERSION, LEVEL2, fill_and_submit, seed, start

HOME, AWAY = "baiyun", "huangpu"
PDF = ("佐证.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
MISSING = "00000000-0000-4000-8000-000000000000"


async def _seed(stack: Stack, client: httpx.AsyncClient, url: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    await seed(url, ("ent-home", "enterprise", HOME, "custom_furniture"), ("ent-away", "enterprise", AWAY, None),
               ("prov-home", "diagnosis_provider", None, None), ("prov-away", "diagnosis_provider", None, None),
               ("tp-home", "third_party", HOME, None), diagnosis_providers=("prov-home", "prov-away"))
    issuer = stack.issuer
    actors = {
        **role_actors(issuer, home=HOME),
        "enterprise@other": issuer.headers(["enterprise"], org="ent-away"),
        "provider@other": issuer.headers(["provider"], org="prov-away"),
        "district_officer@other": issuer.headers(["district_officer"], district=AWAY),
        "district_officer@unbound": issuer.headers(["district_officer"]),
        "expert@other_district": issuer.headers(["expert"], district=AWAY),
        "expert@unbound": issuer.headers(["expert"]),
    }
    consent = await client.post(f"{API}/consents", json={"organisation_id": "tp-home"}, headers=actors["enterprise"])
    assert consent.status_code == 201, consent.text
    project = await client.post(f"{API}/diagnosis-projects", json={"enterprise_id": "ent-home", "provider_id": "prov-home"},
                                headers=actors["city_officer"])
    assert project.status_code == 201, project.text
    onsite = await start(client, actors["provider"], kind="onsite", enterprise_id="ent-home")
    evidence = await client.post(f"{API}/assessments/{onsite['id']}/evidence", headers=actors["provider"],
                                 files={"file": (PDF[0], PDF[1], "application/pdf")}, data={"target": "Q1"})
    assert evidence.status_code == 201, evidence.text
    await fill_and_submit(client, actors["provider"], onsite["id"], LEVEL2)
    params = {
        "version_id": EDITION_VERSION, "assessment_id": str(onsite["id"]), "evidence_id": str(evidence.json()["id"]),
        "enterprise_id": "ent-home", "consent_id": str(consent.json()["id"]), "project_id": str(project.json()["id"]),
    }
    return params, actors


A = API
EVERYONE = "*"
READ = "enterprise provider expert district_officer city_officer auditor"  # who sees the seeded on-site assessment
EVIDENCE = Upload({"target": "Q1"}, {"file": PDF})
# an expert bound to no district sees only what was assigned to it: nothing in diagnosis
OTHERS = ("enterprise@other", "provider@other", "district_officer@other", "expert@other_district", "expert@unbound")
HIDDEN = [Case(who, 404) for who in OTHERS]  # an assessment outside one's scope does not exist for the caller
PROJECT = {"enterprise_id": "ent-home", "provider_id": "prov-home"}

# Who may call what. The home callers are the enterprise assessed, the provider assigned to it (filling its on-site
# assessment), the third party it consented to, the home district's officer and an expert bound to the home district.
ROWS: list[Row] = [
    Row("POST", f"{A}/editions", "city_officer"),
    Row("GET", f"{A}/editions", EVERYONE),
    Row("GET", f"{A}/editions/{{version_id}}", EVERYONE),
    Row("DELETE", f"{A}/editions/{{version_id}}", "city_officer"),
    Row("GET", f"{A}/editions/{{version_id}}/yaml", EVERYONE),
    Row("POST", f"{A}/editions/{{version_id}}/activate", "city_officer"),
    Row("POST", f"{A}/assessments", "enterprise provider third_party", cases=[
        Case("provider@other", 403, json={"kind": "onsite", "stage": "baseline", "enterprise_id": "ent-home"}),
    ]),
    Row("GET", f"{A}/assessments", "enterprise provider expert district_officer city_officer third_party auditor"),
    Row("GET", f"{A}/assessments/{{assessment_id}}", READ, hidden="third_party", cases=HIDDEN),
    Row("PUT", f"{A}/assessments/{{assessment_id}}/answers", "provider", hidden="third_party",
        cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/assessments/{{assessment_id}}/submit", "provider", hidden="third_party",
        json={"authenticity_commitment": True}, cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/assessments/{{assessment_id}}/recompute", "district_officer city_officer auditor", json={},
        cases=[Case("district_officer@other", 404)]),
    Row("POST", f"{A}/assessments/{{assessment_id}}/evidence", "provider", hidden="third_party", upload=EVIDENCE,
        cases=[Case("provider@other", 404)]),
    Row("GET", f"{A}/assessments/{{assessment_id}}/evidence", READ, hidden="third_party", cases=HIDDEN),
    Row("GET", f"{A}/assessments/{{assessment_id}}/evidence/{{evidence_id}}", READ, hidden="third_party", cases=HIDDEN),
    Row("GET", f"{A}/assessments/{{assessment_id}}/report", READ, hidden="third_party", cases=HIDDEN),
    Row("GET", f"{A}/assessments/{{assessment_id}}/report.pdf", READ, hidden="third_party", cases=HIDDEN),
    # only assessments the caller sees are compared: another's is "not comparable" (422), never a hint it exists
    Row("GET", f"{A}/enterprises/{{enterprise_id}}/comparison", READ, query={"before": "{assessment_id}", "after": "{assessment_id}"},
        exactly={"third_party": 422}, cases=[Case(who, 422) for who in OTHERS]),
    Row("POST", f"{A}/consents", "enterprise"),
    Row("GET", f"{A}/consents", "enterprise provider city_officer third_party auditor"),
    Row("POST", f"{A}/consents/{{consent_id}}/revoke", "enterprise", cases=[Case("enterprise@other", 404)]),
    Row("POST", f"{A}/diagnosis-projects", "district_officer city_officer", cases=[
        Case("district_officer@other", 403, json=PROJECT), Case("district_officer@unbound", 403, json=PROJECT),
    ]),
    Row("GET", f"{A}/diagnosis-projects", "enterprise provider district_officer city_officer finance auditor"),
    Row("GET", f"{A}/diagnosis-projects/{{project_id}}", "enterprise provider district_officer city_officer finance auditor",
        cases=[Case(who, 404) for who in ("enterprise@other", "provider@other", "district_officer@other", "district_officer@unbound")]),
    Row("POST", f"{A}/diagnosis-projects/{{project_id}}/cancel", "district_officer city_officer",
        cases=[Case("district_officer@other", 404, json={"reason": "企业放弃诊断"})]),
    Row("POST", f"{A}/diagnosis-projects/{{project_id}}/complete", "provider",
        cases=[Case("provider@other", 404, json={"assessment_id": "{assessment_id}", "plan": "改造方案第一条"})]),
    Row("GET", f"{A}/programme/levels", "district_officer city_officer auditor", cases=[Case("district_officer@unbound", 403)]),
    Row("GET", f"{A}/programme/level2-plus", "district_officer city_officer auditor",
        cases=[Case("district_officer@unbound", 403)]),
]


async def test_every_diagnosis_operation_answers_each_role_as_the_table_says(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    app = create_app(settings)
    async with service_client(app) as client:
        params, actors = await _seed(stack, client, settings.database_url)

        async def report_issued() -> bool:
            response = await client.get(f"{API}/assessments/{params['assessment_id']}/report", headers=actors["enterprise"])
            return response.status_code == 200

        async with running_worker(SPEC, settings):
            await eventually(report_issued, timeout=30)
        await check_table(client, app, ROWS, actors, params)
