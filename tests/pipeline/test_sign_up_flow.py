"""Sign-up end to end (issue 10 §1, "Done means"): a new enterprise signs itself up over the public endpoint and
activates its account through the mailed link (a real SMTP server), takes a practice self-assessment — its completed
fact says it does not count — is verified by its district officer, and its next assessment counts. Real HTTP, the
registry's facts reaching diagnosis over NATS, diagnosis's facts on NATS."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack

from sqlalchemy import select

from diagnosis.adapters.readmodels import organisation_verification
from diagnosis.main import create_app as diagnosis_app
from registry.main import create_app as registry_app
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from sihua_shared.testing.smtp import smtp_server

from .helpers import facts_on_nats, rows, spec_of
from .test_diagnosis_flow import KIT  # the diagnosis tests' hand-built answer sets

DIAGNOSIS = "/api/diagnosis/v1"
REGISTRY = "/api/registry/v1"
PUBLIC = "https://sihua.example.gov.cn"


async def test_a_signed_up_enterprise_practises_until_verified_then_its_assessments_count(stack: Stack) -> None:
    diagnosis_settings = await stack.settings("diagnosis")
    district_officer = stack.issuer.headers(["district_officer"], district="huangpu")
    with smtp_server() as (inbox, port):
        registry_settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        async with AsyncExitStack() as running:
            registry = await running.enter_async_context(service_client(registry_app(registry_settings)))
            diagnosis = await running.enter_async_context(service_client(diagnosis_app(diagnosis_settings)))
            await running.enter_async_context(running_worker(spec_of("registry"), registry_settings))
            await running.enter_async_context(running_worker(spec_of("diagnosis"), diagnosis_settings))

            # 1. the enterprise signs itself up (no sign-in) and activates its contact's account
            signed_up = await registry.post(f"{REGISTRY}/sign-up", json={
                "uscc": make_uscc(71), "name": "广州黄埔自主报备制造有限公司", "kind": "enterprise", "district": "huangpu",
                "industry_code": "C3670", "sector": "auto_parts", "employees": 120, "revenue_wan": "8000",
                "contact_name": "李联系", "contact_email": "li@huangpu-maker.cn",
            })
            assert signed_up.status_code == 202, signed_up.text

            async def mailed() -> list[object]:
                return list(inbox.messages)

            (mail,) = await eventually(mailed, timeout=10)
            body = mail.get_body(("plain",))  # type: ignore[attr-defined]
            found = re.search(rf"{re.escape(PUBLIC)}{REGISTRY}/sign-up/activate\?token=(\S+)", body.get_content())
            assert found, body.get_content()
            activated = await registry.post(f"{REGISTRY}/sign-up/activate",
                                            json={"token": found.group(1), "new_password": "Huangpu2026ok"})
            assert activated.status_code == 200, activated.text
            login = await registry.post(f"{REGISTRY}/oauth/token", data={
                "grant_type": "password", "username": "li@huangpu-maker.cn", "password": "Huangpu2026ok"})
            assert login.status_code == 200, login.text
            own_registry = {"Authorization": f"Bearer {login.json()['access_token']}"}
            me = (await registry.get(f"{REGISTRY}/accounts/me", headers=own_registry)).json()
            enterprise_id = me["organisation_id"]
            assert me["roles"] == ["enterprise"]
            # the harness's services trust the test issuer: the same account's claims, minted by it
            ent = stack.issuer.headers(["enterprise"], org=enterprise_id, sub=me["id"])

            # 2. a practice self-assessment while unverified: scored, but it does not count
            async def known() -> dict[str, object] | None:  # organisation.registered reached diagnosis over NATS
                started = await diagnosis.post(f"{DIAGNOSIS}/assessments", json={"kind": "self", "stage": "baseline"},
                                               headers=ent)
                return dict(started.json()) if started.status_code == 201 else None

            draft = await eventually(known, timeout=30, interval=0.2)
            practice = await KIT.fill_and_submit(diagnosis, ent, draft["id"], KIT.LEVEL1)
            assert (practice["level"], practice["counts"], practice["official_record"]) == (1, False, False)

            # 3. its district officer finds it in the queue and verifies it
            queue = await registry.get(f"{REGISTRY}/organisations", params={"verification": "unverified"},
                                       headers=district_officer)
            assert [o["id"] for o in queue.json()["items"]] == [enterprise_id]
            etag = (await registry.get(f"{REGISTRY}/organisations/{enterprise_id}", headers=district_officer)).headers["ETag"]
            verified = await registry.post(f"{REGISTRY}/organisations/{enterprise_id}/verify",
                                           headers={**district_officer, "If-Match": etag})
            assert verified.status_code == 200 and verified.json()["verification"] == "verified", verified.text

            async def told_in_inbox() -> list[str]:  # the registry's worker notified the organisation's account
                inbox_items = (await registry.get(f"{REGISTRY}/notifications", headers=own_registry)).json()["items"]
                return [n["kind"] for n in inbox_items if n["kind"] == "organisation_verified"]

            assert await eventually(told_in_inbox, timeout=30, interval=0.2) == ["organisation_verified"]

            # 4. once organisation.verified has reached diagnosis (its read model), the next assessment counts
            async def told() -> bool:
                found = await rows(diagnosis_settings.database_url, select(organisation_verification.c.verification).where(
                    organisation_verification.c.organisation_id == enterprise_id))
                return [r.verification for r in found] == ["verified"]

            await eventually(told, timeout=30, interval=0.2)
            counting = await KIT.assess(diagnosis, ent, KIT.LEVEL2)
            assert (counting["level"], counting["counts"], counting["official_record"]) == (2, True, True)

            async def relayed() -> list[dict[str, object]]:  # both completed facts reached NATS
                found = [f["data"] for f in await facts_on_nats(stack, "diagnosis")
                         if f["type"] == "cn.gov.sihua.diagnosis.assessment.completed.v1"]
                return found if len(found) == 2 else []

            await eventually(relayed, timeout=30, interval=0.3)

    facts = await facts_on_nats(stack, "registry") + await facts_on_nats(stack, "diagnosis")
    registered = [f["data"] for f in facts if f["type"] == "cn.gov.sihua.registry.organisation.registered.v1"]
    assert [(r["organisation_id"], r["verification"]) for r in registered] == [(enterprise_id, "unverified")]
    verified_facts = [f["data"] for f in facts if f["type"] == "cn.gov.sihua.registry.organisation.verified.v1"]
    assert [(v["organisation_id"], v["verified_by"]) for v in verified_facts] == [(enterprise_id, "district_officer")]
    completed = [f["data"] for f in facts if f["type"] == "cn.gov.sihua.diagnosis.assessment.completed.v1"]
    # two aggregates: their facts may reach the stream in either order
    assert {c["assessment_id"]: (c["counts"], c["official_record"]) for c in completed} == {
        practice["id"]: (False, False), counting["id"]: (True, True)}
    assert len(completed) == 2
