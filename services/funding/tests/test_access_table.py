"""Funding's role × operation × ownership table (handbook §6): every operation of its OpenAPI document has a row
naming who may call it. The home callers are the enterprise that applied, the home district's officer and the
city; the cases probe another enterprise and another district. Auditors and finance officers read and change
nothing. Real HTTP, real PostgreSQL (``sihua_shared.testing.access``).
"""

from __future__ import annotations

from funding.main import create_app
from sihua_shared.testing.access import Case, Row, Upload, check_table
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, created, seed, step

HOME, AWAY = "baiyun", "huangpu"
A = API
EVERYONE = "*"
READ = "enterprise district_officer city_officer auditor finance third_party"
OTHERS = [Case("enterprise@other", 404), Case("district_officer@other", 404), Case("district_officer@unbound", 404)]
PDF = ("利息单.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
LISTERS = "enterprise provider third_party cluster_body district_officer city_officer auditor finance"

ROWS: list[Row] = [
    Row("GET", f"{A}/policies", EVERYONE),
    Row("GET", f"{A}/policies/{{version_id}}", EVERYONE),
    Row("POST", f"{A}/policies", "city_officer"),
    Row("POST", f"{A}/applications", "enterprise provider third_party cluster_body"),
    Row("GET", f"{A}/applications", LISTERS),
    Row("GET", f"{A}/applications/{{application_id}}", READ, hidden="provider cluster_body", cases=OTHERS),
    Row("GET", f"{A}/applications/{{application_id}}/computation", READ, hidden="provider cluster_body", cases=OTHERS),
    Row("PUT", f"{A}/applications/{{application_id}}/inputs", "enterprise", hidden="provider cluster_body", json={"inputs": {}},
        cases=[Case("enterprise@other", 404)]),
    Row("POST", f"{A}/applications/{{application_id}}/submit", "enterprise", hidden="provider cluster_body",
        cases=[Case("enterprise@other", 404)]),
    Row("POST", f"{A}/applications/{{application_id}}/review", "city_officer third_party",
        json={"inputs": {}, "facts": {}}),
    Row("POST", f"{A}/applications/{{application_id}}/approve", "city_officer"),
    Row("POST", f"{A}/applications/{{application_id}}/reject", "city_officer third_party", json={"reasons": ["不符合条件"]}),
    Row("POST", f"{A}/applications/{{application_id}}/evidence", "enterprise", hidden="provider cluster_body",
        upload=Upload({"kind": "contract"}, {"file": PDF}), cases=[Case("enterprise@other", 404)]),
    Row("GET", f"{A}/applications/{{application_id}}/evidence", READ, hidden="provider cluster_body", cases=OTHERS),
    Row("GET", f"{A}/applications/{{application_id}}/evidence/{{evidence_id}}", READ, hidden="provider cluster_body",
        cases=OTHERS),
    Row("POST", f"{A}/applications/{{application_id}}/reported-interest", "service"),
    Row("GET", f"{A}/awards", LISTERS),
]


async def test_every_funding_operation_answers_each_role_as_the_table_says(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY)
    await seed(settings.database_url, ("ent-home", "enterprise", HOME), ("ent-away", "enterprise", AWAY),
               ("prov-home", "provider", None), ("tp-home", "third_party", None), levels={"ent-home": 2})
    issuer = stack.issuer
    actors = {
        "enterprise": issuer.headers(["enterprise"], org="ent-home"),
        "provider": issuer.headers(["provider"], org="prov-home"),
        "expert": issuer.headers(["expert"], district=HOME),
        "district_officer": issuer.headers(["district_officer"], district=HOME),
        "city_officer": issuer.headers(["city_officer"]),
        "third_party": issuer.headers(["third_party"], org="tp-home"),
        "cluster_body": issuer.headers(["cluster_body"], org="cluster-body-1"),
        "finance": issuer.headers(["finance"], org="finance-bureau"),
        "auditor": issuer.headers(["auditor"]),
        "service": issuer.headers(["service"]),
        "enterprise@other": issuer.headers(["enterprise"], org="ent-away"),
        "district_officer@other": issuer.headers(["district_officer"], district=AWAY),
        "district_officer@unbound": issuer.headers(["district_officer"]),
    }
    app = create_app(settings)
    async with service_client(app) as client:
        application = await created(client, actors["enterprise"], "gz-s2-sme-pilot", "s2-digital-loan", "loan-1",
                                    loan_contract_amount_fen=100_000_000, actual_interest_paid_fen=2_000_000,
                                    interest_period_start="2026-01-01")
        evidence = await client.post(f"{A}/applications/{application['id']}/evidence", headers=actors["enterprise"],
                                     files={"file": (PDF[0], PDF[1], "application/pdf")}, data={"kind": "bank_interest_statement"})
        assert evidence.status_code == 201, evidence.text
        application = await step(client, actors["enterprise"], application, "submit")
        versions = (await client.get(f"{A}/policies", headers=actors["city_officer"])).json()["items"]
        params = {"application_id": application["id"], "version_id": versions[0]["version_id"],
                  "evidence_id": evidence.json()["id"]}
        await check_table(client, app, ROWS, actors, params)
