"""The registry's role × operation × ownership table (handbook §6): every operation of its OpenAPI document has a
row naming who may call it; each role is probed as a caller of its own (the enterprise, provider, district and
expert the seeded resources belong to or are assigned to), and the cases probe the others — another organisation,
another district, an expert not on the panel. Real HTTP, real PostgreSQL (``sihua_shared.testing.access``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.application.notifications import notify
from registry.main import create_app
from sihua_shared.db import create_engine, session_factory
from sihua_shared.testing.access import OK, Case, Row, Upload, check_table
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client

from .selection_kit import API, World, if_match, install_clock

HOME, AWAY = "baiyun", "huangpu"  # the home callers' district and another one
SME = {"employees": 85, "revenue_wan": "4200", "sector": "custom_furniture"}
WINDOW = {"opens_on": "2025-01-01", "closes_on": None}
PUBLISHED_ON = date(2025, 9, 26)
MISSING = "00000000-0000-4000-8000-000000000000"


async def _org(w: World, n: int, kind: str, district: str, **fields: Any) -> str:
    body = {"uscc": make_uscc(900 + n), "name": f"权限测试单位{n}有限公司", "kind": kind, "district": district, **fields}
    response = await w.client.post(f"{API}/organisations", json=body, headers=w.city)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _seed(w: World) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The resources every row's path names, and the callers: one per role plus the 'other' ones."""
    client, city = w.client, w.city
    enterprise, other_enterprise = await _org(w, 1, "enterprise", HOME, **SME), await _org(w, 2, "enterprise", AWAY, **SME)
    provider, other_provider = await _org(w, 3, "platform", HOME), await _org(w, 4, "platform", AWAY)
    third_party = await _org(w, 5, "third_party", HOME)
    experts = [await w.expert() for _ in range(3)]
    account = await w.account(["enterprise"], enterprise)

    related = await client.post(f"{API}/organisations/{provider}/relationships", headers=city,
                                json={"related_organisation_id": third_party, "kind": "shareholding"})
    assert related.status_code == 201, related.text
    enrolled = await client.post(f"{API}/pilot-pool", json={"enterprise_id": enterprise}, headers=city)
    assert enrolled.status_code == 201, enrolled.text
    title = await client.post(f"{API}/titles", headers=city,
                              json={"organisation_id": provider, "kind": "diagnosis_provider", "valid_from": "2025-01-01"})
    assert title.status_code == 201, title.text

    call = await w.open_call(window=WINDOW, cut_rule={"pass_mark": "60", "quota": 2})
    mine, theirs = await w.in_review(call, provider), await w.in_review(call, other_provider)
    assigned = await client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=city)
    assert assigned.status_code == 200, assigned.text
    await w.score_all(mine["id"], [90, 90, 90])
    await w.score_all(theirs["id"], [80, 80, 80])
    attachments = await client.get(f"{API}/applications/{mine['id']}/attachments", headers=city)
    assert attachments.status_code == 200, attachments.text

    # 产业生态联合体: a traction unit of the home district declared the provider, which has not answered yet;
    # 特色产业集群: the home district's cluster body, its cluster and the enterprise recommended as a member
    traction_unit = await _org(w, 6, "traction_unit", HOME)
    membership = await client.post(f"{API}/ecosystem-memberships", json={"partner_id": provider},
                                   headers=w.as_org(traction_unit))
    assert membership.status_code == 201, membership.text
    cluster_body = await _org(w, 7, "cluster_body", HOME)
    cluster = await client.post(f"{API}/clusters", headers=city, json={
        "name": "权限测试产业集群", "district": HOME, "sector": "custom_furniture", "cluster_body_id": cluster_body})
    assert cluster.status_code == 201, cluster.text
    member = await client.post(f"{API}/clusters/{cluster.json()['id']}/members", json={"enterprise_id": enterprise}, headers=city)
    assert member.status_code == 201, member.text

    agency = await client.post(f"{API}/clients", json={"name": "权限测试接入机构", "roles": ["service"]}, headers=city)
    assert agency.status_code == 201, agency.text

    actors = {
        "enterprise": w.stack.issuer.headers(["enterprise"], org=enterprise, sub="enterprise-home"),
        "provider": w.as_org(provider),
        "expert": w.as_expert(experts[0]),
        "district_officer": w.stack.issuer.headers(["district_officer"], district=HOME),
        "city_officer": city,
        "third_party": w.as_org(third_party, "third_party"),
        "cluster_body": w.stack.issuer.headers(["cluster_body"], org=cluster_body),
        "traction@unit": w.as_org(traction_unit),
        "finance": w.stack.issuer.headers(["finance"], org="finance-bureau"),
        "auditor": w.stack.issuer.headers(["auditor"]),
        "service": w.stack.issuer.headers(["service"]),
        "enterprise@other": w.stack.issuer.headers(["enterprise"], org=other_enterprise),
        "provider@other": w.as_org(other_provider),
        "district_officer@other": w.stack.issuer.headers(["district_officer"], district=AWAY),
        "expert@unassigned": w.as_expert("expert-not-on-any-panel"),
        "account": w.as_account(account, ["enterprise"], enterprise),
    }
    engine = create_engine(w.stack.urls["registry"])  # inbox entries come from the worker's reactions: put one directly
    async with session_factory(engine)() as session, session.begin():
        await notify(session, [experts[0]], kind="expert_assigned", title="评审任务", body="您有新的评审任务",
                     source_key="access-table", ref_type="application", ref_id=str(mine["id"]))
    await engine.dispose()
    inbox = await client.get(f"{API}/notifications", headers=actors["expert"])
    assert inbox.status_code == 200 and inbox.json()["items"], inbox.text

    params = {
        "org_id": provider, "organisation_id": enterprise, "relationship_id": str(related.json()["id"]),
        "enrolment_id": str(enrolled.json()["id"]), "account_id": account, "notification_id": str(inbox.json()["items"][0]["id"]),
        "title_id": str(title.json()["id"]), "call_id": str(call["id"]), "application_id": str(mine["id"]),
        "attachment_id": str(attachments.json()["items"][0]["id"]) if isinstance(attachments.json(), dict)
        else str(attachments.json()[0]["id"]),
        "other_application": str(theirs["id"]), "other_provider": other_provider, "other_enterprise": other_enterprise,
        "enterprise": enterprise,
        "membership_id": str(membership.json()["id"]), "cluster_id": str(cluster.json()["id"]),
        "member_id": str(member.json()["id"]), "traction_unit": traction_unit, "client_id": agency.json()["client_id"],
    }
    return params, actors


async def _publicise(w: World, params: dict[str, str], actors: dict[str, dict[str, str]]) -> None:
    published = await w.client.post(f"{API}/calls/{params['call_id']}/publicity", json={}, headers=w.city)
    assert published.status_code == 201, published.text
    filed = await w.client.post(f"{API}/publicity/{params['call_id']}/objections", headers=actors["enterprise"],
                                json={"application_id": params["application_id"], "reasons": "该平台服务企业数量与实际不符"})
    assert filed.status_code == 201, filed.text
    params["objection_id"] = str(filed.json()["id"])
    assert if_match(filed)


PEOPLE = "enterprise provider expert district_officer city_officer third_party cluster_body finance auditor"
EVERYONE = "*"
NOT_ACCOUNTS = "enterprise provider district_officer city_officer third_party cluster_body finance auditor service"
A = API
PDF = ("材料.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")
ATTACHMENT = Upload({"material_code": "business_licence"}, {"file": PDF})
OTHER_ORG, OTHER_DISTRICT, UNASSIGNED = "enterprise@other", "district_officer@other", "expert@unassigned"
SHEET = {"scores": {"technical_capability": "30", "scale_strength": "20", "service_capability": "20"},
         "comments": {"technical_capability": "好", "scale_strength": "好", "service_capability": "好"}}

# Who may call what. The home callers own or are assigned the resources the paths name (the provider's organisation
# and application, the enterprise's enrolment, file, account and objection, the home district's officer, the expert
# on the panel); the cases are the others. Lists answer every admitted caller, filtered by the same policy.
ROWS: list[Row] = [
    Row("POST", f"{A}/organisations/import", "district_officer city_officer"),
    Row("GET", f"{A}/organisations/import-template", "district_officer city_officer"),
    Row("POST", f"{A}/organisations", "district_officer city_officer", cases=[
        Case(OTHER_DISTRICT, 403, json={"uscc": make_uscc(990), "name": "区外登记测试有限公司", "kind": "enterprise", "district": HOME}),
    ]),
    Row("GET", f"{A}/organisations", "enterprise provider district_officer city_officer third_party finance auditor service"),
    Row("GET", f"{A}/organisations/{{org_id}}", "provider district_officer city_officer finance auditor service", cases=[
        Case("provider@other", 403), Case(OTHER_DISTRICT, 403),
    ]),
    Row("PATCH", f"{A}/organisations/{{org_id}}", "enterprise provider district_officer city_officer third_party", cases=[
        Case("provider", OK, json={"employees": 12}), Case("provider@other", 403, json={"employees": 12}),
        Case("enterprise", 403, json={"employees": 12}), Case(OTHER_DISTRICT, 403, json={"employees": 12}),
        Case("district_officer", 403, json={"district": AWAY}),  # a district officer keeps it in the district
    ]),
    # verifying a signed-up organisation: the officials in charge of its district (a stale If-Match answers 412)
    Row("POST", f"{A}/organisations/{{org_id}}/verify", "district_officer city_officer", cases=[Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/organisations/{{org_id}}/reject", "district_officer city_officer", json={"reason": "营业执照信息不符"},
        cases=[Case(OTHER_DISTRICT, 403, json={"reason": "营业执照信息不符"})]),
    Row("POST", f"{A}/organisations/{{org_id}}/relationships", "enterprise provider district_officer city_officer third_party",
        cases=[Case("provider@other", 403, json={"related_organisation_id": "{other_provider}", "kind": "staff_move"}),
               Case(OTHER_DISTRICT, 403, json={"related_organisation_id": "{other_provider}", "kind": "staff_move"})]),
    Row("GET", f"{A}/organisations/{{org_id}}/relationships", "provider district_officer city_officer auditor service",
        cases=[Case("provider@other", 403), Case(OTHER_DISTRICT, 403)]),
    # a missing relationship of a real organisation: the officials in charge get as far as 404, the others are refused
    Row("DELETE", f"{A}/organisations/{{org_id}}/relationships/{{relationship_id}}", "district_officer city_officer",
        params={"relationship_id": MISSING}, allowed_outcome=404, cases=[Case(OTHER_DISTRICT, 403), Case("provider", 403)]),
    # 产业生态联合体: the provider is the declared partner; the traction unit the other side
    Row("POST", f"{A}/ecosystem-memberships", "enterprise provider", cases=[
        Case("provider@other", 403, json={"partner_id": "{org_id}", "traction_unit_id": "{traction_unit}"}),
    ]),
    Row("GET", f"{A}/ecosystem-memberships", "enterprise provider third_party district_officer city_officer auditor service"),
    Row("GET", f"{A}/ecosystem-memberships/{{membership_id}}", "provider district_officer city_officer auditor service",
        cases=[Case("traction@unit", OK), Case("provider@other", 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/ecosystem-memberships/{{membership_id}}/confirm", "provider",
        cases=[Case("traction@unit", 403), Case("provider@other", 403)]),
    Row("POST", f"{A}/ecosystem-memberships/{{membership_id}}/decline", "provider", json={"reason": "暂无合作意向"},
        cases=[Case("traction@unit", 403, json={"reason": "暂无合作意向"})]),
    Row("POST", f"{A}/ecosystem-memberships/{{membership_id}}/end", "provider city_officer", json={"reason": "合作协议到期"},
        cases=[Case("traction@unit", OK, json={"reason": "合作协议到期"}), Case("provider@other", 403, json={"reason": "合作协议到期"})]),
    # 特色产业集群: the home district's cluster; the home enterprise recommended as its member
    Row("POST", f"{A}/clusters", "cluster_body city_officer"),
    Row("GET", f"{A}/clusters", EVERYONE),
    Row("GET", f"{A}/clusters/{{cluster_id}}", EVERYONE),
    Row("POST", f"{A}/clusters/{{cluster_id}}/members", "district_officer city_officer",
        cases=[Case(OTHER_DISTRICT, 403, json={"enterprise_id": "{enterprise}"})]),
    Row("GET", f"{A}/clusters/{{cluster_id}}/members", "cluster_body enterprise district_officer city_officer auditor service"),
    Row("GET", f"{A}/cluster-members/{{member_id}}", "cluster_body enterprise district_officer city_officer auditor service",
        cases=[Case(OTHER_ORG, 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/cluster-members/{{member_id}}/approve", "city_officer"),
    Row("POST", f"{A}/cluster-members/{{member_id}}/reject", "city_officer"),
    Row("POST", f"{A}/cluster-members/{{member_id}}/remove", "district_officer city_officer", json={"reason": "企业迁出本区"},
        cases=[Case(OTHER_DISTRICT, 403, json={"reason": "企业迁出本区"})]),
    Row("POST", f"{A}/pilot-pool", "district_officer city_officer", cases=[
        Case(OTHER_DISTRICT, 403, json={"enterprise_id": "{enterprise}"}),
    ]),
    Row("GET", f"{A}/pilot-pool", "enterprise district_officer city_officer third_party auditor service"),
    Row("GET", f"{A}/pilot-pool/{{enrolment_id}}", "enterprise district_officer city_officer third_party auditor service",
        cases=[Case(OTHER_ORG, 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/pilot-pool/{{enrolment_id}}/remove", "district_officer city_officer", cases=[
        Case("district_officer", OK, json={"reason": "企业迁出本区"}), Case(OTHER_DISTRICT, 403, json={"reason": "企业迁出本区"}),
    ]),
    Row("GET", f"{A}/enterprises/{{organisation_id}}/file", "enterprise district_officer city_officer auditor",
        cases=[Case(OTHER_ORG, 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/accounts", "enterprise provider district_officer city_officer", cases=[
        Case("provider", 403, json={"username": "other.org.user", "display_name": "他单位用户", "email": "o@example.cn",
                                    "roles": ["enterprise"], "organisation_id": "{enterprise}"}),
    ]),
    Row("GET", f"{A}/accounts", "district_officer city_officer auditor"),
    # only a token that names an account has a "me": the seeded expert's and the account's own
    Row("GET", f"{A}/accounts/me", "expert", hidden=NOT_ACCOUNTS, cases=[Case("account", OK)]),
    Row("GET", f"{A}/accounts/{{account_id}}", "enterprise district_officer city_officer auditor", cases=[
        Case("account", OK), Case(OTHER_ORG, 403), Case(OTHER_DISTRICT, 403),
    ]),
    Row("POST", f"{A}/accounts/{{account_id}}/deactivate", "enterprise district_officer city_officer",
        cases=[Case(OTHER_ORG, 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/accounts/{{account_id}}/activate", "enterprise district_officer city_officer",
        cases=[Case(OTHER_ORG, 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/clients", "city_officer"),
    Row("GET", f"{A}/clients/{{client_id}}", "city_officer auditor"),
    Row("POST", f"{A}/clients/{{client_id}}/deactivate", "city_officer"),
    Row("GET", f"{A}/notifications", PEOPLE),
    Row("POST", f"{A}/notifications/{{notification_id}}/read", "expert", hidden=PEOPLE.replace("expert ", ""),
        cases=[Case(UNASSIGNED, 404)]),
    Row("GET", f"{A}/titles", "enterprise provider district_officer city_officer finance auditor"),
    Row("POST", f"{A}/titles", "city_officer"),
    Row("GET", f"{A}/titles/{{title_id}}", "provider district_officer city_officer finance auditor",
        cases=[Case("provider@other", 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/titles/{{title_id}}/revoke", "city_officer"),
    Row("POST", f"{A}/calls", "city_officer"),
    Row("GET", f"{A}/calls", EVERYONE),
    Row("GET", f"{A}/calls/{{call_id}}", EVERYONE),
    Row("PATCH", f"{A}/calls/{{call_id}}", "city_officer"),
    Row("POST", f"{A}/calls/{{call_id}}/open", "city_officer"),
    Row("POST", f"{A}/calls/{{call_id}}/close", "city_officer"),
    Row("POST", f"{A}/calls/{{call_id}}/applications", "enterprise provider third_party"),
    Row("GET", f"{A}/applications", EVERYONE),
    Row("GET", f"{A}/applications/{{application_id}}", "provider expert district_officer city_officer auditor",
        cases=[Case("provider@other", 403), Case(OTHER_DISTRICT, 403), Case(UNASSIGNED, 403)]),
    # the applicant's steps: a valid body reaches the policy (who sees it, then who may take the step), then If-Match
    Row("PATCH", f"{A}/applications/{{application_id}}", "provider", json={"title": "改名后的申报"}),
    Row("POST", f"{A}/applications/{{application_id}}/submit", "provider"),
    Row("POST", f"{A}/applications/{{application_id}}/withdraw", "provider"),
    Row("POST", f"{A}/applications/{{application_id}}/formal-check/start", "district_officer city_officer",
        cases=[Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/applications/{{application_id}}/formal-check/pass", "district_officer city_officer",
        cases=[Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/applications/{{application_id}}/formal-check/return", "district_officer city_officer",
        cases=[Case(OTHER_DISTRICT, 403, json={"reasons": ["材料不全"]})]),
    Row("POST", f"{A}/applications/{{application_id}}/attachments", "provider", upload=ATTACHMENT,
        cases=[Case("provider@other", 403), Case(OTHER_DISTRICT, 403)]),
    Row("GET", f"{A}/applications/{{application_id}}/attachments", "provider expert district_officer city_officer auditor",
        cases=[Case("provider@other", 403), Case(OTHER_DISTRICT, 403), Case(UNASSIGNED, 403)]),
    Row("GET", f"{A}/applications/{{application_id}}/attachments/{{attachment_id}}",
        "provider expert district_officer city_officer auditor",
        cases=[Case("provider@other", 403), Case(OTHER_DISTRICT, 403), Case(UNASSIGNED, 403)]),
    Row("DELETE", f"{A}/applications/{{application_id}}/attachments/{{attachment_id}}", "provider",
        cases=[Case("provider@other", 403)]),
    Row("GET", f"{A}/experts", "city_officer auditor"),
    Row("PUT", f"{A}/experts/{{account_id}}/profile", "city_officer"),
    Row("POST", f"{A}/experts/{{account_id}}/withdraw", "city_officer"),
    Row("GET", f"{A}/experts/me/assignments", "expert"),
    Row("POST", f"{A}/calls/{{call_id}}/assignments", "city_officer"),
    Row("POST", f"{A}/applications/{{application_id}}/assignment", "city_officer"),
    Row("GET", f"{A}/applications/{{application_id}}/panel", "expert district_officer city_officer auditor",
        cases=[Case(UNASSIGNED, 403), Case(OTHER_DISTRICT, 403)]),
    Row("POST", f"{A}/applications/{{application_id}}/recuse", "expert",
        cases=[Case(UNASSIGNED, 403, json={"text": "与申报单位存在关联"})]),
    Row("PUT", f"{A}/applications/{{application_id}}/scores", "expert", cases=[Case(UNASSIGNED, 403, json=SHEET)]),
    Row("POST", f"{A}/applications/{{application_id}}/chair-confirmation", "expert",
        cases=[Case(UNASSIGNED, 403, json={"text": "确认评审结果"})]),
    Row("POST", f"{A}/calls/{{call_id}}/tie-breaks", "expert city_officer", cases=[
        Case(UNASSIGNED, 403, json={"order": ["{application_id}"], "method": "panel_vote", "reason": "评审组投票决定"}),
    ]),
    Row("GET", f"{A}/calls/{{call_id}}/tie-breaks", "city_officer auditor"),
    Row("POST", f"{A}/calls/{{call_id}}/review-rounds", "city_officer"),
    Row("GET", f"{A}/calls/{{call_id}}/review-rounds", "district_officer city_officer"),
    Row("POST", f"{A}/calls/{{call_id}}/publicity", "city_officer"),
    # anyone signed in may object while publicity runs; who filed an objection reads it, besides the city and auditors
    Row("POST", f"{A}/publicity/{{call_id}}/objections", EVERYONE),
    Row("GET", f"{A}/publicity/{{call_id}}/objections", EVERYONE),
    Row("GET", f"{A}/objections/{{objection_id}}", "enterprise city_officer auditor",
        hidden="provider expert district_officer third_party cluster_body finance service", cases=[Case(OTHER_ORG, 404)]),
    Row("POST", f"{A}/objections/{{objection_id}}/resolve", "city_officer"),
    Row("POST", f"{A}/publicity/{{call_id}}/finalise", "city_officer"),
]


async def test_every_registry_operation_answers_each_role_as_the_table_says(stack: Stack) -> None:
    settings = await stack.settings("registry")
    app = create_app(settings)
    clock = install_clock(app, date(2025, 9, 15))
    async with service_client(app) as client:
        w = World(stack, client)
        params, actors = await _seed(w)
        clock.day = PUBLISHED_ON
        await _publicise(w, params, actors)
        await check_table(client, app, ROWS, actors, params)
