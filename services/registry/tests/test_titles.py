"""Titles: direct grant, public verification and published list, revocation by an officer and on a failing verdict."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from registry.adapters.title_tables import titles
from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.contracts.evaluation import VERDICT_ISSUED
from sihua_shared.events import new_event
from sihua_shared.tables import dead_letters, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.faults.kit import publish_raw
from tests.pipeline.helpers import rows

TITLES = "/api/registry/v1/titles"
DAY = date(2026, 3, 10)  # the business date these tests pin (SIHUA_BUSINESS_DATE)


async def _verdict(stack: Stack, title: dict[str, Any], uscc: str, *, failed: bool, provider_id: str | None = None) -> Any:
    provider = provider_id or title["organisation_id"]
    payload = VERDICT_ISSUED.parse({**(VERDICT_ISSUED.example or {}), "provider_id": provider, "provider_uscc": uscc,
                                    "title_id": title["id"], "title_number": title["number"],
                                    "grade": "不合格" if failed else "良好", "failed": failed})
    event = new_event(VERDICT_ISSUED, payload, subject=title["id"])
    await publish_raw(stack.servers, VERDICT_ISSUED.subject(stack.namespace), event.model_dump_json().encode())
    return event


async def test_title_lifecycle(stack: Stack) -> None:
    settings = await stack.settings("registry", business_date=DAY)
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        orgs = []
        for n in range(2):
            uscc = make_uscc(70 + n)
            created = await client.post("/api/registry/v1/organisations", headers=city,
                                        json={"uscc": uscc, "name": f"称号测试平台{n}", "kind": "platform", "district": "huangpu"})
            orgs.append((created.json()["id"], uscc))
        start = DAY.isoformat()
        granted = []
        for org_id, _ in orgs:
            body = {"organisation_id": org_id, "kind": "key_platform", "valid_from": start}
            response = await client.post(TITLES, headers=city, json=body)
            assert response.status_code == 201, response.text
            granted.append(response.json())
        year = DAY.year
        assert [t["number"] for t in granted] == [f"GZSH-KP-{year}-0001", f"GZSH-KP-{year}-0002"]
        assert granted[0]["name_zh"] == "广州市四化赋能重点平台"

        verified = (await client.get(f"{TITLES}/verify/{granted[0]['number']}")).json()  # public: no token
        assert (verified["valid"], verified["status_zh"], verified["organisation_name"]) == (True, "有效", "称号测试平台0")
        assert (await client.get(f"{TITLES}/verify/GZSH-KP-1999-9999")).json()["found"] is False
        listed = (await client.get(f"{TITLES}/published")).json()
        assert [t["number"] for t in listed["items"]] == [t["number"] for t in granted]
        xlsx = await client.get(f"{TITLES}/published", params={"format": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet["A1"].value == "称号编号" and sheet["C2"].value == "称号测试平台0"
        csv = await client.get(f"{TITLES}/published", params={"format": "csv"})
        assert csv.content.startswith(b"\xef\xbb\xbf") and "称号测试平台1" in csv.content.decode("utf-8-sig")

        path = f"{TITLES}/{granted[0]['id']}/revoke"
        reason = {"reason": "存在虚假申报行为"}
        assert (await client.post(path, json=reason, headers=stack.issuer.headers(["provider"], org=orgs[0][0]))).status_code == 403
        assert (await client.post(path, json=reason, headers=city)).status_code == 428
        revoked = await client.post(path, json=reason, headers={**city, "If-Match": '"1"'})
        assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "city_officer"
        assert (await client.post(path, json=reason, headers={**city, "If-Match": '"2"'})).status_code == 409
        after = (await client.get(f"{TITLES}/verify/{granted[0]['number']}")).json()
        assert (after["valid"], after["status"]) == (False, "revoked")

        # evaluation's verdict: a pass changes nothing; a fail revokes; a repeated fail changes nothing more
        second = granted[1]
        async with running_worker(SPEC, settings):
            await _verdict(stack, second, orgs[1][1], failed=False)
            failing = await _verdict(stack, second, orgs[1][1], failed=True)
            await _verdict(stack, second, orgs[1][1], failed=True)

            async def revoked_by_evaluation() -> Any:
                title = (await client.get(f"{TITLES}/{second['id']}", headers=city)).json()
                return title if title["revoked_by"] == "evaluation" else None

            title = await eventually(revoked_by_evaluation)
        assert title["revocation_reason"].startswith("年度评价不合格") and title["version"] == 2
        assert title["revoked_on"] == DAY.isoformat()  # the worker's reaction reads the same pinned clock
        assert (await client.get(f"{TITLES}/published")).json()["total"] == 0
    envelopes = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    facts = [e["type"].split(".")[-2] for e in envelopes]
    assert facts.count("granted") == 2 and facts.count("revoked") == 2
    # the reaction's fact carries the verdict's correlation id, and names the verdict as its cause
    by_evaluation = [e for e in envelopes if e["type"].endswith("title.revoked.v1") and e["data"]["revoked_by"] == "evaluation"]
    assert [(e["correlationid"], e["causationid"]) for e in by_evaluation] == [(failing.correlationid, failing.id)]


async def test_a_district_officer_sees_the_titles_of_their_district_only(stack: Stack) -> None:
    """Handbook §6: a district officer sees their district; revoked titles and their reasons are not public."""
    settings = await stack.settings("registry", business_date=DAY)
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        created = await client.post("/api/registry/v1/organisations", headers=city,
                                    json={"uscc": make_uscc(90), "name": "区内称号平台", "kind": "platform", "district": "huangpu"})
        body = {"organisation_id": created.json()["id"], "kind": "key_platform", "valid_from": DAY.isoformat()}
        title = (await client.post(TITLES, headers=city, json=body)).json()
        own = stack.issuer.headers(["district_officer"], district="huangpu")
        other = stack.issuer.headers(["district_officer"], district="tianhe")
        assert [t["id"] for t in (await client.get(TITLES, headers=own)).json()] == [title["id"]]
        assert (await client.get(f"{TITLES}/{title['id']}", headers=own)).status_code == 200
        assert (await client.get(TITLES, headers=other)).json() == []
        assert (await client.get(TITLES, headers=other, params={"organisation_id": title["organisation_id"]})).json() == []
        assert (await client.get(f"{TITLES}/{title['id']}", headers=other)).status_code == 403


async def test_a_failing_verdict_about_another_provider_revokes_nothing(stack: Stack) -> None:
    """The verdict names a provider and its title; when the title is another organisation's it is dead-lettered."""
    settings = await stack.settings("registry", business_date=DAY)
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        ids = []
        for n in range(2):
            created = await client.post("/api/registry/v1/organisations", headers=city,
                                        json={"uscc": make_uscc(95 + n), "name": f"评价核对平台{n}", "kind": "platform"})
            ids.append(created.json()["id"])
        body = {"organisation_id": ids[0], "kind": "key_platform", "valid_from": DAY.isoformat()}
        title = (await client.post(TITLES, headers=city, json=body)).json()
        async with running_worker(SPEC, settings):
            event = await _verdict(stack, title, make_uscc(96), failed=True, provider_id=ids[1])

            async def dead_lettered() -> Any:
                found = await rows(settings.database_url, select(dead_letters.c.reason).where(dead_letters.c.event_id == event.id))
                return found or None

            await eventually(dead_lettered)
        kept = (await client.get(f"{TITLES}/{title['id']}", headers=city)).json()
        assert (kept["revoked_on"], kept["version"]) == (None, 1)


async def test_validity_is_read_on_the_business_date(stack: Stack) -> None:
    """Verification and the published list answer for the service's business date (SIHUA_BUSINESS_DATE), not the
    server's: a title is pending before its first day, valid through its last, expired the day after."""
    settings = await stack.settings("registry", business_date=DAY)
    city = stack.issuer.headers(["city_officer"])
    app = create_app(settings)
    async with service_client(app) as client:
        created = await client.post("/api/registry/v1/organisations", headers=city,
                                    json={"uscc": make_uscc(91), "name": "有效期核验平台", "kind": "platform"})
        start = DAY + timedelta(days=5)
        title = (await client.post(TITLES, headers=city, json={"organisation_id": created.json()["id"], "kind": "key_platform",
                                                              "valid_from": start.isoformat()})).json()
        last = date.fromisoformat(title["valid_until"])
        seen = []
        for day in (DAY, start, last, last + timedelta(days=1)):
            app.state.clock.pin(day)
            verified = (await client.get(f"{TITLES}/verify/{title['number']}")).json()
            published = (await client.get(f"{TITLES}/published")).json()
            seen.append((verified["status"], verified["checked_on"], published["total"], published["as_of"]))
        assert seen == [
            ("pending", DAY.isoformat(), 0, DAY.isoformat()),
            ("valid", start.isoformat(), 1, start.isoformat()),
            ("valid", last.isoformat(), 1, last.isoformat()),
            ("expired", (last + timedelta(days=1)).isoformat(), 0, (last + timedelta(days=1)).isoformat()),
        ]


async def test_a_title_goes_to_a_kind_that_may_hold_it_once_within_the_programme_period(stack: Stack) -> None:
    """Issue 10 §4: the jurisdiction says which kinds hold a key-platform or traction-unit title; one valid title of a
    kind per organisation; ``valid_from`` within the programme period (Guangzhou 2024—2026); granted directly only by
    a city officer; one title per application (a unique index)."""
    settings = await stack.settings("registry", business_date=DAY)
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        async def org(kind: str, n: int) -> str:
            created = await client.post("/api/registry/v1/organisations", headers=city,
                                        json={"uscc": make_uscc(200 + n), "name": f"称号规则单位{n}", "kind": kind})
            assert created.status_code == 201, created.text
            return str(created.json()["id"])

        async def grant(org_id: str, kind: str, day: date = DAY, headers: dict[str, str] = city) -> Any:
            return await client.post(TITLES, headers=headers, json={"organisation_id": org_id, "kind": kind, "valid_from": day.isoformat()})

        platform, enterprise, third = await org("platform", 1), await org("enterprise", 2), await org("third_party", 3)
        for holder, kind in ((enterprise, "key_platform"), (third, "traction_unit")):
            refused = await grant(holder, kind)
            assert refused.status_code == 422 and refused.json()["code"] == "organisation_not_eligible", refused.text
            assert refused.json()["errors"][0]["field"] == "body.organisation_id"
        assert (await grant(enterprise, "traction_unit")).status_code == 201  # S2 三(一): an enterprise may lead
        district = stack.issuer.headers(["district_officer"], district="huangpu")
        assert (await grant(platform, "key_platform", headers=district)).status_code == 403

        for day in (date(2023, 12, 31), date(2027, 1, 1)):
            outside = await grant(platform, "key_platform", day)
            assert outside.status_code == 422 and outside.json()["code"] == "valid_from_outside_programme", outside.text
            assert outside.json()["errors"][0]["field"] == "body.valid_from"

        first = await grant(platform, "key_platform")
        assert first.status_code == 201
        second = await grant(platform, "key_platform", DAY + timedelta(days=30))
        assert second.status_code == 409 and second.json()["code"] == "title_already_held"
        revoke = f"{TITLES}/{first.json()['id']}/revoke"
        revoked = await client.post(revoke, json={"reason": "主动退出"}, headers={**city, "If-Match": '"1"'})
        assert revoked.status_code == 200
        assert (await grant(platform, "key_platform")).status_code == 201  # revoked today: it may hold a new one

    engine = create_async_engine(settings.database_url)
    try:
        row = {"kind": "key_platform", "name_zh": "称", "organisation_id": platform, "application_id": "a" * 36,
               "valid_from": DAY, "valid_until": DAY + timedelta(days=1)}
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(titles.insert(), [{**row, "id": f"t{n}", "number": f"X-{n}"} for n in range(2)])
    finally:
        await engine.dispose()


async def test_a_failing_verdict_revokes_a_traction_unit_s_title_as_it_does_a_platform_s(stack: Stack) -> None:
    """S2 五(五) adjusts the traction-unit list dynamically: the registry reads a failing verdict on a traction unit's
    title as on a platform's (S0 二(六)) and revokes it, whatever kind of organisation holds it."""
    settings = await stack.settings("registry", business_date=DAY)
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        uscc = make_uscc(230)
        created = await client.post("/api/registry/v1/organisations", headers=city,
                                    json={"uscc": uscc, "name": "牵引单位龙头企业", "kind": "enterprise"})
        body = {"organisation_id": created.json()["id"], "kind": "traction_unit", "valid_from": DAY.isoformat()}
        title = (await client.post(TITLES, headers=city, json=body)).json()
        async with running_worker(SPEC, settings):
            await _verdict(stack, title, uscc, failed=True)

            async def revoked() -> Any:
                found = (await client.get(f"{TITLES}/{title['id']}", headers=city)).json()
                return found if found["revoked_by"] == "evaluation" else None

            found = await eventually(revoked)
        assert (found["kind"], found["revoked_on"]) == ("traction_unit", DAY.isoformat())
        assert (await client.get(f"{TITLES}/verify/{title['number']}")).json()["status"] == "revoked"
