"""Diagnosis's part of the demo of ``make run`` (``sihua_shared.demo``), through diagnosis's api on a pinned business
date: the edition in force, consents, on-site baseline and post-transformation assessments with their PDF reports,
and diagnosis projects completed by the key platform."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sihua_shared.demo.kit import Demo

SCENES = [f"S{i:02d}" for i in range(1, 17)]
_FULL = {"Q1": ["B", "C", "D", "E"], "Q2": ["E"], "Q3": ["E"], "Q4": list("BCDEFGHIJKLMNO"), "Q5": ["E"],
         "Q6": ["B", "C", "D", "E"]}
_TAIL = {"Q4": list("BCDEFGHI"), "Q6": ["B", "C"], "Q9": ["B"]}


def answers(full: tuple[str, ...], *, tail: bool = False, level2: tuple[str, ...] = ()) -> dict[str, Any]:
    """Answers to the 2024 edition (as in the service's tests): every question at its first option but ``full`` at
    their maxima; the scenes at 一级 but ``level2``."""
    chosen: dict[str, list[str]] = {f"Q{i}": ["A"] for i in range(1, 16)}
    if tail:
        chosen.update(_TAIL)
    chosen.update({q: _FULL[q] for q in full})
    return {"answers": {q: {"options": o} for q, o in chosen.items()}, "scenes": {s: 2 if s in level2 else 1 for s in SCENES}}


LEVEL1 = answers(("Q1", "Q2", "Q3"), tail=True, level2=("S01", "S03"))  # 29.975 points: 一级
LEVEL2 = answers(("Q1", "Q2", "Q3", "Q4", "Q5", "Q6"), level2=("S01", "S03", "S06", "S07", "S02", "S04"))  # 45 points: 二级


def write_request_bodies(folder: Path) -> None:
    """The answer sets as files, for the README's walk-through (``curl -d @.data/demo/level2-answers.json``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in (("level1-answers.json", LEVEL1), ("level2-answers.json", LEVEL2)):
        (folder / name).write_text(json.dumps(body, ensure_ascii=False, indent=1))


async def edition_in_force(demo: Demo, day: date) -> None:
    """The shipped edition is registered and activated on first use (``edition.activated`` for the catalog)."""
    demo.on(day, "diagnosis")
    await demo.get("diagnosis", "/editions", "demo.city")


async def consents(demo: Demo, day: date) -> None:
    demo.on(day, "diagnosis")
    for enterprise, grantee in (("demo.furniture", "assessor"), ("demo.furniture", "platform"), ("demo.luggage", "platform"),
                              ("demo.luggage", "assessor")):
        async def granted(e: str = enterprise, g: str = grantee) -> Any:
            return await demo.post("diagnosis", "/consents", e, json={"organisation_id": demo.ids[g]})

        await demo.until("diagnosis to know the organisations", granted)


async def assess(demo: Demo, account: str, enterprise: str, stage: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An on-site assessment filled by ``account`` for ``enterprise``, submitted; answers it with its report issued."""
    created = await demo.post("diagnosis", "/assessments", account, json={
        "kind": "onsite", "stage": stage, "enterprise_id": demo.ids[enterprise]})
    saved = await demo.request("diagnosis", "PUT", f"/assessments/{created['id']}/answers", account, json=payload, raw=True)
    submitted: dict[str, Any] = await demo.post("diagnosis", f"/assessments/{created['id']}/submit", account,
                                                if_match=saved.headers["etag"], json={"authenticity_commitment": True})
    return submitted


async def reported(demo: Demo, account: str, assessment_id: str) -> None:
    """Wait for the worker's PDF report of an assessment."""
    await demo.until(f"the report of assessment {assessment_id}", lambda: demo.get(
        "diagnosis", f"/assessments/{assessment_id}/report.pdf", account, raw=True), timeout=60)


async def baseline(demo: Demo, day: date) -> None:
    """The third party assesses the furniture enterprise on site: 一级 (its baseline)."""
    demo.on(day, "diagnosis")
    found = await assess(demo, "demo.assessor", "furniture", "baseline", LEVEL1)
    demo.ids["assessments"] = {"furniture_baseline": found["id"]}


async def project(demo: Demo, enterprise: str, day: date) -> str:
    """The city assigns the key platform a diagnosis project for ``enterprise`` (fee 15万元)."""
    demo.on(day, "diagnosis")
    assigned = await demo.until("diagnosis to know the platform's diagnosis-provider title", lambda: demo.post(
        "diagnosis", "/diagnosis-projects", "demo.city", key=True, json={
            "enterprise_id": demo.ids[enterprise], "provider_id": demo.ids["platform"], "fee_fen": 15_000_000}))
    demo.ids.setdefault("diagnosis_projects", {})[enterprise] = assigned["id"]
    return str(assigned["id"])


async def assess_for_project(demo: Demo, enterprise: str, stage: str, payload: dict[str, Any], day: date) -> None:
    """The key platform assesses its project's enterprise on site (the worker renders the report meanwhile)."""
    demo.on(day, "diagnosis")
    found = await assess(demo, "demo.platform", enterprise, stage, payload)
    demo.ids["assessments"][f"{enterprise}_{stage}"] = found["id"]
    demo.ids.setdefault("project_assessments", {})[enterprise] = found["id"]


async def complete_projects(demo: Demo, day: date, plans: dict[str, str]) -> None:
    """The key platform completes its diagnosis projects, each with its on-site assessment (report issued) and plan."""
    demo.on(day, "diagnosis")
    for enterprise, plan in plans.items():
        project_id, assessment_id = demo.ids["diagnosis_projects"][enterprise], demo.ids["project_assessments"][enterprise]
        await reported(demo, "demo.platform", assessment_id)
        etag = await demo.current("diagnosis", f"/diagnosis-projects/{project_id}", "demo.platform")
        await demo.post("diagnosis", f"/diagnosis-projects/{project_id}/complete", "demo.platform", if_match=etag,
                        json={"assessment_id": assessment_id, "plan": plan})
