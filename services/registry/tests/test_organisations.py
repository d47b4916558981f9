"""Organisations over HTTP against a real database: the USCC check at the API, the size class kept with its
inputs and recomputed on change, visibility, declared relationships, and the all-or-nothing XLSX import."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from registry.adapters.profile_tables import organisation_relationships
from registry.adapters.tables import organisations
from registry.application.organisation_import import HEADERS
from registry.application.relationships import related_organisations
from registry.main import create_app
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

ORGS = "/api/registry/v1/organisations"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def corrupt(uscc: str) -> str:
    """The same code with a wrong check character: well-formed, but not a real USCC."""
    return uscc[:17] + ("0" if uscc[17] != "0" else "1")


async def register(client: httpx.AsyncClient, headers: dict[str, str], n: int, **fields: Any) -> dict[str, Any]:
    body = {"uscc": make_uscc(n), "name": f"组织测试企业{n}", "kind": "enterprise", "district": "huangpu", **fields}
    response = await client.post(ORGS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def count(url: str, table: Any) -> int:
    return int((await rows(url, select(func.count()).select_from(table)))[0][0])


async def events(url: str) -> list[tuple[str, dict[str, Any], Any]]:
    found = await rows(url, select(outbox.c.type, outbox.c.envelope).order_by(outbox.c.seq))
    return [(e.type.split(".")[-2], e.envelope["data"], e.envelope.get("aggregateversion")) for e in found]


async def audit_actions(url: str) -> list[str]:
    return [r.action for r in await rows(url, select(audit_log.c.action).order_by(audit_log.c.id))]


def workbook(rows_: list[list[Any]], headers: tuple[str, ...] | list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows_:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "组织.xlsx", content_type: str = XLSX) -> dict[str, Any]:
    return {"file": (name, data, content_type)}


# ---- the USCC check character ------------------------------------------------------------------------


async def test_a_corrupted_uscc_is_a_field_error_and_nothing_is_stored(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        body = {"uscc": corrupt(make_uscc(11)), "name": "校验位错误企业", "kind": "enterprise"}
        refused = await client.post(ORGS, json=body, headers=city)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "validation_failed"
        assert [(e["field"], e["message_zh"]) for e in problem["errors"]] == [("body.uscc", "统一社会信用代码校验位错误，请核对后重新输入")]
        assert "check character" in problem["errors"][0]["message_en"]
        assert await count(settings.database_url, organisations) == 0
        assert await events(settings.database_url) == [] and await audit_actions(settings.database_url) == []

        # what a person types is forgiven at the edge: blanks and lower case
        accepted = await client.post(ORGS, json={**body, "uscc": f" {make_uscc(11).lower()} "}, headers=city)
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["uscc"] == make_uscc(11)
    assert [(u.uscc,) for u in await rows(settings.database_url, select(organisations.c.uscc))] == [(make_uscc(11),)]


# ---- the size class: inputs and result kept, recomputed on change ------------------------------------


async def test_a_software_company_is_classified_by_its_own_industrys_row(stack: Stack) -> None:
    """120 people and 1500万: 中型 by 第四条(十二) 软件和信息技术服务业 (E ≥ 100, R ≥ 1000万); 工业's row says 小型."""
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    async with service_client(create_app(settings)) as client:
        software = await register(client, city, 25, kind="diagnosis_provider", industry_code="I6510", employees=120,
                                  revenue_wan="1500")
        factory = await register(client, city, 26, industry_code="C3670", employees=120, revenue_wan="1500")
        assert (software["size_class"], factory["size_class"]) == ("medium", "small")
        basis = software["size_class_basis"]
        assert (basis["row"], basis["industry"], basis["rule"], basis["industry_code"]) == (
            12, "软件和信息技术服务业", "《中小企业划型标准规定》(工信部联企业〔2011〕300号) 第四条(十二)", "I6510")
        assert [(c["level"], c["quantity"], c["threshold"], c["at_least"]) for c in basis["comparisons"]] == [
            ("large", "employees", 300, False), ("large", "revenue_fen", 10_000 * 1_000_000, False),
            ("medium", "employees", 100, True), ("medium", "revenue_fen", 1_000 * 1_000_000, True),
        ]

        # 租赁和商务服务业 needs total assets, which is not on file: no class, and the basis says so
        leasing = await register(client, city, 27, kind="third_party", industry_code="L7241", employees=50,
                                 revenue_wan="900")
        assert leasing["size_class"] is None and leasing["size_class_basis"]["missing"] == ["total_assets_fen"]
        # given its 资产总额 it is classified by 第四条(十五): 50 people, 150万 total assets → 小型 (E ≥ 10, A ≥ 100万)
        assets = await client.patch(f"{ORGS}/{leasing['id']}", json={"total_assets_wan": "150"},
                                    headers={**city, "If-Match": '"1"'})
        assert assets.status_code == 200, assets.text
        assert (assets.json()["size_class"], assets.json()["total_assets_wan"], assets.json()["total_assets_fen"]) == (
            "small", "150", 150 * 1_000_000)
        assert [(c["level"], c["quantity"], c["at_least"]) for c in assets.json()["size_class_basis"]["comparisons"]][-2:] == [
            ("small", "employees", True), ("small", "total_assets_fen", True)]
        # moving the software company into a code too coarse to choose a row clears the class, with the reason
        path = f"{ORGS}/{software['id']}"
        coarse = await client.patch(path, json={"industry_code": "I"}, headers={**city, "If-Match": '"1"'})
        assert coarse.status_code == 200, coarse.text
        assert coarse.json()["size_class"] is None and coarse.json()["size_class_basis"]["row"] is None
        listed = await client.get(path, headers=city)
        assert listed.json()["size_class_basis"]["decided_by_zh"].startswith("国民经济行业代码 I 不够细")


async def test_size_class_is_stored_with_its_inputs_and_recomputed_on_patch(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    async with service_client(create_app(settings)) as client:
        bare = await register(client, city, 21)
        assert (bare["employees"], bare["revenue_wan"], bare["size_class"], bare["size_class_basis"]) == (None, None, None, None)

        org = await register(client, city, 22, sector="auto_parts", industry_code="C3670", employees=85, revenue_wan="4200.50")
        assert (org["employees"], org["revenue_wan"], org["revenue_fen"], org["size_class"]) == (85, "4200.5", 4_200_500_000, "small")
        assert org["size_class_basis"]["rule"].startswith("《中小企业划型标准规定》") and org["version"] == 1
        path = f"{ORGS}/{org['id']}"

        # a state change needs If-Match; a stale one is refused
        assert (await client.patch(path, json={"employees": 1200}, headers=city)).status_code == 428
        stale = await client.patch(path, json={"employees": 1200}, headers={**city, "If-Match": '"7"'})
        assert stale.status_code == 412 and stale.headers["etag"] == '"1"'

        grown = await client.patch(path, json={"employees": 1200, "revenue_wan": 45000}, headers={**city, "If-Match": '"1"'})
        assert grown.status_code == 200, grown.text
        assert grown.headers["etag"] == '"2"'
        assert (grown.json()["size_class"], grown.json()["revenue_fen"], grown.json()["version"]) == ("large", 45_000_000_000, 2)

        # money is never a float; nor more precise than a fen
        floated = await client.patch(path, json={"revenue_wan": 1234.5}, headers={**city, "If-Match": '"2"'})
        assert floated.status_code == 422 and floated.json()["errors"][0]["field"] == "body.revenue_wan"
        sub_fen = await client.patch(path, json={"revenue_wan": "1.0000001"}, headers={**city, "If-Match": '"2"'})
        assert sub_fen.status_code == 422 and sub_fen.json()["errors"][0]["field"] == "body.revenue_wan"

        # clearing an input clears the result; sending the same values again changes nothing
        cleared = await client.patch(path, json={"employees": None}, headers={**city, "If-Match": '"2"'})
        assert (cleared.json()["size_class"], cleared.json()["employees"], cleared.json()["version"]) == (None, None, 3)
        same = await client.patch(path, json={"employees": None}, headers={**city, "If-Match": '"3"'})
        assert same.status_code == 200 and same.json()["version"] == 3

    stored = await rows(settings.database_url, select(organisations).where(organisations.c.id == org["id"]))
    assert (stored[0].employees, stored[0].revenue_fen, stored[0].size_class, stored[0].version) == (None, 45_000_000_000, None, 3)
    published = [(kind, data.get("size_class"), data.get("version"), v) for kind, data, v in await events(settings.database_url)]
    assert published == [
        ("registered", None, None, 1),
        ("registered", "small", None, 1),
        ("updated", "large", 2, 2),
        ("updated", None, 3, 3),
    ]
    assert await audit_actions(settings.database_url) == ["organisation.register"] * 2 + ["organisation.update"] * 2


async def test_who_may_change_what(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        org = await register(client, city, 31, employees=10, revenue_wan="100")
        path = f"{ORGS}/{org['id']}"
        own = stack.issuer.headers(["enterprise"], org=org["id"])
        v1 = {"If-Match": '"1"'}

        identity = await client.patch(path, json={"name": "改名企业", "employees": 30}, headers={**own, **v1})
        assert identity.status_code == 403 and identity.json()["code"] == "identity_field"
        assert [e["field"] for e in identity.json()["errors"]] == ["body.name"]
        other = stack.issuer.headers(["enterprise"], org="another-org")
        assert (await client.patch(path, json={"employees": 30}, headers={**other, **v1})).status_code == 403
        tianhe = stack.issuer.headers(["district_officer"], district="tianhe")
        assert (await client.patch(path, json={"employees": 30}, headers={**tianhe, **v1})).status_code == 403
        auditor = stack.issuer.headers(["auditor"])
        assert (await client.patch(path, json={"employees": 30}, headers={**auditor, **v1})).status_code == 403
        huangpu = stack.issuer.headers(["district_officer"], district="huangpu")
        moved = await client.patch(path, json={"district": "tianhe"}, headers={**huangpu, **v1})
        assert moved.status_code == 403 and moved.json()["code"] == "outside_district"

        ok = await client.patch(path, json={"employees": 30, "revenue_wan": "350"}, headers={**own, **v1})
        assert ok.status_code == 200 and (ok.json()["size_class"], ok.json()["version"]) == ("small", 2)
        renamed = await client.patch(path, json={"name": "正式更名企业"}, headers={**huangpu, "If-Match": '"2"'})
        assert renamed.status_code == 200 and renamed.json()["name"] == "正式更名企业"
        bad_uscc = await client.patch(path, json={"uscc": corrupt(make_uscc(32))}, headers={**city, "If-Match": '"3"'})
        assert bad_uscc.status_code == 422 and bad_uscc.json()["errors"][0]["field"] == "body.uscc"
        bad_district = await client.patch(path, json={"district": "atlantis"}, headers={**city, "If-Match": '"3"'})
        assert bad_district.status_code == 422 and bad_district.json()["errors"][0]["field"] == "body.district"

        # a district officer registers in their own district only (theirs by default)
        defaulted = await client.post(ORGS, json={"uscc": make_uscc(33), "name": "区级登记企业", "kind": "enterprise"}, headers=huangpu)
        assert defaulted.status_code == 201 and defaulted.json()["district"] == "huangpu"
        elsewhere = await client.post(
            ORGS, json={"uscc": make_uscc(34), "name": "越区登记企业", "kind": "enterprise", "district": "tianhe"}, headers=huangpu
        )
        assert elsewhere.status_code == 403 and elsewhere.json()["errors"][0]["field"] == "body.district"
        # the organisation itself may read itself, an expert may not
        assert (await client.get(path, headers=own)).headers["etag"] == '"3"'
        assert (await client.get(path, headers=stack.issuer.headers(["expert"]))).status_code == 403


# ---- the list: filters and who sees what --------------------------------------------------------------


async def test_list_filters_and_visibility(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        furniture = await register(client, city, 41, name="白云定制家居有限公司", district="baiyun", sector="custom_furniture")
        await register(client, city, 42, name="白云箱包制造有限公司", district="baiyun", sector="luggage")
        await register(client, city, 43, name="黄埔工业互联网平台", kind="platform")

        async def names(headers: dict[str, str], **params: Any) -> tuple[list[str], int]:
            response = await client.get(ORGS, params=params, headers=headers)
            assert response.status_code == 200, response.text
            return [o["name"] for o in response.json()["items"]], response.json()["total"]

        assert (await names(city))[1] == 3
        assert await names(city, kind="platform") == (["黄埔工业互联网平台"], 1)
        assert await names(city, district="baiyun", sector="luggage") == (["白云箱包制造有限公司"], 1)
        assert await names(city, q="家居") == (["白云定制家居有限公司"], 1)
        assert await names(city, q="%") == ([], 0)  # a wildcard is a character, not a pattern
        page = await client.get(ORGS, params={"limit": 1, "offset": 1}, headers=city)
        assert (len(page.json()["items"]), page.json()["total"], page.json()["limit"], page.json()["offset"]) == (1, 3, 1, 1)
        assert (await names(stack.issuer.headers(["district_officer"], district="baiyun")))[1] == 2
        assert (await names(stack.issuer.headers(["district_officer"], district="tianhe")))[1] == 0
        assert await names(stack.issuer.headers(["enterprise"], org=furniture["id"])) == (["白云定制家居有限公司"], 1)
        assert (await client.get(ORGS, headers=stack.issuer.headers(["expert"]))).status_code == 403
        assert (await client.get(ORGS)).status_code == 401


# ---- relationships ---------------------------------------------------------------------------------------


async def test_relationships_are_stored_and_feed_conflict_checks(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"], sub="city-rel")
    async with service_client(create_app(settings)) as client:
        a, b, c, d = [await register(client, city, 50 + n, kind="platform") for n in range(4)]
        own_a = stack.issuer.headers(["provider"], org=a["id"], sub="provider-a")

        def path(org: dict[str, Any]) -> str:
            return f"{ORGS}/{org['id']}/relationships"

        declared = {"related_organisation_id": b["id"], "kind": "shareholding", "note": "持股30%"}
        first = await client.post(path(a), json=declared, headers=own_a)
        assert first.status_code == 201, first.text
        assert (first.json()["kind_zh"], first.json()["declared_by"]) == ("股权关系", "provider-a")
        second = await client.post(path(c), json={"related_organisation_id": b["id"], "kind": "staff_move"}, headers=city)
        assert second.status_code == 201

        again = await client.post(path(b), json={"related_organisation_id": a["id"], "kind": "shareholding"}, headers=city)
        assert again.status_code == 409 and again.json()["code"] == "relationship_exists"  # no direction: the same pair
        itself = await client.post(path(a), json={"related_organisation_id": a["id"], "kind": "group_membership"}, headers=city)
        assert itself.status_code == 422 and itself.json()["errors"][0]["field"] == "body.related_organisation_id"
        unknown = await client.post(path(a), json={"related_organisation_id": "nope", "kind": "group_membership"}, headers=city)
        assert unknown.status_code == 422
        for_another = await client.post(path(d), json={"related_organisation_id": a["id"], "kind": "group_membership"}, headers=own_a)
        assert for_another.status_code == 403

        listed = await client.get(path(b), headers=city)
        assert listed.json()["total"] == 2
        assert {(r["organisation_id"], r["kind"]) for r in listed.json()["items"]} == {(a["id"], "shareholding"), (c["id"], "staff_move")}

        engine = create_async_engine(settings.database_url)
        try:
            async with AsyncSession(engine) as session:
                assert await related_organisations(session, a["id"]) == {b["id"], c["id"]}  # through b
                assert await related_organisations(session, a["id"], transitive=False) == {b["id"]}
                assert await related_organisations(session, d["id"]) == frozenset()
        finally:
            await engine.dispose()

        rel_id = first.json()["id"]
        assert (await client.delete(f"{path(a)}/{rel_id}", headers=own_a)).status_code == 403  # only officials withdraw
        assert (await client.delete(f"{path(a)}/{rel_id}", headers=city)).status_code == 204
        assert (await client.delete(f"{path(a)}/{rel_id}", headers=city)).status_code == 404
    assert await count(settings.database_url, organisation_relationships) == 1
    actions = await audit_actions(settings.database_url)
    assert actions[4:] == ["organisation.relationship.declare"] * 2 + ["organisation.relationship.delete"]


# ---- XLSX import -------------------------------------------------------------------------------------------


async def test_xlsx_import_registers_every_row_in_one_go(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        template = await client.get(f"{ORGS}/import-template", headers=city)
        assert template.status_code == 200 and template.headers["content-type"] == XLSX
        assert "attachment" in template.headers["content-disposition"]
        book = load_workbook(io.BytesIO(template.content))
        sheet = book.worksheets[0]
        assert [c.value for c in sheet[1]] == list(HEADERS)
        assert "填写说明" in book.sheetnames
        # fill the downloaded template the way an official does, with the names people use
        sheet.append(["广州白云定制家居有限公司", make_uscc(61), "企业", "白云区", "定制家居", "C2110", 85, 4200.5])
        sheet.append(["广州花都箱包有限公司", make_uscc(62).lower(), "企业", "花都", "箱包", "c1923", "36", "860.50"])
        sheet.append(["黄埔数字化牵引单位有限公司", make_uscc(63), "数字化牵引单位", "huangpu", None, "I6450", None, None])
        # 租赁和商务服务业 is classified by employees and 资产总额 (第四条(十五)): 50 people, 150万 → 小型
        sheet.append(["黄埔商务咨询有限公司", make_uscc(64), "第三方综合服务机构", "huangpu", None, "L7212", 50, "900", "150"])
        filled = io.BytesIO()
        book.save(filled)

        response = await client.post(f"{ORGS}/import", files=upload(filled.getvalue()), headers=city)
        assert response.status_code == 201, response.text
        result = response.json()
        assert result["imported"] == 4
        assert [(i["row"], i["uscc"], i["district"], i["size_class"]) for i in result["items"]] == [
            (2, make_uscc(61), "baiyun", "small"),
            (3, make_uscc(62), "huadu", "small"),
            (4, make_uscc(63), "huangpu", None),
            (5, make_uscc(64), "huangpu", "small"),
        ]
    stored = await rows(
        settings.database_url,
        select(organisations.c.name, organisations.c.kind, organisations.c.sector, organisations.c.industry_code,
               organisations.c.employees, organisations.c.revenue_fen, organisations.c.total_assets_fen).order_by(organisations.c.uscc),
    )
    assert [tuple(r) for r in stored] == [
        ("广州白云定制家居有限公司", "enterprise", "custom_furniture", "C2110", 85, 4_200_500_000, None),
        ("广州花都箱包有限公司", "enterprise", "luggage", "C1923", 36, 860_500_000, None),
        ("黄埔数字化牵引单位有限公司", "traction_unit", None, "I6450", None, None, None),
        ("黄埔商务咨询有限公司", "third_party", None, "L7212", 50, 900_000_000, 150_000_000),
    ]
    assert [kind for kind, _, _ in await events(settings.database_url)] == ["registered"] * 4


async def test_xlsx_import_with_bad_rows_reports_each_and_imports_nothing(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        taken = await register(client, city, 70)
        data = workbook([
            ["良好企业一", make_uscc(71), "企业", "黄埔区", "", "", 50, 800],
            ["校验位错误企业", corrupt(make_uscc(72)), "企业", "黄埔区", "", "", 50, 800],
            ["良好企业二", make_uscc(73), "服务平台", "天河区", "", "", None, None],
            ["区名错误企业", make_uscc(74), "企业", "火星区", "", "", 50, 800],
            ["", taken["uscc"], "企业", "黄埔区", "", "", None, None],
        ])
        response = await client.post(f"{ORGS}/import", files=upload(data), headers=city)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "import_rejected" and problem["rows_with_errors"] == [3, 5, 6]
        report = [(r["row"], r["field"], r["column"]) for r in problem["report"]]
        assert report == [
            (3, "uscc", "统一社会信用代码"), (5, "district", "所在区"), (6, "name", "单位名称"), (6, "uscc", "统一社会信用代码")
        ]
        assert all(r["message_zh"] and r["message_en"] for r in problem["report"])
        assert problem["report"][0]["message_zh"] == "统一社会信用代码校验位错误，请核对后重新输入"
        assert problem["report"][-1]["message_zh"] == "该统一社会信用代码已登记"
        assert problem["errors"][0]["field"] == "file.rows[3].uscc"
    assert await count(settings.database_url, organisations) == 1  # only the one registered before
    assert len(await events(settings.database_url)) == 1


async def test_xlsx_import_refuses_other_files_and_other_people(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        csv = f"单位名称,统一社会信用代码,类型\n测试企业,{make_uscc(81)},企业\n".encode()
        as_xlsx = await client.post(f"{ORGS}/import", files=upload(csv, "伪装.xlsx"), headers=city)  # the name lies
        assert as_xlsx.status_code == 415 and as_xlsx.json()["errors"][0]["field"] == "body.file"
        pdf = await client.post(f"{ORGS}/import", files=upload(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a.xlsx"), headers=city)
        assert pdf.status_code == 415
        missing_column = workbook([["企业", make_uscc(82)]], headers=["单位名称", "统一社会信用代码"])
        refused = await client.post(f"{ORGS}/import", files=upload(missing_column), headers=city)
        assert refused.status_code == 422 and [(r["row"], r["field"]) for r in refused.json()["report"]] == [(1, "kind")]
        empty = await client.post(f"{ORGS}/import", files=upload(workbook([])), headers=city)
        assert empty.status_code == 422
        whole = workbook([["截断文件企业", make_uscc(84), "企业", "天河区", "", "", None, None]])
        truncated = await client.post(f"{ORGS}/import", files=upload(whole[: len(whole) // 2]), headers=city)
        assert truncated.status_code == 422 and truncated.json()["code"] == "unreadable_file"

        good = workbook([["区外企业", make_uscc(83), "企业", "天河区", "", "", None, None]])
        enterprise = stack.issuer.headers(["enterprise"], org="x")
        assert (await client.post(f"{ORGS}/import", files=upload(good), headers=enterprise)).status_code == 403
        assert (await client.get(f"{ORGS}/import-template", headers=enterprise)).status_code == 403
        huangpu = stack.issuer.headers(["district_officer"], district="huangpu")
        outside = await client.post(f"{ORGS}/import", files=upload(good), headers=huangpu)
        assert outside.status_code == 422 and outside.json()["report"][0]["field"] == "district"
    assert await count(settings.database_url, organisations) == 0
