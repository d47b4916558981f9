"""Funding's role × operation × ownership table (handbook §6): every operation of its OpenAPI document has a row
naming who may call it. The home callers are the enterprise that applied, the home district's officer and the
city; the cases probe another enterprise and another district. Auditors and finance officers read and change
nothing. Real HTTP, real PostgreSQL (``sihua_shared.testing.access``).
"""

from __future__ import annotations

from cryptography.fernet import Fernet

from funding.main import create_app
from sihua_shared.testing.access import Case, Row, Upload, check_table, role_actors
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, approved, created, seed, seed_project_facts, step

HOME, AWAY = "baiyun", "huangpu"
A = API
EVERYONE = "*"
READ = "enterprise district_officer city_officer auditor finance third_party"
OTHERS = [Case("enterprise@other", 404), Case("district_officer@other", 404), Case("district_officer@unbound", 404)]
PDF = ("利息单.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
PROJECT_READERS = "enterprise provider third_party district_officer city_officer auditor finance"
AWARD_READERS = "enterprise district_officer city_officer auditor finance"
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
    Row("POST", f"{A}/budgets", "finance city_officer"),
    Row("GET", f"{A}/budgets", "finance city_officer auditor district_officer"),
    Row("GET", f"{A}/budgets/{{budget_id}}", "finance city_officer auditor", hidden="district_officer"),
    Row("PUT", f"{A}/budgets/{{budget_id}}", "finance city_officer"),
    Row("POST", f"{A}/projects", "enterprise"),
    Row("GET", f"{A}/projects", PROJECT_READERS),
    Row("GET", f"{A}/projects/{{project_id}}", PROJECT_READERS, cases=OTHERS + [Case("provider@other", 404)]),
    Row("POST", f"{A}/projects/{{project_id}}/submit", "enterprise", cases=[Case("enterprise@other", 404)]),
    Row("POST", f"{A}/projects/{{project_id}}/investment", "third_party"),
    Row("POST", f"{A}/projects/{{project_id}}/progress", "provider",
        cases=[Case("provider@other", 404, json={"percent": 10, "text": "进度"})]),
    Row("POST", f"{A}/projects/{{project_id}}/findings", "third_party city_officer"),
    Row("POST", f"{A}/projects/{{project_id}}/complete", "provider", cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/projects/{{project_id}}/acceptance", "enterprise", cases=[Case("enterprise@other", 404, json={
        "batch_id": "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c", "invoices": [{"number": "FP-1", "amount_fen": 1}]})]),
    Row("POST", f"{A}/acceptance-batches", "city_officer"),
    Row("POST", f"{A}/applications/{{application_id}}/payment-orders", "city_officer finance"),
    Row("GET", f"{A}/payment-orders", LISTERS),
    Row("POST", f"{A}/payment-orders/{{order_id}}/paid", "finance service"),
    Row("GET", f"{A}/reconciliation", "finance city_officer auditor"),
    Row("POST", f"{A}/applications/{{application_id}}/clawbacks", "city_officer"),
    Row("GET", f"{A}/clawbacks", LISTERS),
    Row("POST", f"{A}/clawbacks/{{clawback_id}}/repayments", "finance"),
    Row("GET", f"{A}/acceptance-batches", PROJECT_READERS),
    Row("POST", f"{A}/projects/{{project_id}}/decision", "city_officer"),
    Row("POST", f"{A}/applications/{{application_id}}/settlement", "city_officer"),
    Row("POST", f"{A}/payment-files", "finance"),
    Row("GET", f"{A}/exports/awards", "finance city_officer auditor"),
    Row("GET", f"{A}/exports/payment-orders", "finance city_officer auditor"),
    Row("GET", f"{A}/exports/reconciliation", "finance city_officer auditor"),
    Row("GET", f"{A}/views/queues", "district_officer city_officer finance auditor"),
    Row("GET", f"{A}/views/budget-use", "finance city_officer auditor district_officer"),
    Row("GET", f"{A}/views/forecast", "finance city_officer auditor"),
    Row("POST", f"{A}/views/what-if", "finance city_officer auditor"),
]


def award_rows(award_id: str) -> list[Row]:
    """Rows about an approved award (its id replaces the application's)."""
    at = {"application_id": award_id}
    return [
        Row("GET", f"{A}/applications/{{application_id}}/ledger", AWARD_READERS, hidden="provider cluster_body third_party", params=at,
            cases=[Case("enterprise@other", 404, params=at), Case("district_officer@other", 404, params=at)]),
    ]


async def test_every_funding_operation_answers_each_role_as_the_table_says(stack: Stack) -> None:
    settings = await stack.settings("funding", business_date=DAY, payee_account_key=Fernet.generate_key().decode())
    usccs = await seed(settings.database_url, ("ent-home", "enterprise", HOME), ("ent-away", "enterprise", AWAY),
               ("prov-home", "provider", None), ("tp-home", "third_party", None), levels={"ent-home": 2},
               titles={"prov-home": ("traction_unit",)})
    issuer = stack.issuer
    actors = {
        **role_actors(issuer, home=HOME),
        "enterprise@other": issuer.headers(["enterprise"], org="ent-away"),
        "provider@other": issuer.headers(["provider"], org="prov-away"),
        "district_officer@other": issuer.headers(["district_officer"], district=AWAY),
        "district_officer@unbound": issuer.headers(["district_officer"]),
    }
    await seed_project_facts(settings.database_url, pilots={"ent-home": (usccs["ent-home"], HOME)},
                             products={"prod-1": ("prov-home", {"basic": 1_980_000})})
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
        budget = await client.post(f"{A}/budgets", headers={**actors["finance"], "Idempotency-Key": "budget-1"}, json={
            "year": 2026, "measure_id": "s2-transformation", "fund_source": "city", "amount_fen": 100_000_000})
        assert budget.status_code == 201, budget.text
        project = await client.post(f"{A}/projects", headers={**actors["enterprise"], "Idempotency-Key": "project-1"}, json={
            "traction_unit_id": "prov-home", "contract_number": "HT-1", "contract_amount_fen": 1_980_000,
            "declared_investment_fen": 1_980_000, "lines": [{"product_id": "prod-1", "version": 1, "package_code": "basic",
                                                             "quantity": 1, "unit_price_fen": 1_980_000}]})
        assert project.status_code == 201, project.text
        second = issuer.headers(["city_officer"], sub="approver-2")
        paid = await approved(client, actors["enterprise"], actors["city_officer"], second, "gz-s2-sme-pilot", "s2-digital-loan", "loan-2",
                              loan_contract_amount_fen=100_000_000, actual_interest_paid_fen=2_000_000, interest_period_start="2026-01-01")
        order = await client.post(f"{A}/applications/{paid['id']}/payment-orders", json={
            "tranche": "whole", "payee_name": "ent-home", "payee_account": "6222020200112233445"},
            headers={**actors["finance"], "Idempotency-Key": "order-1"})
        assert order.status_code == 201, order.text
        confirmed = await client.post(f"{A}/payment-orders/{order.json()['id']}/paid", json={"bank_reference": "BK-1"},
                                      headers={**actors["finance"], "If-Match": '"1"'})
        assert confirmed.status_code == 200, confirmed.text
        clawback = await client.post(f"{A}/applications/{paid['id']}/clawbacks", headers=actors["city_officer"],
                                     json={"reason": "double_funding", "amount_fen": 1})
        assert clawback.status_code == 201, clawback.text
        params = {"clawback_id": clawback.json()["id"], "order_id": order.json()["id"], "project_id": project.json()["id"],
                  "application_id": application["id"],
                  "version_id": versions[0]["version_id"],
                  "evidence_id": evidence.json()["id"], "budget_id": budget.json()["id"]}
        await check_table(client, app, ROWS + award_rows(paid["id"]), actors, params)
