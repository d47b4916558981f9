"""What the funding service tests share: seeding the facts funding keeps (registry read models, diagnosis and
evaluation facts) and the HTTP steps of an application."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import httpx
from openpyxl import Workbook

from funding.adapters.readmodels import REGISTRY_FACTS
from funding.application.facts import record_assessment_completed, record_diagnosis_completed, record_tier
from funding.application.finance_files import HEADERS as PAYMENT_FILE_HEADERS
from sihua_shared.contracts.diagnosis import AssessmentCompleted, DiagnosisProjectCompleted
from sihua_shared.contracts.evaluation import TierAssigned
from sihua_shared.contracts.registry import EnterpriseEnrolled, OrganisationRegistered, TitleGranted
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent
from sihua_shared.testing.data import make_uscc

API = "/api/funding/v1"
WAN = 1_000_000  # 1万元 in fen
DAY = date(2026, 3, 10)
ENVELOPE = CloudEvent(id="e", source="/sihua/test", type="t", time="2026-01-01T00:00:00Z")


async def seed(url: str, *orgs: tuple[str, str, str | None], levels: dict[str, int] | None = None,
               titles: dict[str, tuple[str, ...]] | None = None, tiers: dict[tuple[str, str], str] | None = None,
               diagnosis: dict[str, tuple[str, str, int]] | None = None, first: int = 0) -> dict[str, str]:
    """Organisations ``(id, kind, district)``; levels (post-transformation, official) by enterprise; titles by
    organisation; tiers by (provider, cycle); diagnosis projects ``project -> (enterprise, provider, fee)``.
    Answers each organisation's USCC."""
    engine = create_engine(url)
    usccs: dict[str, str] = {}
    async with session_factory(engine)() as s, s.begin():
        for n, (org_id, kind, district) in enumerate(orgs):
            usccs[org_id] = make_uscc(first + 900 + n)
            await REGISTRY_FACTS.record_organisation(s, ENVELOPE, OrganisationRegistered(
                organisation_id=org_id, uscc=usccs[org_id], name=f"{org_id} 有限公司", kind=kind,  # type: ignore[arg-type]
                district=district))
        for org_id in (levels or {}):  # an enterprise with a post-transformation level is a pilot enterprise
            await REGISTRY_FACTS.record_enrolment(s, ENVELOPE, EnterpriseEnrolled(
                enterprise_id=org_id, uscc=usccs[org_id], sector="custom_furniture", district="baiyun", size_class="small",
                enrolled_on=date(2024, 9, 1)))
        for n, (org_id, level) in enumerate((levels or {}).items()):
            await record_assessment_completed(s, ENVELOPE, AssessmentCompleted(
                assessment_id=f"post-{org_id}-{n}", enterprise_id=org_id, uscc=usccs[org_id], kind="onsite",
                stage="post_transformation", edition_id="2024", level=level, level_by_score=level, level_by_scenes=level,
                total_milli=50_000, dimension_milli={}, scene_levels={}, weakest_scenes=[]))
        for org_id, kinds in (titles or {}).items():
            for n, kind in enumerate(kinds):
                # another branch makes title kinds the jurisdiction's codes (strings): built without the Literal check
                await REGISTRY_FACTS.record_title_granted(s, ENVELOPE, TitleGranted.model_construct(
                    title_id=f"title-{org_id}-{kind}", title_number=f"T-{org_id}-{n}", kind=kind, name_zh=kind,
                    organisation_id=org_id, uscc=usccs[org_id], valid_from=DAY - timedelta(days=400),
                    valid_until=DAY + timedelta(days=700)))
        for (provider, cycle), tier in (tiers or {}).items():
            await record_tier(s, ENVELOPE, TierAssigned(
                provider_id=provider, provider_uscc=usccs[provider], title_id="t", title_number="GZSH-TU-1", cycle_id=cycle,
                year=2025, tier=tier, model_version="gz-traction-unit-2026.1"))  # type: ignore[arg-type]
        for project, (enterprise, provider, fee) in (diagnosis or {}).items():
            await record_diagnosis_completed(s, ENVELOPE, DiagnosisProjectCompleted(
                project_id=project, enterprise_id=enterprise, provider_id=provider, assessment_id="a", report_id="r",
                completed_on=DAY - timedelta(days=3), level=2, fee_fen=fee))
    await engine.dispose()
    return usccs


async def created(client: httpx.AsyncClient, headers: dict[str, str], policy: str, measure: str, project: str,
                  **inputs: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/applications", headers=headers, json={
        "policy_id": policy, "measure_id": measure, "project_id": project, "inputs": inputs})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def step(client: httpx.AsyncClient, headers: dict[str, str], app: dict[str, Any], action: str,
               json: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    response = await client.post(f"{API}/applications/{app['id']}/{action}", headers={**headers, "If-Match": f'"{app["version"]}"'},
                                 json=json if json is not None else ({} if action != "reject" else {"reasons": ["不符合条件"]}))
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def approved(client: httpx.AsyncClient, applicant: dict[str, str], reviewer: dict[str, str], approver: dict[str, str],
                   policy: str, measure: str, project: str, official: dict[str, Any] | None = None,
                   facts: dict[str, Any] | None = None, **inputs: Any) -> dict[str, Any]:
    app = await created(client, applicant, policy, measure, project, **inputs)
    app = await step(client, applicant, app, "submit")
    app = await step(client, reviewer, app, "review", {"inputs": official or {}, "facts": facts or {}})
    return await step(client, approver, app, "approve")


async def seed_project_facts(url: str, *, pilots: dict[str, tuple[str, str]], products: dict[str, tuple[str, dict[str, int]]]
                             ) -> None:
    """Pilot-pool members ``enterprise -> (uscc, district)``; admitted product versions (version 1)
    ``product -> (provider, {package code: price_fen})`` (catalog's admitted fact as funding keeps it)."""
    from funding.application.projects import record_product_version
    from sihua_shared.contracts.catalog import ProductAdmitted, ProductPackage
    from sihua_shared.contracts.registry import EnterpriseEnrolled

    engine = create_engine(url)
    async with session_factory(engine)() as s, s.begin():
        for enterprise, (uscc, district) in pilots.items():
            await REGISTRY_FACTS.record_enrolment(s, ENVELOPE, EnterpriseEnrolled(
                enterprise_id=enterprise, uscc=uscc, sector="custom_furniture", district=district, size_class="small",
                enrolled_on=DAY - timedelta(days=100)))
        for n, (product, (provider, packages)) in enumerate(products.items()):
            await record_product_version(s, ENVELOPE, ProductAdmitted(
                product_id=product, version=1, catalogue_number=f"GZ-XKQZ-2026-{n + 1:04d}", organisation_id=provider,
                name=f"{product} 云", product_type="saas", scenes=["S05"], sectors=["custom_furniture"], marks=["traction_unit"],
                packages=[ProductPackage(code=c, name=c, price_fen=p, unit="per_year") for c, p in packages.items()],
                admitted_on=DAY - timedelta(days=30)))
    await engine.dispose()


async def project_step(client: httpx.AsyncClient, headers: dict[str, str], project: dict[str, Any], action: str,
                       json: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    response = await client.post(f"{API}/projects/{project['id']}/{action}",
                                 headers={**headers, "If-Match": f'"{project["version"]}"'}, json=json)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def payment_file(rows: list[list[Any]]) -> bytes:
    """The bank's XLSX payment file: the first sheet with the columns funding reads (``finance_files.HEADERS``)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(PAYMENT_FILE_HEADERS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
