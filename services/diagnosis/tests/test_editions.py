"""Editions of the index over HTTP against a real database: the shipped edition registered on first use,
uploads checked on load, the version as the content, activation, and immutability once used."""

from __future__ import annotations

import yaml
from sqlalchemy import select

from diagnosis.application.edition_cache import shipped_text
from diagnosis.main import create_app
from sihua_shared.tables import audit_log
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import API, EDITION_VERSION, LEVEL1, assess, seed, start

YAML = {"Content-Type": "application/yaml"}


def edited(**changes: object) -> str:
    tree = yaml.safe_load(shipped_text())
    tree.update(changes)
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


async def test_shipped_edition_is_registered_on_first_use(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    async with service_client(create_app(settings)) as client:
        assert (await client.get(f"{API}/editions")).status_code == 401
        listed = (await client.get(f"{API}/editions", headers=ent)).json()
        assert [(e["version_id"], e["edition_id"], e["shipped"], e["active"], e["used"]) for e in listed["items"]] == [
            (EDITION_VERSION, "2024", True, True, False)
        ]
        one = (await client.get(f"{API}/editions/{EDITION_VERSION}", headers=ent)).json()
        assert one["title"] == "中小企业数字化水平评测指标（2024年版）"
        assert {k: one["summary"][k] for k in ("items", "scenes", "levels", "level_mode")} == {
            "items": 15, "scenes": 16, "levels": 4, "level_mode": "score_and_scenes"}
        text = await client.get(f"{API}/editions/{EDITION_VERSION}/yaml", headers=ent)
        assert text.text == shipped_text() and text.headers["content-type"].startswith("application/yaml")
        malformed = await client.get(f"{API}/editions/2024@nope", headers=ent)
        assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "path.version_id"
        assert (await client.get(f"{API}/editions/2024@{'0' * 16}", headers=ent)).status_code == 404


async def test_upload_is_checked_and_listed_problem_by_problem(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    async with service_client(create_app(settings)) as client:
        tree = yaml.safe_load(shipped_text())
        tree["items"][0]["max_milli"] = 9000
        del tree["scenes"][3]
        broken = await client.post(f"{API}/editions", content=yaml.safe_dump(tree, allow_unicode=True), headers={**city, **YAML})
        assert broken.status_code == 422 and broken.json()["code"] == "edition_invalid"
        fields = [e["field"] for e in broken.json()["errors"]]
        wanted = {"body.items.Q1", "body.indicators.foundation.equipment.network", "body.items.Q4.options.E", "body.scene_groups"}
        assert wanted <= set(fields)
        assert "edition.maxima" in broken.json()["problem_codes"]
        not_yaml = await client.post(f"{API}/editions", content=b"id: [unclosed", headers={**city, **YAML})
        assert not_yaml.status_code == 422 and not_yaml.json()["errors"][0]["field"] == "body"
        as_json = await client.post(f"{API}/editions", content=b"{}", headers={**city, "Content-Type": "application/json"})
        assert as_json.status_code == 415
        bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
        expanded = await client.post(f"{API}/editions", content=bomb, headers={**city, **YAML})
        assert expanded.status_code == 422 and expanded.json()["code"] == "edition_too_large"
        ent = stack.issuer.headers(["enterprise"], org="ent-a")
        assert (await client.post(f"{API}/editions", content=edited(), headers={**ent, **YAML})).status_code == 403
        # values the database cannot store or a browser cannot read back are named by their path, nothing stored
        # (a key given again at the end of the file overrides it: YAML keeps the last)
        unstorable = {"title": '"空\\0字符"', "notes": "[.nan, 1e400]", "sector": '"\\ud800"', "id": '"2024 x"',
                      "score_scale_milli": str(2**60)}
        for key, value in unstorable.items():
            raw = f"{edited()}\n{key}: {value}\n"
            refused = await client.post(f"{API}/editions", content=raw.encode(), headers={**city, **YAML})
            assert refused.status_code == 422, (key, refused.text)
            assert any(e["field"].startswith(f"body.{key}") for e in refused.json()["errors"]), (key, refused.json())
        long_title = await client.post(f"{API}/editions", content=edited(id="long", title="长" * 301), headers={**city, **YAML})
        assert long_title.status_code == 422 and long_title.json()["errors"][0]["field"] == "body.title"

        same = await client.post(f"{API}/editions", content=shipped_text(), headers={**city, **YAML})
        assert same.status_code == 200 and same.json()["version_id"] == EDITION_VERSION
        relaid = await client.post(f"{API}/editions", content=edited(), headers={**city, **YAML})  # comments and layout differ
        assert relaid.status_code == 200 and relaid.json()["version_id"] == EDITION_VERSION

        fresh = await client.post(f"{API}/editions", content=edited(id="2024-gz", title="广州修订版"), headers={**city, **YAML})
        assert fresh.status_code == 201, fresh.text
        version = fresh.json()["version_id"]
        assert version.startswith("2024-gz@") and fresh.json()["active"] is False and fresh.json()["shipped"] is False
        assert (await client.get(f"{API}/editions", params={"edition_id": "2024-gz"}, headers=city)).json()["total"] == 1
        assert (await client.delete(f"{API}/editions/{EDITION_VERSION}", headers=city)).status_code == 409
        assert (await client.delete(f"{API}/editions/{version}", headers=city)).status_code == 204
        assert (await client.get(f"{API}/editions/{version}", headers=city)).status_code == 404
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions == ["edition.upload", "edition.delete"]


async def test_activation_pins_new_assessments_and_use_freezes_the_edition(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, ("ent-a", "enterprise", "huangpu", None))
    city = stack.issuer.headers(["city_officer"])
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    async with service_client(create_app(settings)) as client:
        revised = edited(title="2024 版（修订）", notes=["a revision, unused so far"])
        uploaded = await client.post(f"{API}/editions", content=revised, headers={**city, **YAML})
        assert uploaded.status_code == 201
        version = uploaded.json()["version_id"]
        first = await start(client, ent)  # before activation: the shipped version
        assert first["edition_version"] == EDITION_VERSION
        assert (await client.post(f"{API}/editions/{version}/activate", headers=ent)).status_code == 403
        active = await client.post(f"{API}/editions/{version}/activate", headers=city)
        assert active.status_code == 200 and active.json()["active"] is True
        second = await assess(client, ent, LEVEL1)
        assert second["edition_version"] == version and second["result"]["edition_version"] == version
        assert (await client.get(f"{API}/assessments/{first['id']}", headers=ent)).json()["edition_version"] == EDITION_VERSION

        listed = {e["version_id"]: e for e in (await client.get(f"{API}/editions", headers=ent)).json()["items"]}
        assert (listed[version]["used"], listed[version]["active"]) == (True, True)
        assert (listed[EDITION_VERSION]["used"], listed[EDITION_VERSION]["active"]) == (False, False)
        frozen = await client.post(f"{API}/editions", content=edited(title="再改一次"), headers={**city, **YAML})
        assert frozen.status_code == 409 and frozen.json()["code"] == "edition_immutable"
        assert frozen.json()["errors"][0]["field"] == "body.id"
        assert (await client.delete(f"{API}/editions/{version}", headers=city)).status_code == 409
        unknown = await client.post(f"{API}/assessments", json={"kind": "self", "stage": "baseline", "edition_id": "2030"}, headers=ent)
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.edition_id"

        city_recompute = await client.post(f"{API}/assessments/{second['id']}/recompute",
                                           json={"edition_version": EDITION_VERSION}, headers=city)
        assert city_recompute.status_code == 200
        assert city_recompute.json()["matches_stored"] is False  # another edition: the stamp differs, the level does not
        assert "edition_hash" in city_recompute.json()["changed"] and city_recompute.json()["result"]["level"] == 1
