"""The catalog's part of the demo of ``make run`` (``sihua_shared.demo``), through the catalog's api on a pinned
business date: two products admitted after review by an expert panel, an adaptation record, the recommendations an
assessment brings, and a cluster's group purchase delivered."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sihua_shared.demo.kit import Demo

EXPERTS = ("demo.expert1", "demo.expert2", "demo.expert3", "demo.expert4")


def _product(name: str, summary: str, scenes: list[str], price_fen: int) -> dict[str, Any]:
    return {
        "name": name, "summary": summary,
        "description": f"{summary}。按订单自动生成计划，支持设备产能约束与车间看板，一周上线。",
        "product_type": "saas", "business_links": ["manufacturing", "management"], "scenes": scenes,
        "sectors": ["custom_furniture", "luggage"], "deployment": "cloud", "interfaces": ["OPC UA", "RESTful API", "ERP"],
        "packages": [{"code": "basic", "name": "基础版", "price_fen": price_fen, "unit": "per_year"},
                     {"code": "pro", "name": "专业版", "price_fen": price_fen * 2, "unit": "per_year"}],
        "delivery_days": 7, "reference_customers": ["广州某定制家居有限公司"],
    }


async def _step(demo: Demo, product_id: str, action: str, as_: str) -> dict[str, Any]:
    etag = await demo.current("catalog", f"/products/{product_id}", "demo.city")
    answer: dict[str, Any] = await demo.post("catalog", f"/products/{product_id}/steps", as_, if_match=etag,
                                             json={"action": action, "reasons": []})
    return answer


async def _admitted(demo: Demo, account: str, body: dict[str, Any]) -> dict[str, Any]:
    # the scenes are checked against the diagnosis edition in force, which the catalog learns from diagnosis's fact
    created = await demo.until("the catalog to know the diagnosis edition and the provider", lambda: demo.post(
        "catalog", "/products", account, key=True, json=body))
    await _step(demo, created["id"], "submit", account)
    await _step(demo, created["id"], "start_formal_check", "demo.city")
    # the panel is drawn from the expert pool the registry's facts built
    await demo.until("the catalog to know the expert pool", lambda: _step(demo, created["id"], "pass_formal_check", "demo.city"))
    panel = await demo.get("catalog", f"/products/{created['id']}/panel", "demo.city")
    by_id = {demo.ids["accounts"][e]: e for e in EXPERTS}
    for member in panel["members"]:
        scores = {c["code"]: 8 for c in panel["rubric"]["criteria"]}
        await demo.put("catalog", f"/products/{created['id']}/scores", by_id[member["expert_id"]],
                       json={"scores": scores, "comment": "同意入库"})
    return await _step(demo, created["id"], "admit", "demo.city")


async def products(demo: Demo, day: date) -> None:
    """The traction unit's scheduling SaaS and the key platform's equipment cloud, admitted; the third party verifies
    the first with the key platform's interface."""
    demo.on(day, "catalog")
    scheduling = await _admitted(demo, "demo.traction", _product("智能排产云", "面向定制家居与箱包企业的轻量级生产排产 SaaS",
                                                                 ["S05", "S06", "S09", "S10", "S11", "S12"], 1_980_000))
    equipment = await _admitted(demo, "demo.platform", _product("设备联网管理云", "中小企业设备联网、点检与能耗管理",
                                                                ["S09", "S13", "S14", "S15", "S16"], 1_200_000))
    await demo.post("catalog", f"/products/{scheduling['id']}/adaptations", "demo.assessor", key=True, json={
        "target_kind": "platform", "target_ref": demo.ids["platform"], "target_name": "广州工业互联网示范平台开放接口",
        "tested": "订单与生产计划数据双向同步", "cases": [{"name": "订单下发", "result": "passed"},
                                                          {"name": "报工回传", "result": "passed"}],
        "valid_until": (day + timedelta(days=730)).isoformat()})
    demo.ids["products"] = {"scheduling": scheduling["id"], "equipment": equipment["id"]}


async def recommendations(demo: Demo) -> None:
    """The recommendations the worker stored on the furniture enterprise's baseline assessment."""
    path = f"/enterprises/{demo.ids['furniture']}/recommendations"

    async def issued() -> Any:
        found = await demo.get("catalog", path, "demo.furniture")
        return found if found.get("items") else None

    await demo.until("the catalog's recommendations for the baseline assessment", issued)


async def group_purchase(demo: Demo, day: date) -> None:
    """The cluster body's group purchase of the scheduling SaaS: the furniture enterprise enrols, enrolment closes,
    delivery is recorded (the enterprise becomes an adopter)."""
    demo.on(day, "catalog")
    body = {"product_id": demo.ids["products"]["scheduling"], "package_code": "basic", "price_fen": 1_500_000, "places": 10,
            "opens_on": day.isoformat(), "closes_on": (day + timedelta(days=30)).isoformat(),
            "title": "白云区定制家居集群排产云集中采购"}
    opened = await demo.post("catalog", "/group-purchases", "demo.cluster", key=True, json=body)
    one = f"/group-purchases/{opened['id']}"
    await demo.until("the catalog to know the cluster's members", lambda: demo.post(
        "catalog", f"{one}/enrolments", "demo.furniture", key=True))
    demo.on(day + timedelta(days=31), "catalog")
    etag = await demo.current("catalog", one, "demo.cluster")
    await demo.post("catalog", f"{one}/close", "demo.cluster", if_match=etag)
    await demo.post("catalog", f"{one}/deliveries", "demo.cluster", key=True,
                    json={"enterprise_id": demo.ids["furniture"], "note": "已上线"})
    demo.ids["group_purchase"] = opened["id"]
