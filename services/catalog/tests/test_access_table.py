"""Catalog's role × operation × ownership table (handbook §6): every operation of its OpenAPI document has a row
naming who may call it; each role is probed as a caller of its own (the providing organisation, an expert on the
product's panel, the provider's district officer, the third party), and the cases probe the others — another
provider, an expert not on the panel, another district, an official bound to no district.
Real HTTP, real PostgreSQL (``sihua_shared.testing.access``)."""

from __future__ import annotations

from catalog.main import create_app
from sihua_shared.testing.access import Case, Row, Upload, check_table
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, PDF, product, seed

A = API
READERS = "provider expert district_officer city_officer auditor"
OFFICIALS = "district_officer city_officer auditor"
OTHERS = ("provider@other", "expert@other", "district_officer@other")
GROUP_READERS = "cluster_body enterprise provider district_officer city_officer auditor"
HIDDEN = [Case(who, 404) for who in OTHERS]
BROCHURE = Upload({}, {"file": PDF})


BODY = product()
ROWS: list[Row] = [
    Row("POST", f"{A}/products", "provider"),
    Row("GET", f"{A}/products", READERS),
    Row("GET", f"{A}/products/{{product_id}}", READERS, cases=HIDDEN),
    Row("PUT", f"{A}/products/{{product_id}}/draft", "provider", cases=[Case("provider@other", 404, json=BODY)]),
    Row("POST", f"{A}/products/{{product_id}}/versions", "provider", cases=[Case("provider@other", 404, json=BODY)]),
    Row("GET", f"{A}/products/{{product_id}}/versions", READERS, cases=HIDDEN),
    Row("GET", f"{A}/products/{{product_id}}/versions/{{number}}", READERS, cases=HIDDEN),
    Row("POST", f"{A}/products/{{product_id}}/steps", "provider city_officer",
        cases=[Case("provider@other", 404, json={"action": "submit"})]),
    Row("GET", f"{A}/products/{{product_id}}/panel", "expert district_officer city_officer auditor",
        cases=[Case("expert@other", 404), Case("district_officer@other", 404)]),
    Row("PUT", f"{A}/products/{{product_id}}/scores", "expert",
        cases=[Case("expert@other", 404, json={"scores": {"price": 1}})]),
    Row("POST", f"{A}/products/{{product_id}}/recusal", "expert", cases=[Case("expert@other", 404, json={"reason": "曾任顾问"})]),
    Row("POST", f"{A}/products/{{product_id}}/delist", "city_officer"),
    Row("POST", f"{A}/products/{{product_id}}/files", "provider", cases=[Case("provider@other", 404, upload=BROCHURE)]),
    Row("GET", f"{A}/products/{{product_id}}/files", READERS, cases=HIDDEN),
    Row("GET", f"{A}/products/{{product_id}}/files/{{file_id}}", READERS, cases=HIDDEN),
    Row("POST", f"{A}/products/{{product_id}}/adaptations", "third_party"),
    Row("GET", f"{A}/products/{{product_id}}/adaptations", f"{READERS} third_party", cases=HIDDEN),
    Row("POST", f"{A}/adaptations/{{record_id}}/evidence", "third_party"),
    Row("GET", f"{A}/review-queue", OFFICIALS, cases=[Case("district_officer@unbound", 403)]),
    Row("GET", f"{A}/statistics/admitted", OFFICIALS, cases=[Case("district_officer@unbound", 403)]),
    Row("GET", f"{A}/exports/admitted", OFFICIALS, cases=[Case("district_officer@unbound", 403)]),
    Row("GET", f"{A}/exports/review-results", OFFICIALS, cases=[Case("district_officer@unbound", 403)]),
    Row("GET", f"{A}/enterprises/{{enterprise_id}}/recommendations", "enterprise provider district_officer city_officer auditor",
        hidden="third_party", cases=[Case("provider@other", 404), Case("district_officer@other", 404)]),
    Row("POST", f"{A}/group-purchases", "cluster_body"),
    Row("GET", f"{A}/group-purchases", GROUP_READERS),
    Row("GET", f"{A}/group-purchases/{{purchase_id}}", GROUP_READERS, cases=[
        Case("provider@other", 404), Case("district_officer@other", 404)]),
    Row("POST", f"{A}/group-purchases/{{purchase_id}}/enrolments", "enterprise"),
    Row("POST", f"{A}/group-purchases/{{purchase_id}}/close", "cluster_body"),
    Row("POST", f"{A}/group-purchases/{{purchase_id}}/deliveries", "cluster_body"),
    Row("POST", f"{A}/products/{{product_id}}/ratings", "enterprise"),
    Row("GET", f"{A}/products/{{product_id}}/ratings", f"{READERS} enterprise third_party cluster_body"),
    Row("POST", f"{A}/ratings/{{rating_id}}/hide", "city_officer"),
    Row("POST", f"{A}/solutions", "provider"),
    Row("GET", f"{A}/solutions", f"{READERS} enterprise third_party cluster_body"),
    Row("GET", f"{A}/solutions/{{solution_id}}", "provider city_officer auditor",
        hidden="enterprise expert third_party cluster_body district_officer", cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/solutions/{{solution_id}}/publish", "provider", cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/solutions/{{solution_id}}/confirm", "provider", cases=[Case("provider@other", 404)]),
    Row("POST", f"{A}/work-plans", "provider"),
    Row("GET", f"{A}/work-plans", OFFICIALS + " provider"),
    Row("GET", f"{A}/work-plans/{{plan_id}}", OFFICIALS + " provider", cases=[Case("provider@other", 404)]),
]


async def test_every_catalog_operation_answers_each_role_as_the_table_says(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    app = create_app(settings)
    async with service_client(app) as client:
        params, actors = await seed(stack, client, settings.database_url)
        await check_table(client, app, ROWS, actors, params)


