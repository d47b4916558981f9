"""Catalog's and funding's facts (issue 15 §2, §3, §6) through the worker's reactions into evaluation's read model: the
shipped models compute contracts, acceptances and their pass rate, listed products, adopters, ratings and the work
plan from them, each value linked to its facts; an accepted transformation project opens one survey for that
enterprise about the traction unit; the KPIs count products (admitted minus delisted), clusters and the enterprises
transformed at 二级 or above."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from evaluation.adapters.eval_tables import evaluation_products, surveys
from evaluation.main import create_app
from sihua_shared.contracts import catalog as c
from sihua_shared.contracts import diagnosis as d
from sihua_shared.contracts import funding as f
from sihua_shared.contracts import registry as r
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import API, DAY, apply, fact, if_match, ok, seed

TU, KP, E1, E2, CB1, CB2 = "tu-1", "kp-1", "e-1", "e-2", "cb-1", "cb-2"
LINE = {"version": 1, "package_code": "basic", "quantity": 1, "unit_price_fen": 1_980_000, "amount_fen": 1_980_000,
        "above_catalogue_price": False}


def _project(project: str, enterprise: str) -> dict[str, Any]:
    return {"project_id": project, "enterprise_id": enterprise, "traction_unit_id": TU, "enterprise_uscc": make_uscc(650)}


async def test_catalog_and_funding_facts_compute_indicators_open_surveys_and_count_kpis(stack: Stack) -> None:
    settings = await stack.settings("evaluation", business_date=DAY)
    url = settings.database_url
    await seed(url, (E1, "enterprise", "huangpu", "custom_furniture"), (E2, "enterprise", "tianhe", "auto_parts"),
               (TU, "traction_unit", "huangpu", None), (KP, "platform", "huangpu", None),
               titles=((TU, "traction_unit"), (KP, "key_platform")), served=((KP, E1),))
    facts = [
        fact(c.PRODUCT_ADMITTED, product_id="pa", organisation_id=KP, admitted_on="2026-02-01", sectors=["custom_furniture"]),
        fact(c.PRODUCT_ADMITTED, product_id="pb", organisation_id=KP, admitted_on="2026-02-01", catalogue_number="GZ-2"),
        fact(c.PRODUCT_DELISTED, product_id="pb", organisation_id=KP, delisted_on="2026-05-01"),
        fact(c.PRODUCT_SUSPENDED, product_id="pa", organisation_id=KP, suspended_on="2026-11-01"),
        fact(c.PRODUCT_RATED, product_id="pa", enterprise_id=E1, score=4, rated_on="2026-08-01"),
        fact(c.WORK_PLAN_FILED, organisation_id=KP, year=2026, filed_on="2026-01-15", targets=[
            {"sector": "custom_furniture", "enterprises_to_serve": 2, "products_to_apply": 1}]),
        fact(f.PROJECT_CONTRACTED, **_project("j1", E1), contracted_on="2026-03-01",
             lines=[{**LINE, "product_id": "pa"}], milestones=[
                 {"name": "上线", "due_on": "2026-05-01"}, {"name": "联调", "due_on": "2026-06-01"},
                 {"name": "推广", "due_on": "2027-03-01"}]),  # 推广 is due after the cycle's end: not counted
        fact(f.PROJECT_CONTRACTED, **_project("j2", E2), contracted_on="2026-03-02", lines=[],
             milestones=[{"name": "上线", "due_on": "2026-04-01"}]),  # never reported: missed
        fact(f.PROGRESS_REPORTED, **_project("j1", E1), reported_on="2026-05-01", percent=50, milestone="上线"),
        fact(f.PROJECT_ACCEPTED, **_project("j1", E1), accepted_on="2026-07-01"),
        fact(f.PROJECT_FAILED, **_project("j2", E2), failed_on="2026-07-02"),
        fact(r.CLUSTER_MEMBER_APPROVED, membership_id="m1", cluster_body_id=CB1, enterprise_id=E1, district="huangpu",
             approved_on="2026-04-01"),
        fact(r.CLUSTER_MEMBER_APPROVED, membership_id="m2", cluster_body_id=CB2, enterprise_id=E2, district="tianhe",
             approved_on="2026-04-01"),
        fact(r.CLUSTER_MEMBER_REMOVED, membership_id="m2", cluster_body_id=CB2, enterprise_id=E2, removed_on="2026-10-01"),
        *(fact(d.ASSESSMENT_COMPLETED, assessment_id=f"post-{e}", enterprise_id=e, stage="post_transformation",
               kind="onsite", level=2) for e in (E1, E2)),
        fact(f.PROGRESS_REPORTED, **_project("j1", E1), reported_on="2026-06-15", percent=80, milestone="联调"),  # late
    ]
    ids = dict(zip(range(len(facts)), await apply(url, facts), strict=True))
    again = await apply(url, [facts[9]])  # a second acceptance fact about j1: no second survey, one project accepted
    opened = await rows(url, select(surveys.c.provider_id, surveys.c.enterprise_id, surveys.c.relationship)
                        .where(surveys.c.relationship == "transformation_project"))
    assert [tuple(x) for x in opened] == [(TU, E1, "transformation_project")]  # the failed j2 opens none
    states = {p.product_id: p.state for p in await rows(url, select(evaluation_products))}
    assert states == {"pa": "suspended", "pb": "delisted"}

    city = stack.issuer.headers(["city_officer"], sub="c1")
    async with service_client(create_app(settings)) as client:
        # the survey about the traction unit: only that enterprise sees and answers it, once
        mine = ok(await client.get(f"{API}/surveys", headers=stack.issuer.headers(["enterprise"], org=E1)))["items"]
        contract_survey = next(s for s in mine if s["relationship"] == "transformation_project")
        assert ok(await client.get(f"{API}/surveys", headers=stack.issuer.headers(["enterprise"], org=E2)))["total"] == 0
        body = {"answers": {q: 5 for q in ("q1", "q2", "q3", "q4")}}
        ok(await client.post(f"{API}/surveys/{contract_survey['id']}/answer", json=body,
                             headers={**stack.issuer.headers(["enterprise"], org=E1), **if_match(contract_survey)}))
        provider_view = ok(await client.get(f"{API}/providers/{TU}/satisfaction",
                                            headers=stack.issuer.headers(["provider"], org=TU)))
        assert (provider_view["answered"], provider_view["mean_score"]) == (1, None)  # aggregates only, and not below 3

        unit_cycle = ok(await client.post(f"{API}/cycles", headers=city, json={"kind": "traction_unit", "year": 2026}), 201)
        unit = ok(await client.post(f"{API}/cycles/{unit_cycle['id']}/compute", headers=city))[0]
        values = {v["indicator_id"]: v for v in unit["trace"]["indicators"]}
        assert (values["contracts_signed"]["value"], values["contracts_signed"]["facts"]) == ("2", [ids[6], ids[7]])
        assert (values["acceptances_passed"]["value"], values["acceptances_passed"]["facts"]) == ("1", again)
        assert (values["acceptance_pass_rate"]["value"], values["acceptance_pass_rate"]["n"]) == ("50.000", 2)
        assert values["satisfaction"]["value"] == "100.000"
        # 3 milestones due by the year's end (j1 上线 and 联调, j2 上线); only j1 上线 reached on its due date
        on_time = values["milestones_on_time"]
        assert (on_time["source"], on_time["value"], on_time["n"]) == ("computed", "33.333", 3)
        assert on_time["facts"] == [ids[6], ids[8], ids[7]]

        platform_cycle = ok(await client.post(f"{API}/cycles", headers=city, json={"kind": "key_platform", "year": 2026}), 201)
        platform = ok(await client.post(f"{API}/cycles/{platform_cycle['id']}/compute", headers=city))[0]
        values = {v["indicator_id"]: v for v in platform["trace"]["indicators"]}
        assert (values["products_admitted"]["value"], values["products_admitted"]["facts"]) == ("1", [ids[0]])
        assert (values["product_adopters"]["value"], values["product_adopters"]["facts"]) == ("1", [ids[6]])
        assert (values["product_ratings"]["value"], values["product_ratings"]["facts"]) == ("4.000", [ids[4]])
        assert values["contracts_signed"]["value"] == "1"  # j1 names its product
        # 1 of 2 furniture enterprises served, 1 of 1 product applied: (1/2 + 1) / 2
        assert values["work_plan_attainment"]["value"] == "75.000" and ids[5] in values["work_plan_attainment"]["facts"]

        kpis = {k["key"]: k for k in ok(await client.get(f"{API}/programme/kpis", headers=city))["kpis"]}
        assert (kpis["products"]["actual"], kpis["products"]["by_quarter"]) == (1, {"Q1": 2, "Q2": 1, "Q3": 1, "Q4": 1})
        assert kpis["products"]["by_sector"] == {"custom_furniture": 1}
        assert (kpis["clusters"]["actual"], kpis["clusters"]["by_quarter"]["Q2"]) == (1, 2)
        # e2 is at 二级 but its project failed acceptance: not transformed
        assert (kpis["enterprises_level2_plus"]["actual"], kpis["enterprises_level2_plus"]["by_district"]) == (
            1, {"huangpu": 1})
        assert kpis["enterprises_level2_plus"]["reading"]
    assert (await rows(url, select(func.count()).select_from(surveys)))[0][0] == 2
