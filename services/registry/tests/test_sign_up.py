"""The public sign-up over HTTP against a real database and a real SMTP server (aiosmtpd): the organisation starts
unverified, its contact activates the account through the mailed link; the answer is the same whether or not the
USCC is known; throttling; mail off; verification and rejection by the district's officers; what an unverified
organisation may not do yet."""

from __future__ import annotations

import email.message
import re
from typing import Any

import httpx
from sqlalchemy import select

from registry.adapters.account_tables import accounts
from registry.adapters.tables import organisations
from registry.application.sign_up import MAX_PER_USCC
from registry.application.verification import EXTERNAL_IDENTITY, verify_organisation
from registry.main import create_app
from sihua_shared.settings import Settings
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, service_client
from sihua_shared.testing.smtp import Inbox, smtp_server
from tests.pipeline.helpers import rows

from .selection_kit import World, install_clock

API = "/api/registry/v1"
SIGN_UP = f"{API}/sign-up"
PUBLIC = "https://sihua.example.gov.cn"


def sign_up_body(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "uscc": make_uscc(n), "name": f"自主注册企业{n}", "kind": "enterprise", "district": "huangpu",
        "industry_code": "C2110", "sector": "custom_furniture", "employees": 80, "revenue_wan": "3000",
        "contact_name": "张联系", "contact_email": f"contact{n}@example.cn", **fields,
    }


async def mails(inbox: Inbox, n: int) -> list[email.message.EmailMessage]:
    async def received() -> list[email.message.EmailMessage]:
        return inbox.messages if len(inbox.messages) >= n else []

    return list(await eventually(received, timeout=10))


def text_of(mail: email.message.EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def link_token(mail: email.message.EmailMessage, path: str) -> str:
    found = re.search(rf"{re.escape(PUBLIC)}{API}/{path}\?token=(\S+)", text_of(mail))
    assert found, text_of(mail)
    return found.group(1)


async def facts(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    found = await rows(settings.database_url, select(outbox.c.type, outbox.c.envelope).order_by(outbox.c.seq))
    return [(".".join(e.type.split(".")[-3:-1]), e.envelope["data"]) for e in found]


async def organisation_row(settings: Settings, uscc: str) -> Any:
    (row,) = await rows(settings.database_url, select(organisations).where(organisations.c.uscc == uscc))
    return row


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/oauth/token", data={"grant_type": "password", "username": username, "password": password})


async def signed_up(client: httpx.AsyncClient, inbox: Inbox, n: int, **fields: Any) -> tuple[str, dict[str, str]]:
    """Sign up organisation ``n`` and activate its contact's account: (organisation id, its bearer headers)."""
    before = len(inbox.messages)
    answer = await client.post(SIGN_UP, json=sign_up_body(n, **fields))
    assert answer.status_code == 202, answer.text
    mail = (await mails(inbox, before + 1))[before]
    token = link_token(mail, "sign-up/activate")
    done = await client.post(f"{SIGN_UP}/activate", json={"token": token, "new_password": "FirstPassw0rd1"})
    assert done.status_code == 200, done.text
    signed_in = await login(client, fields.get("contact_email", f"contact{n}@example.cn"), "FirstPassw0rd1")
    assert signed_in.status_code == 200, signed_in.text
    me = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    profile = (await client.get(f"{API}/accounts/me", headers=me)).json()
    return profile["organisation_id"], me


async def test_a_sign_up_creates_an_unverified_organisation_and_an_account_activated_by_the_mailed_link(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        async with service_client(create_app(settings)) as client:
            answer = await client.post(SIGN_UP, json=sign_up_body(1, contact_email="Zhang.Contact@Example.cn"))
            assert answer.status_code == 202, answer.text
            (mail,) = await mails(inbox, 1)
            assert mail["To"] == "zhang.contact@example.cn" and "激活" in str(mail["Subject"])
            assert "练习性自评估" in text_of(mail)
            token = link_token(mail, "sign-up/activate")
            page = await client.get(f"{SIGN_UP}/activate", params={"token": token})
            assert page.status_code == 200 and token in page.text and "/sign-up/activate" in page.text
            # no password works before activation
            assert (await login(client, "zhang.contact@example.cn", "")).status_code in (400, 422)
            weak = await client.post(f"{SIGN_UP}/activate", json={"token": token, "new_password": "short"})
            assert weak.status_code == 422
            done = await client.post(f"{SIGN_UP}/activate", json={"token": token, "new_password": "FirstPassw0rd1"})
            assert done.status_code == 200, done.text
            again = await client.post(f"{SIGN_UP}/activate", json={"token": token, "new_password": "FirstPassw0rd2"})
            assert again.status_code == 422 and again.json()["code"] == "invalid_reset_token"
            signed_in = await login(client, "zhang.contact@example.cn", "FirstPassw0rd1")
            assert signed_in.status_code == 200, signed_in.text
            me = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            account = (await client.get(f"{API}/accounts/me", headers=me)).json()
            assert account["roles"] == ["enterprise"] and account["display_name"] == "张联系"
            own = await client.get(f"{API}/organisations/{account['organisation_id']}", headers=me)
            assert own.status_code == 200
            assert (own.json()["verification"], own.json()["size_class"], own.json()["kind"]) == ("unverified", "small", "enterprise")
            # it fills its profile before verification
            patched = await client.patch(f"{API}/organisations/{account['organisation_id']}", json={"employees": 90},
                                         headers={**me, "If-Match": own.headers["ETag"]})
            assert patched.status_code == 200 and patched.json()["verification"] == "unverified"
    published = await facts(settings)
    registered = [data for kind, data in published if kind == "organisation.registered"]
    assert len(registered) == 1 and registered[0]["verification"] == "unverified"
    updated = [data for kind, data in published if kind == "organisation.updated"]
    assert updated[0]["verification"] == "unverified"
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions[:3] == ["organisation.register", "account.create", "account.activation_issued"]
    assert "account.activate" in actions


async def test_the_answer_is_the_same_whether_or_not_the_uscc_is_registered(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        async with service_client(create_app(settings)) as client:
            await signed_up(client, inbox, 2)
            inbox.messages.clear()
            known = await client.post(SIGN_UP, json=sign_up_body(2, name="冒名企业", contact_email="someone@else.cn"))
            new = await client.post(SIGN_UP, json=sign_up_body(3))
            assert known.status_code == new.status_code == 202
            assert known.json() == new.json()
            assert known.headers["content-type"] == new.headers["content-type"]
            received = await mails(inbox, 2)
            by_address = {m["To"]: m for m in received}
            assert set(by_address) == {"contact2@example.cn", "contact3@example.cn"}  # never someone@else.cn
            warned = by_address["contact2@example.cn"]
            assert "再次申请注册" in str(warned["Subject"]) and make_uscc(2) in text_of(warned)
            reset = link_token(warned, "password-reset")  # the way to recover the account
            recovered = await client.post(f"{API}/password-reset/confirm", json={"token": reset, "new_password": "Recovered123x"})
            assert recovered.status_code == 200, recovered.text
            assert (await login(client, "contact2@example.cn", "Recovered123x")).status_code == 200
            # an address already used as a login: nothing created, the address is told
            inbox.messages.clear()
            taken = await client.post(SIGN_UP, json=sign_up_body(4, contact_email="contact2@example.cn"))
            assert taken.status_code == 202 and taken.json() == new.json()
            (told,) = await mails(inbox, 1)
            assert told["To"] == "contact2@example.cn" and "已有账号" in str(told["Subject"])
    assert len(await rows(settings.database_url, select(organisations.c.id))) == 2
    assert not await rows(settings.database_url, select(organisations.c.id).where(organisations.c.uscc == make_uscc(4)))
    named = await rows(settings.database_url, select(organisations.c.name).where(organisations.c.uscc == make_uscc(2)))
    assert [r.name for r in named] == ["自主注册企业2"]  # the second sign-up changed nothing
    assert len(await rows(settings.database_url, select(accounts.c.id))) == 2


async def test_sign_ups_are_throttled_per_uscc_and_per_address(stack: Stack) -> None:
    with smtp_server() as (_, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        async with service_client(create_app(settings)) as client:
            for attempt in range(MAX_PER_USCC):
                answer = await client.post(SIGN_UP, json=sign_up_body(5, contact_email=f"x{attempt}@example.cn"))
                assert answer.status_code == 202, answer.text
            throttled = await client.post(SIGN_UP, json=sign_up_body(5, contact_email="y@example.cn"))
            assert throttled.status_code == 429 and throttled.json()["code"] == "sign_up_throttled"
            assert int(throttled.headers["Retry-After"]) > 0
            assert throttled.headers["content-type"] == "application/problem+json"
            # per address: the same client, other USCCs
            statuses = [(await client.post(SIGN_UP, json=sign_up_body(100 + i))).status_code for i in range(10)]
            assert statuses.count(202) == 10 - MAX_PER_USCC and statuses[-1] == 429
    assert len(await rows(settings.database_url, select(organisations.c.id))) == 1 + 10 - MAX_PER_USCC


async def test_without_a_mail_server_sign_up_answers_that_it_is_unavailable(stack: Stack) -> None:
    settings = await stack.settings("registry", smtp_host="")
    async with service_client(create_app(settings)) as client:
        answer = await client.post(SIGN_UP, json=sign_up_body(6))
        assert answer.status_code == 503 and answer.json()["code"] == "mail_unavailable", answer.text
        bad = await client.post(SIGN_UP, json=sign_up_body(6, uscc=make_uscc(6)[:17] + "0", kind="agency"))
        assert bad.status_code == 422
    assert not await rows(settings.database_url, select(organisations.c.id))


async def test_a_bad_uscc_or_kind_is_a_field_error(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        async with service_client(create_app(settings)) as client:
            uscc = make_uscc(7)
            corrupt = uscc[:17] + ("0" if uscc[17] != "0" else "1")
            refused = await client.post(SIGN_UP, json=sign_up_body(7, uscc=corrupt))
            assert refused.status_code == 422 and "body.uscc" in {e["field"] for e in refused.json()["errors"]}
            agency = await client.post(SIGN_UP, json=sign_up_body(7, kind="agency"))
            assert agency.status_code == 422
    assert not inbox.messages


async def test_the_district_officer_verifies_or_rejects_with_a_reason(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        huangpu = stack.issuer.headers(["district_officer"], district="huangpu")
        tianhe = stack.issuer.headers(["district_officer"], district="tianhe")
        city = stack.issuer.headers(["city_officer"])
        async with service_client(create_app(settings)) as client:
            first, own = await signed_up(client, inbox, 8)
            second, _ = await signed_up(client, inbox, 9, kind="provider", sector=None, industry_code="I6510")
            queue = await client.get(f"{API}/organisations", params={"verification": "unverified"}, headers=huangpu)
            assert {o["id"] for o in queue.json()["items"]} == {first, second}
            assert (await client.get(f"{API}/organisations", params={"verification": "unverified"}, headers=tianhe)).json()["total"] == 0
            etag = (await client.get(f"{API}/organisations/{first}", headers=huangpu)).headers["ETag"]
            # who: not another district, not the organisation itself (403), not without If-Match (428)
            assert (await client.post(f"{API}/organisations/{first}/verify", headers={**tianhe, "If-Match": etag})).status_code == 403
            assert (await client.post(f"{API}/organisations/{first}/verify", headers={**own, "If-Match": etag})).status_code == 403
            assert (await client.post(f"{API}/organisations/{first}/verify", headers=huangpu)).status_code == 428
            stale = await client.post(f"{API}/organisations/{first}/verify", headers={**huangpu, "If-Match": '"99"'})
            assert stale.status_code == 412
            verified = await client.post(f"{API}/organisations/{first}/verify", headers={**huangpu, "If-Match": etag})
            assert verified.status_code == 200, verified.text
            body = verified.json()
            assert (body["verification"], body["verified_by"]) == ("verified", "district_officer")
            assert body["verification_decided_on"] and verified.headers["ETag"] != etag
            twice = await client.post(f"{API}/organisations/{first}/verify", headers={**huangpu, "If-Match": verified.headers["ETag"]})
            assert twice.status_code == 409 and twice.json()["code"] == "transition_not_allowed"

            etag2 = (await client.get(f"{API}/organisations/{second}", headers=city)).headers["ETag"]
            no_reason = await client.post(f"{API}/organisations/{second}/reject", json={"reason": "  "},
                                          headers={**city, "If-Match": etag2})
            assert no_reason.status_code == 422
            rejected = await client.post(f"{API}/organisations/{second}/reject", json={"reason": "营业执照信息与统一社会信用代码不符"},
                                         headers={**city, "If-Match": etag2})
            assert rejected.status_code == 200, rejected.text
            reason = rejected.json()["rejection_reason"]
            assert (rejected.json()["verification"], reason) == ("rejected", "营业执照信息与统一社会信用代码不符")
            # a rejected organisation may be verified later, by the city
            later = await client.post(f"{API}/organisations/{second}/verify", headers={**city, "If-Match": rejected.headers["ETag"]})
            assert later.status_code == 200 and later.json()["verified_by"] == "city_officer"
    published = await facts(settings)
    verified_facts = [data for kind, data in published if kind == "organisation.verified"]
    assert [(f["organisation_id"], f["verified_by"], f["version"]) for f in verified_facts] == [
        (first, "district_officer", 2), (second, "city_officer", 3)]
    (rejected_fact,) = [data for kind, data in published if kind == "organisation.rejected"]
    assert (rejected_fact["organisation_id"], rejected_fact["reason"], rejected_fact["version"]) == (
        second, "营业执照信息与统一社会信用代码不符", 2)
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions.count("organisation.verify") == 2 and actions.count("organisation.reject") == 1


async def test_the_system_verifies_through_external_identity_once(stack: Stack) -> None:
    """The token exchange's use: no policy, no version; verifying a verified organisation changes nothing."""
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        async with service_client(create_app(settings)) as client:
            org_id, _ = await signed_up(client, inbox, 10)
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(settings.database_url)
    try:
        for _ in range(2):
            async with engine.begin() as connection:
                from sqlalchemy.ext.asyncio import AsyncSession

                session = AsyncSession(bind=connection)
                row = await verify_organisation(session, EXTERNAL_IDENTITY, org_id, verified_by="external_identity")
                assert (row["verification"], row["verified_by"], row["version"]) == ("verified", "external_identity", 2)
    finally:
        await engine.dispose()
    verified = [data for kind, data in await facts(settings) if kind == "organisation.verified"]
    assert len(verified) == 1 and verified[0]["verified_by"] == "external_identity"


async def test_an_unverified_organisation_may_not_apply_join_the_pilot_or_hold_a_title(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        city = stack.issuer.headers(["city_officer"])
        async with service_client(create_app(settings)) as client:
            org_id, own = await signed_up(client, inbox, 11, district="baiyun")
            enrol = await client.post(f"{API}/pilot-pool", json={"enterprise_id": org_id}, headers=city)
            assert enrol.status_code == 422 and "organisation_unverified" in enrol.json()["reasons"], enrol.text
            grant = await client.post(f"{API}/titles", json={"organisation_id": org_id, "kind": "traction_unit",
                                                           "valid_from": "2026-01-10"}, headers=city)
            assert grant.status_code == 409 and grant.json()["code"] == "organisation_unverified", grant.text
            etag = (await client.get(f"{API}/organisations/{org_id}", headers=city)).headers["ETag"]
            assert (await client.post(f"{API}/organisations/{org_id}/verify", headers={**city, "If-Match": etag})).status_code == 200
            enrolled = await client.post(f"{API}/pilot-pool", json={"enterprise_id": org_id}, headers=city)
            assert enrolled.status_code == 201, enrolled.text


async def test_a_signed_up_provider_applies_to_a_call_only_once_verified(stack: Stack) -> None:
    with smtp_server() as (inbox, port):
        settings = await stack.settings("registry", smtp_host="127.0.0.1", smtp_port=port, public_url=PUBLIC)
        app = create_app(settings)
        install_clock(app)
        async with service_client(app) as client:
            org_id, own = await signed_up(client, inbox, 12, kind="provider", sector=None, industry_code="I6510")
            call = await World(stack, client).open_call()
            body = {"title": "工业互联网平台申报", "summary": "平台简介", "content": {"users": 1200}}
            refused = await client.post(f"{API}/calls/{call['id']}/applications", json=body, headers=own)
            assert refused.status_code == 409 and refused.json()["code"] == "organisation_unverified", refused.text
            city = stack.issuer.headers(["city_officer"])
            etag = (await client.get(f"{API}/organisations/{org_id}", headers=city)).headers["ETag"]
            assert (await client.post(f"{API}/organisations/{org_id}/verify", headers={**city, "If-Match": etag})).status_code == 200
            applied = await client.post(f"{API}/calls/{call['id']}/applications", json=body, headers=own)
            assert applied.status_code == 201, applied.text
