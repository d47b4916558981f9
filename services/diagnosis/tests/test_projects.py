"""Diagnosis projects (诊断服务项目) over HTTP against a real database: assignment rules, visibility, cancel."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from diagnosis.adapters.readmodels import REGISTRY_FACTS
from diagnosis.main import create_app
from sihua_shared.contracts.registry import OrganisationRegistered, TitleGranted, TitleRevoked
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import DAY

PROJECTS = "/api/diagnosis/v1/diagnosis-projects"
ENVELOPE = CloudEvent(id="e", source="/sihua/registry", type="t", time="2026-01-01T00:00:00Z")


async def _seed(url: str) -> dict[str, str]:
    ids = {"ent_hp": "ent-huangpu", "ent_th": "ent-tianhe", "good": "prov-good", "revoked": "prov-revoked",
           "expired": "prov-expired", "none": "prov-none"}
    engine = create_engine(url)
    async with session_factory(engine)() as s, s.begin():
        for n, (key, kind, district) in enumerate(
            [("ent_hp", "enterprise", "huangpu"), ("ent_th", "enterprise", "tianhe"), ("good", "diagnosis_provider", None),
             ("revoked", "diagnosis_provider", None), ("expired", "diagnosis_provider", None), ("none", "platform", None)]
        ):
            org = OrganisationRegistered(organisation_id=ids[key], uscc=make_uscc(300 + n), name=key, kind=kind, district=district)
            await REGISTRY_FACTS.record_organisation(s, ENVELOPE, org)
        start = DAY - timedelta(days=30)
        for n, key in enumerate(("good", "revoked", "expired")):
            until = DAY - timedelta(days=1) if key == "expired" else DAY + timedelta(days=700)
            title = TitleGranted(title_id=f"title-{key}", title_number=f"GZ-DP-{n}", kind="diagnosis_provider",
                                 name_zh="评估诊断服务项目承担单位", organisation_id=ids[key], uscc=make_uscc(302 + n),
                                 valid_from=start, valid_until=until)
            await REGISTRY_FACTS.record_title_granted(s, ENVELOPE, title)
        await REGISTRY_FACTS.record_title_revoked(s, ENVELOPE, TitleRevoked(
            title_id="title-revoked", title_number="GZ-DP-1", kind="diagnosis_provider", organisation_id=ids["revoked"],
            uscc=make_uscc(303), reason="评价不合格", revoked_on=DAY, revoked_by="evaluation"))
    await engine.dispose()
    return ids


async def test_assignment_rules_visibility_and_cancel(stack: Stack) -> None:
    settings = await stack.settings("diagnosis", business_date=DAY)
    ids = await _seed(settings.database_url)
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    tianhe = stack.issuer.headers(["district_officer"], district="tianhe")

    async def assign(headers: dict[str, str], enterprise: str, provider: str) -> Any:
        return await client.post(PROJECTS, json={"enterprise_id": ids[enterprise], "provider_id": ids[provider]}, headers=headers)

    async with service_client(create_app(settings)) as client:
        for provider, code in (("revoked", "provider_not_selected"), ("expired", "provider_not_selected"),
                               ("none", "provider_not_selected")):
            refused = await assign(city, "ent_hp", provider)
            assert refused.status_code == 422 and refused.json()["code"] == code, provider
            assert refused.json()["errors"][0]["field"] == "body.provider_id"
        assert (await assign(tianhe, "ent_hp", "good")).status_code == 403
        assert (await assign(stack.issuer.headers(["enterprise"], org=ids["ent_hp"]), "ent_hp", "good")).status_code == 403
        unknown = await client.post(PROJECTS, json={"enterprise_id": "nope", "provider_id": ids["good"]}, headers=city)
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.enterprise_id"

        created = await assign(city, "ent_hp", "good")
        assert created.status_code == 201, created.text
        project = created.json()
        assert (project["state"], project["district"], project["assigned_on"]) == ("assigned", "huangpu", DAY.isoformat())
        assert (await assign(city, "ent_hp", "good")).status_code == 409
        assert (await assign(tianhe, "ent_th", "good")).status_code == 201

        provider_view = await client.get(PROJECTS, headers=stack.issuer.headers(["provider"], org=ids["good"]))
        assert provider_view.json()["total"] == 2
        own = await client.get(PROJECTS, headers=stack.issuer.headers(["enterprise"], org=ids["ent_hp"]))
        assert [p["id"] for p in own.json()["items"]] == [project["id"]]
        assert (await client.get(PROJECTS, headers=tianhe)).json()["total"] == 1
        other = stack.issuer.headers(["enterprise"], org=ids["ent_th"])
        assert (await client.get(f"{PROJECTS}/{project['id']}", headers=other)).status_code == 404

        cancel = f"{PROJECTS}/{project['id']}/cancel"
        reason = {"reason": "企业暂停生产"}
        assert (await client.post(cancel, json=reason, headers=city)).status_code == 428
        assert (await client.post(cancel, json=reason, headers={**city, "If-Match": '"7"'})).status_code == 412
        done = await client.post(cancel, json=reason, headers={**city, "If-Match": '"1"'})
        assert done.status_code == 200 and done.json()["state"] == "cancelled" and done.headers["etag"] == '"2"'
        again = await client.post(cancel, json=reason, headers={**city, "If-Match": '"2"'})
        assert again.status_code == 409 and again.json()["allowed"] == []
        assert (await assign(city, "ent_hp", "good")).status_code == 201  # a new project once the old one is closed

    events = [r.envelope["type"] for r in await rows(settings.database_url, select(outbox.c.envelope))]
    assert events == ["cn.gov.sihua.diagnosis.diagnosis_project.assigned.v1"] * 3
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions == ["diagnosis_project.assign", "diagnosis_project.assign", "diagnosis_project.cancel", "diagnosis_project.assign"]


def test_title_validity_window() -> None:
    from diagnosis.domain.projects import TitleView, title_allows_assignment

    day = date(2026, 5, 1)
    cases = [
        (TitleView("diagnosis_provider", date(2026, 1, 1), date(2027, 12, 31), None), True),
        (TitleView("diagnosis_provider", date(2026, 5, 1), date(2026, 5, 1), None), True),
        (TitleView("diagnosis_provider", date(2026, 5, 2), None, None), False),
        (TitleView("diagnosis_provider", date(2026, 1, 1), date(2026, 4, 30), None), False),
        (TitleView("diagnosis_provider", date(2026, 1, 1), None, date(2026, 5, 1)), False),
        (TitleView("diagnosis_provider", date(2026, 1, 1), None, date(2026, 5, 2)), True),
        (TitleView("key_platform", date(2026, 1, 1), None, None), False),
    ]
    assert [title_allows_assignment(t, day) for t, _ in cases] == [want for _, want in cases]


async def test_a_district_officer_bound_to_no_district_sees_no_project(stack: Stack) -> None:
    settings = await stack.settings("diagnosis", business_date=DAY)
    ids = await _seed(settings.database_url)
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as s, s.begin():  # an enterprise the registry knows without a district
        await REGISTRY_FACTS.record_organisation(s, ENVELOPE, OrganisationRegistered(
            organisation_id="ent-nowhere", uscc=make_uscc(399), name="nowhere", kind="enterprise", district=None))
    await engine.dispose()
    city = stack.issuer.headers(["city_officer"])
    unbound = stack.issuer.headers(["district_officer"])
    async with service_client(create_app(settings)) as client:
        created = await client.post(PROJECTS, json={"enterprise_id": "ent-nowhere", "provider_id": ids["good"]}, headers=city)
        assert created.status_code == 201 and created.json()["district"] is None, created.text
        assert (await client.get(PROJECTS, headers=unbound)).json()["total"] == 0
        url = f"{PROJECTS}/{created.json()['id']}"
        assert (await client.get(url, headers=unbound)).status_code == 404
        cancel = await client.post(f"{url}/cancel", json={"reason": "无权取消"}, headers={**unbound, "If-Match": '"1"'})
        assert cancel.status_code == 404


async def test_title_validity_follows_the_pinned_business_date(stack: Stack) -> None:
    """The same title admits an assignment on its last valid day and refuses it the day after, by the service's
    business clock (SIHUA_BUSINESS_DATE), not by the real date."""
    settings = await stack.settings("diagnosis", business_date=DAY + timedelta(days=700))  # "good"'s last valid day
    ids = await _seed(settings.database_url)
    city = stack.issuer.headers(["city_officer"])
    app = create_app(settings)
    async with service_client(app) as client:
        body = {"enterprise_id": ids["ent_hp"], "provider_id": ids["good"]}
        created = await client.post(PROJECTS, json=body, headers=city)
        assert created.status_code == 201, created.text
        assert created.json()["assigned_on"] == (DAY + timedelta(days=700)).isoformat()
        app.state.clock.advance(1)  # the title has expired
        body["enterprise_id"] = ids["ent_th"]
        refused = await client.post(PROJECTS, json=body, headers=city)
        assert refused.status_code == 422 and refused.json()["code"] == "provider_not_selected", refused.text
