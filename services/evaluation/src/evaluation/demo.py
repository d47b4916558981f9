"""Evaluation's part of the demo of ``make run`` (``sihua_shared.demo``), through evaluation's api on a pinned business
date: the surveys of the diagnosis projects and the accepted project answered; a key-platform cycle for the demo's
year under a model scaled for the demo's small city, computed from the other services' facts; one platform graded and
issued, the other noticed, not rectifying, its failing verdict issued after the windows (the registry revokes its
title); the cycle closed; the KPIs with their chart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import yaml

from sihua_shared.demo.kit import Demo

from .domain.model import shipped_models

SEED = "5eed" * 8


def demo_model() -> str:
    """The shipped key-platform reading with scales for the demo's two enterprises (an official's upload)."""
    data = yaml.safe_load(shipped_models()["gz-key-platform-2026"].content)
    data["id"] = "demo-key-platform"
    data["parameters"]["min_enterprises_for_uplift"] = 2
    for indicator in data["indicators"]:
        if indicator["id"] in ("enterprises_served", "diagnoses_completed", "product_adopters"):
            indicator["scale"]["full_at"] = 2
        if indicator["id"] in ("contracts_signed", "acceptances_passed", "products_admitted"):
            indicator["scale"]["full_at"] = 1
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


async def surveys(demo: Demo, day: date) -> None:
    """Each served enterprise answers the surveys it was sent: its completed diagnosis project's, and its accepted
    project's where it has one."""
    demo.on(day, "evaluation")
    for account in ("demo.furniture", "demo.luggage"):
        async def opened(a: str = account) -> Any:
            items = (await demo.get("evaluation", "/surveys", a))["items"]
            return items if any(s["relationship"] == "diagnosis_project" for s in items) else None

        for survey in await demo.until("the survey of the completed diagnosis project", opened):
            if survey["state"] == "open":
                await demo.post("evaluation", f"/surveys/{survey['id']}/answer", account, if_match=survey,
                                json={"answers": {q: 5 for q in ("q1", "q2", "q3", "q4")}})


async def cycle(demo: Demo, year: int, day: date) -> None:
    demo.on(day, "evaluation")
    model = await demo.post("evaluation", "/models", "demo.city", json={"content": demo_model()})
    opened = await demo.post("evaluation", "/cycles", "demo.city", json={
        "kind": "key_platform", "year": year, "model_version": model["version_id"], "seed": SEED})
    c = f"/cycles/{opened['id']}"
    good, weak = demo.ids["platform"], demo.ids["platform2"]
    # every indicator of the key-platform model is computed from the facts the demo's other stages produced
    # (contracts, acceptances, products, adopters, surveys, complaints upheld): nothing is submitted
    await demo.post("evaluation", f"{c}/samples", "demo.city")
    await demo.post("evaluation", f"{c}/findings", "demo.assessor", json={
        "provider_id": weak, "severity": "major", "summary": "服务记录与现场核查情况不符",
        "evidence": ["现场核查记录 HC-2026-03"]})
    results = {r["provider_id"]: r for r in await demo.post("evaluation", f"{c}/compute", "demo.city")}
    if results[good]["grade"] == "不合格" or results[weak]["grade"] != "不合格":
        raise RuntimeError(f"unexpected grades: {[(r['provider_id'], r['grade']) for r in results.values()]}")
    await demo.post("evaluation", f"/results/{results[good]['id']}/issue", "demo.city", if_match=results[good])
    weak_result = await demo.post("evaluation", f"/results/{results[weak]['id']}/notify", "demo.city", if_match=results[weak])
    demo.on(date.fromisoformat(weak_result["rectification_due"]) + timedelta(days=1), "evaluation")
    weak_result = await demo.post("evaluation", f"/results/{weak_result['id']}/recheck", "demo.city", if_match=weak_result)
    demo.on(date.fromisoformat(weak_result["appeal_until"]) + timedelta(days=1), "evaluation")
    weak_result = await demo.post("evaluation", f"/results/{weak_result['id']}/issue", "demo.city", if_match=weak_result)
    held = await demo.get("evaluation", c, "demo.city")
    await demo.post("evaluation", f"{c}/close", "demo.city", if_match=held)
    demo.ids["cycle"] = opened["id"]

    # the registry revokes the failing platform's title on the verdict
    async def revoked() -> Any:
        title = await demo.get("registry", f"/titles/{demo.ids['titles']['platform2']}", "demo.city")
        return title if title["revoked_on"] else None

    await demo.until("the registry to revoke the failing platform's title", revoked)
    chart = await demo.get("evaluation", "/programme/kpis", "demo.city", params={"format": "png", "year": year}, raw=True)
    if chart.content[:4] != b"\x89PNG":
        raise RuntimeError("the KPI chart is not a PNG")
