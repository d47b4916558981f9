"""What the diagnosis service tests share: answer sets worked out by hand, read-model seeding, HTTP steps.

Answer sets (2024 edition, handbook §2.2, §2.3, §3.1):

- ``LEVEL1``: Q1 (8), Q2 (6), Q3 (6) at their maxima plus the 9.975-point tail = 29.975 points; all sixteen
  scenes at 一级, S01 and S03 (constrained) at 二级. By score 一级 (20 ≤ S < 40), by scenes 一级 (16 ≥ 6 at 一级,
  10 constrained ≥ 3); 二级 misses 10.025 points, 4 scenes at 二级 and 1 constrained scene at 二级.
- ``LEVEL2``: Q1–Q5 and Q6 at their maxima = 8+6+6+10+10+5 = 45 points; S01 S03 S06 S07 (constrained) and
  S02 S04 at 二级, the rest at 一级: six scenes at 二级, four constrained. Level 二级 (三级 needs 60 points).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from diagnosis.adapters.readmodels import REGISTRY_FACTS
from diagnosis.domain.index import load_shipped_edition
from sihua_shared.contracts.registry import EnterpriseEnrolled, OrganisationRegistered, TitleGranted
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent
from sihua_shared.testing.data import make_uscc

API = "/api/diagnosis/v1"
SCENES = [f"S{i:02d}" for i in range(1, 17)]
ENVELOPE = CloudEvent(id="e", source="/sihua/registry", type="t", time="2026-01-01T00:00:00Z")

_FULL = {
    "Q1": ["B", "C", "D", "E"], "Q2": ["E"], "Q3": ["E"], "Q4": list("BCDEFGHIJKLMNO"), "Q5": ["E"], "Q6": ["B", "C", "D", "E"],
}
_TAIL = {"Q4": list("BCDEFGHI"), "Q6": ["B", "C"], "Q9": ["B"]}


def answers(full: tuple[str, ...], *, tail: bool = False, level2: tuple[str, ...] = ()) -> dict[str, Any]:
    chosen: dict[str, list[str]] = {f"Q{i}": ["A"] for i in range(1, 16)}
    if tail:
        chosen.update(_TAIL)
    chosen.update({q: _FULL[q] for q in full})
    return {
        "answers": {q: {"options": o} for q, o in chosen.items()},
        "scenes": {s: 2 if s in level2 else 1 for s in SCENES},
    }


LEVEL1 = answers(("Q1", "Q2", "Q3"), tail=True, level2=("S01", "S03"))
LEVEL2 = answers(("Q1", "Q2", "Q3", "Q4", "Q5", "Q6"), level2=("S01", "S03", "S06", "S07", "S02", "S04"))
EDITION_VERSION = load_shipped_edition().version_id
# The business date the tests that depend on one pin (``stack.settings("diagnosis", business_date=DAY)``): the seeded
# diagnosis-provider titles are valid on it, whatever the real date.
DAY = date(2026, 3, 10)


async def seed(url: str, *orgs: tuple[str, str, str | None, str | None], pilot: tuple[str, ...] = (),
               diagnosis_providers: tuple[str, ...] = ()) -> None:
    """Put what the registry's facts would: organisations ``(id, kind, district, sector)``, pilot members, titles."""
    engine = create_engine(url)
    async with session_factory(engine)() as s, s.begin():
        for n, (org_id, kind, district, sector) in enumerate(orgs):
            await REGISTRY_FACTS.record_organisation(s, ENVELOPE, OrganisationRegistered(
                organisation_id=org_id, uscc=make_uscc(500 + n), name=f"{org_id} 有限公司", kind=kind,  # type: ignore[arg-type]
                district=district, sector=sector))
        for n, org_id in enumerate(pilot):
            await REGISTRY_FACTS.record_enrolment(s, ENVELOPE, EnterpriseEnrolled(
                enterprise_id=org_id, uscc=make_uscc(700 + n), sector="custom_furniture", district="baiyun",
                size_class="small", enrolled_on=date(2026, 1, 5)))
        for n, org_id in enumerate(diagnosis_providers):
            await REGISTRY_FACTS.record_title_granted(s, ENVELOPE, TitleGranted(
                title_id=f"title-{org_id}", title_number=f"GZ-DP-{n}", kind="diagnosis_provider",
                name_zh="评估诊断服务项目承担单位", organisation_id=org_id, uscc=make_uscc(800 + n),
                valid_from=DAY - timedelta(days=30), valid_until=DAY + timedelta(days=700)))
    await engine.dispose()


async def start(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/assessments", json={"kind": "self", "stage": "baseline", **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def fill_and_submit(
    client: httpx.AsyncClient, headers: dict[str, str], assessment_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    saved = await client.put(f"{API}/assessments/{assessment_id}/answers", json=payload, headers=headers)
    assert saved.status_code == 200, saved.text
    submitted = await client.post(
        f"{API}/assessments/{assessment_id}/submit", json={"authenticity_commitment": True},
        headers={**headers, "If-Match": saved.headers["etag"]},
    )
    assert submitted.status_code == 200, submitted.text
    result: dict[str, Any] = submitted.json()
    return result


async def assess(
    client: httpx.AsyncClient, headers: dict[str, str], payload: dict[str, Any], **body: Any
) -> dict[str, Any]:
    created = await start(client, headers, **body)
    return await fill_and_submit(client, headers, created["id"], payload)
