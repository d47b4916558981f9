"""Assessments over HTTP against a real database: who may start and fill one, partial answers and their
problems, submission with the authenticity commitment, the stored result and its facts, visibility,
evidence, recomputation and the comparison of two assessments."""

from __future__ import annotations

import asyncio
import copy
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import select

from diagnosis.adapters.edition_tables import editions
from diagnosis.application import evidence as evidence_use_case
from diagnosis.main import create_app
from sihua_shared.clock import BusinessClock
from sihua_shared.errors import conflict
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import API, DAY, EDITION_VERSION, LEVEL1, LEVEL2, assess, fill_and_submit, seed, start

ORGS = (
    ("ent-a", "enterprise", "huangpu", "auto_parts"),
    ("ent-b", "enterprise", "tianhe", None),
    ("ent-pilot", "enterprise", "baiyun", "custom_furniture"),
    ("third", "third_party", None, None),
    ("prov", "diagnosis_provider", None, None),
    ("prov-2", "platform", None, None),
)


def bad(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return [(e["field"], e["message_en"]) for e in response.json()["errors"]]


async def test_answers_save_partially_resume_and_name_the_bad_item(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a", sub="acct-a")
    async with service_client(create_app(settings)) as client:
        created = await start(client, ent)
        assert (created["state"], created["edition_version"], created["enterprise_id"]) == ("draft", EDITION_VERSION, "ent-a")
        assert created["progress"]["items_total"] == 15 and created["progress"]["scenes_total"] == 16
        url = f"{API}/assessments/{created['id']}"

        part = await client.put(f"{url}/answers", json={"answers": {"Q1": {"options": ["B", "C"]}}, "scenes": {"S01": 2}}, headers=ent)
        assert part.status_code == 200 and part.headers["etag"] == '"2"'
        more = await client.put(f"{url}/answers", json={"answers": {"Q2": {"inputs": {"total_devices": 100, "digital_devices": 50}}}},
                                headers={**ent, "If-Match": '"2"'})
        assert more.status_code == 200, more.text
        resumed = (await client.get(url, headers=ent)).json()
        assert resumed["answers"]["answers"].keys() == {"Q1", "Q2"} and resumed["answers"]["scenes"] == {"S01": 2}
        assert resumed["progress"]["items_answered"] == 2 and "Q3" in resumed["progress"]["items_missing"]
        assert (await client.put(f"{url}/answers", json={"scenes": {"S02": 1}}, headers={**ent, "If-Match": '"1"'})).status_code == 412

        cases: list[tuple[dict[str, Any], str]] = [
            ({"answers": {"Q2": {"options": ["Z"]}}}, "body.answers.Q2"),                       # unknown option
            ({"answers": {"Q2": {"options": ["B", "C"]}}}, "body.answers.Q2"),                  # two options on a single-choice item
            ({"answers": {"Q1": {"options": ["A", "B"]}}}, "body.answers.Q1"),                  # 无 with others
            ({"answers": {"Q3": {"inputs": {"total_devices": -1, "networked_devices": 0}}}}, "body.answers.Q3.inputs.total_devices"),
            ({"answers": {"Q2": {"inputs": {"total_devices": 10, "digital_devices": 11}}}}, "body.answers.Q2.inputs.digital_devices"),
            ({"answers": {"Q2": {"options": ["A"], "inputs": {"total_devices": 100, "digital_devices": 50}}}}, "body.answers.Q2"),
            ({"answers": {"Q99": {"options": ["A"]}}}, "body.answers.Q99"),
            ({"scenes": {"S01": 7}}, "body.scenes.S01"),
        ]
        for patch, field in cases:
            fields = [f for f, _ in bad(await client.put(f"{url}/answers", json=patch, headers=ent))]
            assert field in fields, (patch, fields)
        after = (await client.get(url, headers=ent)).json()
        assert after["version"] == 3 and after["answers"] == resumed["answers"], "a refused save stores nothing"

        removed = await client.put(f"{url}/answers", json={"answers": {"Q1": None}}, headers=ent)
        assert removed.json()["answers"]["answers"].keys() == {"Q2"}

        other = stack.issuer.headers(["enterprise"], org="ent-b")
        assert (await client.get(url, headers=other)).status_code == 404
        assert (await client.put(f"{url}/answers", json={}, headers=other)).status_code == 404


async def test_submission_scores_exactly_and_records_the_facts(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a", sub="acct-a")
    async with service_client(create_app(settings)) as client:
        created = await start(client, ent)
        url = f"{API}/assessments/{created['id']}"
        half = copy.deepcopy(LEVEL1)
        del half["answers"]["Q15"], half["scenes"]["S16"]
        saved = await client.put(f"{url}/answers", json=half, headers=ent)
        submit = f"{url}/submit"
        commitment = {"authenticity_commitment": True}
        assert (await client.post(submit, json=commitment, headers=ent)).status_code == 428
        assert (await client.post(submit, json=commitment, headers={**ent, "If-Match": '"9"'})).status_code == 412
        refused = await client.post(submit, json={"authenticity_commitment": False}, headers={**ent, "If-Match": saved.headers["etag"]})
        assert bad(refused) == [("body.authenticity_commitment", "the authenticity commitment (真实性承诺) is required to submit")]
        incomplete = await client.post(submit, json=commitment, headers={**ent, "If-Match": saved.headers["etag"]})
        assert {f for f, _ in bad(incomplete)} == {"body.answers.Q15", "body.scenes.S16"}

        done = await fill_and_submit(client, ent, created["id"], LEVEL1)
        assert (done["state"], done["level"], done["level_name"], done["total_milli"], done["official_record"]) == (
            "submitted", 1, "一级", 29975, True)
        assert done["result"]["next_level_gap"] == {"level": 2, "score_milli_missing": 10025, "scene_level": 2,
                                                   "scenes_missing": 4, "constrained_missing": 1}
        again = await client.post(submit, json=commitment, headers={**ent, "If-Match": f'"{done["version"]}"'})
        assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
        assert (await client.put(f"{url}/answers", json={}, headers=ent)).status_code == 409

        city = stack.issuer.headers(["city_officer"])
        same = (await client.post(f"{url}/recompute", json={}, headers=city)).json()
        assert same["matches_stored"] is True and same["changed"] == [] and same["result"] == done["result"]
        assert (await client.post(f"{url}/recompute", json={}, headers=ent)).status_code == 403

    facts = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    assert [f["type"].rsplit(".", 3)[-3:] for f in facts] == [
        ["edition", "activated", "v1"], ["assessment", "submitted", "v1"], ["assessment", "completed", "v1"]]
    facts = facts[1:]  # the shipped edition's first activation, then the assessment's facts
    completed = facts[1]["data"]
    assert (completed["level"], completed["total_milli"], completed["kind"], completed["stage"], completed["official_record"]) == (
        1, 29975, "self", "baseline", True)
    assert completed["weakest_scenes"][:2] == ["S06", "S07"] and completed["edition_version"] == EDITION_VERSION
    assert facts[0]["data"]["submitted_by_account_id"] == "acct-a" and facts[1]["aggregateversion"] == done["version"]
    used = await rows(settings.database_url, select(editions.c.used).where(editions.c.version_id == EDITION_VERSION))
    assert [u.used for u in used] == [True]
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions == ["assessment.start", "assessment.save_answers", "assessment.save_answers", "assessment.submit"]


async def test_who_may_start_fill_and_see(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS, pilot=("ent-pilot",))
    ent_a = stack.issuer.headers(["enterprise"], org="ent-a")
    pilot = stack.issuer.headers(["enterprise"], org="ent-pilot")
    third = stack.issuer.headers(["third_party"], org="third")
    prov = stack.issuer.headers(["provider"], org="prov")
    async with service_client(create_app(settings)) as client:
        assert (await client.post(f"{API}/assessments", json={"kind": "onsite", "stage": "baseline"}, headers=ent_a)).status_code == 403
        assert (await client.post(f"{API}/assessments", json={"kind": "self", "stage": "baseline", "enterprise_id": "ent-b"},
                                  headers=ent_a)).status_code == 403
        on_behalf = {"kind": "self", "stage": "baseline", "enterprise_id": "ent-pilot"}
        assert (await client.post(f"{API}/assessments", json=on_behalf, headers=prov)).status_code == 403
        consent = await client.post(f"{API}/consents", json={"organisation_id": "prov"}, headers=pilot)
        assert consent.status_code == 201, consent.text
        assert (await client.post(f"{API}/consents", json={"organisation_id": "prov"}, headers=pilot)).status_code == 409
        assert (await client.post(f"{API}/consents", json={"organisation_id": "ent-a"}, headers=pilot)).status_code == 422
        filled = await assess(client, prov, LEVEL1, enterprise_id="ent-pilot")
        assert filled["filled_by_organisation_id"] == "prov" and filled["pilot"] is True
        assert filled["official_record"] is False, "a pilot enterprise's self-assessment is practice only"
        onsite = {"kind": "onsite", "stage": "baseline", "enterprise_id": "ent-pilot"}
        assert (await client.post(f"{API}/assessments", json=onsite, headers=prov)).status_code == 403  # not assigned
        assert (await client.post(f"{API}/assessments", json=onsite, headers=third)).status_code == 403  # no consent
        assert (await client.post(f"{API}/consents", json={"organisation_id": "third"}, headers=pilot)).status_code == 201
        onsite_done = await assess(client, third, LEVEL2, **onsite)
        assert (onsite_done["kind"], onsite_done["official_record"], onsite_done["level"]) == ("onsite", True, 2)
        draft = await start(client, pilot, enterprise_id="ent-pilot")
        assert (await client.put(f"{API}/assessments/{draft['id']}/answers", json={}, headers=third)).status_code == 404

        revoke = f"{API}/consents/{consent.json()['id']}/revoke"
        assert (await client.post(revoke, headers={**pilot, "If-Match": '"1"'})).status_code == 200
        assert (await client.post(f"{API}/assessments", json=on_behalf, headers=prov)).status_code == 403

        async def visible(headers: dict[str, str], **query: str) -> set[str]:
            listed = await client.get(f"{API}/assessments", params=query, headers=headers)
            assert listed.status_code == 200, listed.text
            return {i["id"] for i in listed.json()["items"]}

        assert await visible(pilot) == {filled["id"], onsite_done["id"], draft["id"]}
        assert await visible(prov) == {filled["id"]} and await visible(third) == {onsite_done["id"]}
        assert await visible(ent_a) == set()
        submitted = {filled["id"], onsite_done["id"]}
        assert await visible(stack.issuer.headers(["city_officer"])) == submitted, "officials see submitted ones only"
        assert await visible(stack.issuer.headers(["district_officer"], district="baiyun")) == submitted
        assert await visible(stack.issuer.headers(["district_officer"], district="tianhe")) == set()
        assert await visible(stack.issuer.headers(["expert"], district="tianhe")) == set()
        assert await visible(stack.issuer.headers(["expert"], district="baiyun")) == submitted
        assert await visible(stack.issuer.headers(["expert"])) == set(), "an unbound expert was assigned none"
        assert await visible(stack.issuer.headers(["third_party"], org="tp-unbound")) == set()
        assert await visible(pilot, kind="onsite") == {onsite_done["id"]}


async def test_evidence_is_typed_by_content(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    async with service_client(create_app(settings)) as client:
        created = await start(client, ent)
        url = f"{API}/assessments/{created['id']}/evidence"
        sent = await client.post(url, files={"file": ("网络拓扑.png", png, "application/pdf")}, data={"target": "Q1"}, headers=ent)
        assert sent.status_code == 201, sent.text
        assert (sent.json()["content_type"], sent.json()["target"], sent.json()["size"]) == ("image/png", "Q1", len(png))
        keyed = {**ent, "Idempotency-Key": "upload-1"}
        first = await client.post(url, files={"file": ("b.png", png, "image/png")}, data={"target": "S01"}, headers=keyed)
        replay = await client.post(url, files={"file": ("b.png", png, "image/png")}, data={"target": "S01"}, headers=keyed)
        assert first.status_code == replay.status_code == 201 and first.json()["id"] == replay.json()["id"]
        assert replay.headers["idempotent-replayed"] == "true"
        text = await client.post(url, files={"file": ("a.pdf", b"just text", "application/pdf")}, data={"target": "S01"}, headers=ent)
        assert text.status_code == 415
        unknown = await client.post(url, files={"file": ("a.png", png, "image/png")}, data={"target": "Q42"}, headers=ent)
        assert bad(unknown) == [("body.target", "Q42 is no item or scene of the edition")]
        listed = await client.get(url, headers=ent)
        assert [e["filename"] for e in listed.json()] == ["网络拓扑.png", "b.png"]
        got = await client.get(f"{url}/{sent.json()['id']}", headers=ent)
        assert got.content == png and got.headers["content-type"] == "image/png"
        other = stack.issuer.headers(["enterprise"], org="ent-b")
        assert (await client.get(f"{url}/{sent.json()['id']}", headers=other)).status_code == 404


async def test_comparison_shows_the_uplift(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    async with service_client(create_app(settings)) as client:
        url = f"{API}/enterprises/ent-a/comparison"
        assert (await client.get(url, headers=ent)).status_code == 404
        before = await assess(client, ent, LEVEL1)
        after = await assess(client, ent, LEVEL2, stage="post_transformation")
        compared = await client.get(url, headers=ent)
        assert compared.status_code == 200, compared.text
        body = compared.json()
        assert (body["before"]["id"], body["after"]["id"]) == (before["id"], after["id"])
        c = body["comparison"]
        assert (c["level_uplift"], c["total_milli"]["delta"], c["same_edition"]) == (1, 15025, True)
        assert c["scenes_raised"] == ["S02", "S04", "S06", "S07"]
        explicit = await client.get(url, params={"before": after["id"], "after": before["id"]}, headers=ent)
        assert explicit.json()["comparison"]["level_uplift"] == -1
        assert (await client.get(url, params={"before": "nope"}, headers=ent)).status_code == 422
        assert (await client.get(url, headers=stack.issuer.headers(["enterprise"], org="ent-b"))).status_code == 404
        district = await client.get(url, headers=stack.issuer.headers(["district_officer"], district="huangpu"))
        assert district.status_code == 200


async def test_a_revoked_consent_stops_changes_to_started_drafts(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    prov = stack.issuer.headers(["provider"], org="prov")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    async with service_client(create_app(settings)) as client:
        consent = (await client.post(f"{API}/consents", json={"organisation_id": "prov"}, headers=ent)).json()
        draft = await start(client, prov, enterprise_id="ent-a")
        url = f"{API}/assessments/{draft['id']}"
        assert (await client.put(f"{url}/answers", json={"scenes": {"S01": 1}}, headers=prov)).status_code == 200
        revoked = await client.post(f"{API}/consents/{consent['id']}/revoke", headers={**ent, "If-Match": '"1"'})
        assert revoked.status_code == 200, revoked.text

        assert (await client.put(f"{url}/answers", json={"scenes": {"S02": 1}}, headers=prov)).status_code == 403
        upload = await client.post(f"{url}/evidence", files={"file": ("a.png", png, "image/png")}, data={"target": "Q1"},
                                   headers=prov)
        assert upload.status_code == 403
        kept = (await client.get(url, headers=ent)).json()
        assert kept["version"] == 2 and kept["answers"]["scenes"] == {"S01": 1}, "nothing changed after the revocation"
        assert (await client.get(f"{url}/evidence", headers=ent)).json() == []
        # the enterprise itself may still complete its own self-assessment
        assert (await client.put(f"{url}/answers", json={"scenes": {"S02": 1}}, headers=ent)).status_code == 200


async def test_consent_and_submission_times_are_business_times_of_the_jurisdiction(stack: Stack) -> None:
    """Grant, revocation and submission are stamped by the business clock: on its date in the jurisdiction's
    time zone (here a pinned one), never the database server's calendar."""
    settings = await stack.settings("diagnosis", business_date=DAY)
    zone = BusinessClock.from_settings(settings).zone
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    async with service_client(create_app(settings)) as client:
        consent = (await client.post(f"{API}/consents", json={"organisation_id": "prov"}, headers=ent)).json()
        revoked = await client.post(f"{API}/consents/{consent['id']}/revoke", headers={**ent, "If-Match": '"1"'})
        assert revoked.status_code == 200, revoked.text
        done = await assess(client, ent, LEVEL1)

    def local_day(stamp: str) -> date:
        return datetime.fromisoformat(stamp).astimezone(zone).date()

    assert local_day(consent["granted_at"]) == DAY and local_day(revoked.json()["revoked_at"]) == DAY
    assert local_day(done["submitted_at"]) == DAY


async def test_an_evidence_upload_racing_a_submission_cannot_attach_after_it(stack: Stack) -> None:
    """The upload has read the draft and is storing its file when the submission arrives: the submission waits
    for the upload's transaction, so the evidence is attached before the assessment is submitted, never after."""
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    app = create_app(settings)
    async with service_client(app) as client:
        draft = await start(client, ent)
        url = f"{API}/assessments/{draft['id']}"
        saved = await client.put(f"{url}/answers", json=LEVEL1, headers=ent)
        assert saved.status_code == 200, saved.text
        files = app.state.runtime.files
        writing, release = asyncio.Event(), asyncio.Event()
        real_put = files.put

        async def slow_put(key: str, data: bytes, content_type: str) -> Any:
            writing.set()
            await release.wait()
            return await real_put(key, data, content_type)

        files.put = slow_put
        upload = asyncio.create_task(client.post(f"{url}/evidence", files={"file": ("a.png", png, "image/png")},
                                                 data={"target": "Q1"}, headers=ent))
        await asyncio.wait_for(writing.wait(), 10)
        submit = asyncio.create_task(client.post(f"{url}/submit", json={"authenticity_commitment": True},
                                                 headers={**ent, "If-Match": saved.headers["ETag"]}))
        done, _ = await asyncio.wait({submit}, timeout=1.0)
        assert not done, "the submission went through while an upload to the draft was still running"
        release.set()
        uploaded, submitted = await upload, await submit
        files.put = real_put
    assert uploaded.status_code == 201, uploaded.text
    assert submitted.status_code == 200, submitted.text
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions.index("assessment.attach_evidence") < actions.index("assessment.submit")


async def test_an_upload_that_fails_after_storing_its_file_leaves_no_file(stack: Stack, monkeypatch: Any) -> None:
    """The file is written before the transaction commits; when the use case fails after the write, the file
    goes with the rolled-back row."""
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS)
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64

    async def failing_audit(*_: Any, **__: Any) -> None:
        raise conflict("audit_unavailable", "审计日志不可用", "the audit log is unavailable")

    app = create_app(settings)
    async with service_client(app) as client:
        draft = await start(client, ent)
        url = f"{API}/assessments/{draft['id']}/evidence"
        monkeypatch.setattr(evidence_use_case, "audit", failing_audit)
        failed = await client.post(url, files={"file": ("a.png", png, "image/png")}, data={"target": "Q1"}, headers=ent)
        assert failed.status_code == 409, failed.text
        root = app.state.runtime.files.root / "assessments" / draft["id"]
        assert [p for p in root.rglob("*") if p.is_file()] == [], "the failed upload left its file in the store"
        monkeypatch.undo()
        kept = await client.post(url, files={"file": ("a.png", png, "image/png")}, data={"target": "Q1"}, headers=ent)
        assert kept.status_code == 201, kept.text
        assert len([p for p in root.rglob("*") if p.is_file()]) == 1
