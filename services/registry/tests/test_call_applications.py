"""Applications (申报) over HTTP: every step of the state machine allowed and refused (409 naming the allowed ones),
If-Match, required materials, the intake window, one live application per organisation, attachments typed by
content, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from registry.main import create_app
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .selection_kit import API, DAY, PDF, PNG, World, if_match, install_clock


def _refused(response: Any, allowed: list[str]) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert (body["code"], body["allowed"]) == ("transition_not_allowed", allowed), body
    assert body["errors"][0]["message_zh"] and body["errors"][0]["message_en"]


async def test_each_step_of_an_application_allowed_and_refused(stack: Stack) -> None:
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        call = await w.open_call()
        org = await w.org(district="huangpu")
        me = w.as_org(org)
        app = await w.draft(call, org, materials=False)
        path = f"{API}/applications/{app['id']}"
        assert app["state"] == "draft" and app["allowed_actions"] == ["submit", "withdraw"]

        edited = await client.patch(path, json={"summary": "修改后的简介"}, headers={**me, **if_match(await client.get(path, headers=me))})
        assert edited.status_code == 200 and edited.json()["summary"] == "修改后的简介" and edited.json()["version"] == 2

        # submit needs every required material: nothing changes until they are there
        assert (await w.upload(app["id"], me, "business_licence")).status_code == 201
        missing = await w.step(app, "submit", me)
        assert missing.status_code == 422 and [e["field"] for e in missing.json()["errors"]] == ["attachments.platform_report"]
        assert (await client.get(path, headers=me)).json()["state"] == "draft"
        assert (await w.upload(app["id"], me, "platform_report", PNG, "截图.png")).status_code == 201
        assert (await w.step(app, "submit", w.as_org(await w.org()))).status_code == 403  # another organisation

        assert (await client.post(f"{path}/submit", headers=me)).status_code == 428
        assert (await client.post(f"{path}/submit", headers={**me, "If-Match": '"1"'})).status_code == 412
        submitted = await w.step(app, "submit", me)
        assert submitted.status_code == 200 and submitted.json()["state"] == "submitted", submitted.text
        _refused(await w.step(app, "submit", me), ["start_formal_check", "withdraw"])
        assert submitted.json()["allowed_actions"] == ["withdraw"]
        assert (await client.get(path, headers=w.city)).json()["allowed_actions"] == ["start_formal_check"]
        _refused(await client.patch(path, json={"summary": "x"}, headers={**me, **if_match(submitted)}), ["start_formal_check", "withdraw"])
        _refused(await w.step(app, "formal-check/pass", w.city), ["start_formal_check", "withdraw"])

        # the formal check belongs to officials: a provider, or an officer of another district, may not
        assert (await w.step(app, "formal-check/start", me)).status_code == 403
        other_district = stack.issuer.headers(["district_officer"], district="tianhe")
        assert (await w.step(app, "formal-check/start", other_district)).status_code == 403
        own_district = stack.issuer.headers(["district_officer"], district="huangpu")
        assert (await w.step(app, "formal-check/start", own_district)).json()["state"] == "formal_check"
        no_reason = await w.step(app, "formal-check/return", w.city, {"reasons": ["  "]})
        assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "body.reasons"
        returned = await w.step(app, "formal-check/return", w.city, {"reasons": ["营业执照复印件不清晰"]})
        assert returned.json()["state"] == "returned" and returned.json()["return_reasons"] == ["营业执照复印件不清晰"]
        _refused(await w.step(app, "formal-check/pass", w.city), ["resubmit", "withdraw"])

        # returned: the applicant corrects and resubmits
        assert (await client.patch(path, json={"title": "补正后的申报"}, headers={**me, **if_match(returned)})).status_code == 200
        assert (await w.step(app, "submit", me)).json()["state"] == "submitted"
        assert (await w.step(app, "formal-check/start", w.city)).json()["state"] == "formal_check"
        passed = await w.step(app, "formal-check/pass", w.city)
        # allowed_actions are this caller's: the city decides, the applicant may only withdraw, the district has nothing left
        assert passed.json()["state"] == "expert_review" and passed.json()["allowed_actions"] == ["shortlist", "reject"]
        assert (await client.get(path, headers=me)).json()["allowed_actions"] == ["withdraw"]
        assert (await client.get(path, headers=own_district)).json()["allowed_actions"] == []
        assert (await client.get(f"{API}/calls/{call['id']}", headers=me)).json()["allowed_actions"] == []
        assert (await client.get(f"{API}/calls/{call['id']}", headers=w.city)).json()["allowed_actions"] == ["close"]
        withdrawn = await w.step(app, "withdraw", me)
        assert withdrawn.json()["state"] == "withdrawn"
        _refused(await w.step(app, "withdraw", me), [])

        # one live application per organisation and call: withdrawn, it may apply again
        again = await client.post(f"{API}/calls/{call['id']}/applications", json={"title": "重新申报"}, headers=me)
        assert again.status_code == 201, again.text
        twice = await client.post(f"{API}/calls/{call['id']}/applications", json={"title": "第三份"}, headers=me)
        assert twice.status_code == 409 and twice.json()["code"] == "application_exists"

    facts = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    mine = [(e["type"].split(".")[-2], e["data"]["version"]) for e in facts if e["subject"] == app["id"]]
    assert mine == [("submitted", 3), ("returned", 5), ("submitted", 7)]
    assert next(e for e in facts if e["type"].endswith("returned.v1"))["data"]["reasons"] == ["营业执照复印件不清晰"]
    query = select(audit_log.c.action).where(audit_log.c.entity_id == app["id"]).order_by(audit_log.c.id)
    audited = await rows(settings.database_url, query)
    assert [a.action for a in audited] == [
        "application.create", "application.edit", "application.attachment.add", "application.attachment.add", "application.submit",
        "application.start_formal_check", "application.return_for_revision", "application.edit", "application.resubmit",
        "application.start_formal_check", "application.pass_formal_check", "application.withdraw",
    ]


async def test_an_applicant_never_sees_another_s_application(stack: Stack) -> None:
    settings = await stack.settings("registry")
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        call = await w.open_call()
        mine, theirs = await w.org(district="huangpu"), await w.org(district="panyu")
        app = await w.draft(call, mine)
        await w.draft(call, theirs)
        path = f"{API}/applications/{app['id']}"
        attachment = (await client.get(f"{path}/attachments", headers=w.as_org(mine))).json()[0]
        outsiders = {"other provider": w.as_org(theirs), "unassigned expert": stack.issuer.headers(["expert"]),
                     "other district": stack.issuer.headers(["district_officer"], district="panyu")}
        for who, headers in outsiders.items():
            for url in (path, f"{path}/attachments", f"{path}/attachments/{attachment['id']}"):
                assert (await client.get(url, headers=headers)).status_code == 403, (who, url)
        assert (await client.get(path)).status_code == 401
        assert [a["organisation_id"] for a in (await client.get(f"{API}/applications", headers=w.as_org(mine))).json()["items"]] == [mine]
        assert (await client.get(f"{API}/applications", headers=stack.issuer.headers(["expert"]))).json()["total"] == 0
        district = stack.issuer.headers(["district_officer"], district="huangpu")
        assert [a["id"] for a in (await client.get(f"{API}/applications", headers=district)).json()["items"]] == [app["id"]]
        assert (await client.get(f"{API}/applications", headers=w.city)).json()["total"] == 2
        downloaded = await client.get(f"{path}/attachments/{attachment['id']}", headers=district)
        assert downloaded.status_code == 200 and downloaded.content == PDF and downloaded.headers["content-type"] == "application/pdf"
        # an enterprise may apply to a traction-unit call only (S2 三(一)); a key-platform call is for providers
        enterprise = await w.org(kind="enterprise")
        refused = await client.post(f"{API}/calls/{call['id']}/applications", json={"title": "企业申报"},
                                    headers=w.as_org(enterprise, "enterprise"))
        assert refused.status_code == 422 and refused.json()["code"] == "organisation_not_eligible"


async def test_attachments_are_typed_by_content_and_limited_in_size(stack: Stack) -> None:
    settings = await stack.settings("registry", max_upload_bytes=4096)
    async with service_client(create_app(settings)) as client:
        w = World(stack, client)
        call = await w.open_call()
        org = await w.org()
        me = w.as_org(org)
        app = await w.draft(call, org, materials=False)
        disguised = await w.upload(app["id"], me, "business_licence", b"MZ\x90\x00 this is a program, not a PDF", "营业执照.pdf")
        assert disguised.status_code == 415 and disguised.json()["errors"][0]["field"] == "body.file"
        text = await w.upload(app["id"], me, "business_licence", "纯文本，不是PDF".encode(), "营业执照.pdf")
        assert text.status_code == 415
        unknown = await w.upload(app["id"], me, "annual_report", PDF)
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.material_code"
        too_big = await w.upload(app["id"], me, "business_licence", PDF + b"0" * 5000)
        assert too_big.status_code == 413
        image = await w.upload(app["id"], me, "business_licence", PNG, "../../etc/营业执照.pdf")
        assert image.status_code == 201 and image.json()["content_type"] == "image/png" and image.json()["filename"] == "营业执照.pdf"
        assert (await w.upload(app["id"], w.as_org(await w.org()), "business_licence", PDF)).status_code == 403
        listed = await client.get(f"{API}/applications/{app['id']}/attachments", headers=me)
        assert [a["content_type"] for a in listed.json()] == ["image/png"]
        removed = await client.delete(f"{API}/applications/{app['id']}/attachments/{image.json()['id']}", headers=me)
        assert removed.status_code == 204
        assert (await client.get(f"{API}/applications/{app['id']}/attachments", headers=me)).json() == []


async def test_submission_needs_the_intake_window_open_in_the_jurisdiction_s_time_zone(stack: Stack) -> None:
    settings = await stack.settings("registry")
    app_ = create_app(settings)
    clock = install_clock(app_)
    async with service_client(app_) as client:
        w = World(stack, client)
        closes = DAY + timedelta(days=3)
        call = await w.open_call(window={"opens_on": DAY.isoformat(), "closes_on": closes.isoformat()})
        org = await w.org()
        app = await w.draft(call, org)
        clock.pin(closes + timedelta(days=1))  # the day after the window, in Asia/Shanghai
        late = await w.step(app, "submit", w.as_org(org))
        assert late.status_code == 409 and late.json()["code"] == "call_not_open", late.text
        clock.pin(closes)
        assert (await w.step(app, "submit", w.as_org(org))).json()["state"] == "submitted"

        other = await w.org()
        draft = await w.draft(call, other)
        current = await client.get(f"{API}/calls/{call['id']}", headers=w.city)
        assert (await client.post(f"{API}/calls/{call['id']}/close", headers={**w.city, **if_match(current)})).status_code == 200
        closed = await w.step(draft, "submit", w.as_org(other))
        assert closed.status_code == 409 and closed.json()["code"] == "call_not_open"
        refused = await client.post(f"{API}/calls/{call['id']}/applications", json={"title": "截止后申报"}, headers=w.as_org(await w.org()))
        assert refused.status_code == 409 and refused.json()["code"] == "call_not_open"
