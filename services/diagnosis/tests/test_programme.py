"""Programme views over HTTP against a real database: enterprises by level, sector and district, and the
enterprises at 二级 or above after transformation against the pilot's 710 target (S2 二)."""

from __future__ import annotations

from diagnosis.main import create_app
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, LEVEL1, LEVEL2, assess, seed

ORGS = (
    ("ent-1", "enterprise", "baiyun", "custom_furniture"),
    ("ent-2", "enterprise", "baiyun", "custom_furniture"),
    ("ent-3", "enterprise", "huangpu", "auto_parts"),
    ("ent-4", "enterprise", "huangpu", None),
    ("third", "third_party", None, None),
)


async def test_levels_and_the_level2_list(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, *ORGS, pilot=("ent-1", "ent-2"))
    third = stack.issuer.headers(["third_party"], org="third")
    city = stack.issuer.headers(["city_officer"])
    baiyun = stack.issuer.headers(["district_officer"], district="baiyun")
    async with service_client(create_app(settings)) as client:
        for n in (1, 2):
            own = stack.issuer.headers(["enterprise"], org=f"ent-{n}")
            assert (await client.post(f"{API}/consents", json={"organisation_id": "third"}, headers=own)).status_code == 201
            await assess(client, own, LEVEL2, stage="post_transformation")  # practice: a pilot's self-assessment
        onsite = {"kind": "onsite", "enterprise_id": "ent-1"}
        await assess(client, third, LEVEL1, **onsite)
        post_1 = await assess(client, third, LEVEL2, stage="post_transformation", **onsite)
        ent3 = stack.issuer.headers(["enterprise"], org="ent-3")
        await assess(client, ent3, LEVEL1)
        post_3 = await assess(client, ent3, LEVEL2, stage="post_transformation")
        ent4 = stack.issuer.headers(["enterprise"], org="ent-4")
        await assess(client, ent4, LEVEL2, stage="post_transformation")
        await assess(client, ent4, LEVEL1, stage="post_transformation")  # the latest record counts: back to 一级

        levels = (await client.get(f"{API}/programme/levels", headers=city)).json()
        # ent-1 (on-site post 二级), ent-3 (post 二级), ent-4 (post 一级); ent-2 has practice runs only.
        assert levels["enterprises"] == 3
        assert levels["by_level"] == {"0": 0, "1": 1, "2": 2, "3": 0, "4": 0}
        assert levels["by_district"]["huangpu"] == {"0": 0, "1": 1, "2": 1, "3": 0, "4": 0}
        assert levels["by_sector"]["custom_furniture"]["2"] == 1 and levels["by_sector"]["unknown"]["1"] == 1
        assert levels["labels"]["districts"]["huangpu"] == "黄埔区" and levels["labels"]["sectors"]["auto_parts"].startswith("智能网联")
        baseline = (await client.get(f"{API}/programme/levels", params={"stage": "baseline"}, headers=city)).json()
        assert baseline["by_level"]["1"] == 2 and baseline["enterprises"] == 2
        scoped = (await client.get(f"{API}/programme/levels", headers=baiyun)).json()
        assert (scoped["district"], scoped["enterprises"], list(scoped["by_district"])) == ("baiyun", 1, ["baiyun"])
        for refused in (stack.issuer.headers(["enterprise"], org="ent-1"), stack.issuer.headers(["district_officer"])):
            assert (await client.get(f"{API}/programme/levels", headers=refused)).status_code == 403

        listed = (await client.get(f"{API}/programme/level2-plus", headers=city)).json()
        assert [(i["enterprise_id"], i["assessment_id"], i["pilot"], i["level_name"]) for i in listed["items"]] == [
            ("ent-3", post_3["id"], False, "二级"), ("ent-1", post_1["id"], True, "二级")]
        assert listed["total"] == 2 and listed["items"][1]["name"] == "ent-1 有限公司"
        assert listed["target"] == {"enterprises": 710, "pilot_reached": 1, "percent": 0.1, "due": "2026-12-31", "source": "S2 二"}
        pilot_only = (await client.get(f"{API}/programme/level2-plus", params={"pilot_only": "true"}, headers=city)).json()
        assert [i["enterprise_id"] for i in pilot_only["items"]] == ["ent-1"]
        mine = (await client.get(f"{API}/programme/level2-plus", headers=baiyun)).json()
        assert [i["enterprise_id"] for i in mine["items"]] == ["ent-1"] and mine["district"] == "baiyun"
        paged = (await client.get(f"{API}/programme/level2-plus", params={"limit": 1, "offset": 1}, headers=city)).json()
        assert [i["enterprise_id"] for i in paged["items"]] == ["ent-1"] and paged["total"] == 2
