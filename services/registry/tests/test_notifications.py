"""Notifications fed by the registry's facts, reminders that fire when due, e-mail through a real SMTP server."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from registry.application.accounts import create_account
from registry.main import create_app
from registry.spec import SPEC
from sihua_shared.auth import Actor
from sihua_shared.contracts import registry as facts
from sihua_shared.db import create_engine, session_factory
from sihua_shared.outbox import record_event
from sihua_shared.settings import Settings
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from sihua_shared.testing.smtp import smtp_server

CITY = Actor(id="seed", org=None, roles=frozenset({"city_officer"}))
PASSWORD = "Notify2026pass"
DAY = date(2026, 3, 10)  # the business date of the api and the worker (SIHUA_BUSINESS_DATE)
DUE_ON = DAY + timedelta(days=1)  # a review due "tomorrow": the worker's reminder job fires on DAY


async def _accounts(settings: Settings, org_id: str) -> dict[str, str]:
    engine = create_engine(settings.database_url)
    made = {}
    async with session_factory(engine)() as s, s.begin():
        for key, roles, org in (("ent", ["provider"], org_id), ("expert", ["expert"], None), ("city", ["city_officer"], None)):
            row = await create_account(
                s, CITY, {"username": f"n-{key}", "display_name": key, "email": f"{key}@example.gov.cn", "roles": roles,
                          "organisation_id": org}, PASSWORD,
            )
            made[key] = row["id"]
    await engine.dispose()
    return made


async def _publish(settings: Settings, namespace: str, *events: tuple[Any, dict[str, Any]]) -> None:
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as s, s.begin():
        for spec, data in events:
            await record_event(s, spec, spec.parse({**spec.example, **data}), subject="x", namespace=namespace)
    await engine.dispose()


async def test_facts_notify_the_people_they_concern_once_and_mail_them(stack: Stack) -> None:
    with smtp_server() as (mailbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, business_date=DAY)
        async with service_client(create_app(settings)) as client:
            officer = stack.issuer.headers(["city_officer"])
            org = await client.post("/api/registry/v1/organisations", headers=officer,
                                    json={"uscc": make_uscc(61), "name": "消息测试平台", "kind": "platform"})
            org_id = org.json()["id"]
            ids = await _accounts(settings, org_id)
            mine = {"organisation_id": org_id}
            await _publish(
                settings, stack.namespace,
                (facts.APPLICATION_RETURNED, mine),
                (facts.EXPERT_ASSIGNED, {"expert_account_id": ids["expert"], "due_on": DUE_ON.isoformat()}),
                (facts.OBJECTION_FILED, mine),
                (facts.TITLE_REVOKED, mine),
            )
            async with running_worker(SPEC, settings):

                async def inbox(account: str, role: str, org: str | None = None) -> list[dict[str, Any]]:
                    response = await client.get("/api/registry/v1/notifications",
                                                headers=stack.issuer.headers([role], sub=account, org=org))
                    assert response.status_code == 200, response.text
                    return list(response.json()["items"])

                async def settled() -> bool:
                    return len(mailbox.messages) == 6

                await eventually(settled, timeout=30)
                enterprise = await inbox(ids["ent"], "provider", org_id)
                expert = await inbox(ids["expert"], "expert")
                city = await inbox(ids["city"], "city_officer")
            assert [n["kind"] for n in enterprise] == ["title_revoked", "objection_filed", "application_returned"]
            assert "缺少近三年财务审计报告" in enterprise[2]["body_zh"]
            assert sorted(n["kind"] for n in expert) == ["expert_assigned", "review_due"]  # due tomorrow: reminded now
            assert [n["kind"] for n in city] == ["objection_filed"]
            assert {n["email_status"] for n in enterprise + expert + city} == {"sent"}
            subjects = sorted(str(m["Subject"]) for m in mailbox.messages)
            assert "【四化平台】称号已撤销" in subjects and "【四化平台】您有新的评审任务" in subjects
            assert sorted(str(m["To"]) for m in mailbox.messages).count("ent@example.gov.cn") == 3

            # read state is per account; nobody else can touch my notices
            first = enterprise[0]["id"]
            expert_headers = stack.issuer.headers(["expert"], sub=ids["expert"])
            other = await client.post(f"/api/registry/v1/notifications/{first}/read", headers=expert_headers)
            assert other.status_code == 404
            read = await client.post(f"/api/registry/v1/notifications/{first}/read",
                                     headers=stack.issuer.headers(["provider"], sub=ids["ent"], org=org_id))
            assert read.status_code == 200 and read.json()["read_at"] is not None
            unread = await client.get("/api/registry/v1/notifications?unread=true",
                                      headers=stack.issuer.headers(["provider"], sub=ids["ent"], org=org_id))
            assert unread.json()["total"] == 2
            assert (await client.get("/api/registry/v1/notifications")).status_code == 401
