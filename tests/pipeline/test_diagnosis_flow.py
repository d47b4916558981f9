"""Diagnosis end to end (issue 4, "Done means"): an enterprise registered in the registry completes a
self-assessment and gets 一级 with a PDF report saying why and what is missing for 二级; after a (simulated)
transformation an on-site post-assessment by a third-party assessor reaches 二级 and the comparison shows
the uplift — through the HTTP APIs, with the registry's facts reaching diagnosis and diagnosis's facts on
NATS and in the registry's enterprise file."""

from __future__ import annotations

import importlib.util
from contextlib import AsyncExitStack
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from pypdf import PdfReader

from diagnosis.main import create_app as diagnosis_app
from registry.main import create_app as registry_app
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

from .helpers import facts_on_nats, spec_of

DIAGNOSIS = "/api/diagnosis/v1"
REGISTRY = "/api/registry/v1"


def _kit() -> ModuleType:
    """The diagnosis tests' hand-built answer sets (services/diagnosis/tests/kit.py)."""
    path = Path(__file__).resolve().parents[2] / "services" / "diagnosis" / "tests" / "kit.py"
    spec = importlib.util.spec_from_file_location("diagnosis_test_kit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KIT = _kit()


async def register(client: httpx.AsyncClient, headers: dict[str, str], **org: Any) -> str:
    response = await client.post(f"{REGISTRY}/organisations", json=org, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def issued_report(client: httpx.AsyncClient, headers: dict[str, str], assessment_id: str) -> dict[str, Any]:
    async def issued() -> dict[str, Any] | None:
        response = await client.get(f"{DIAGNOSIS}/assessments/{assessment_id}/report", headers=headers)
        return response.json() if response.status_code == 200 else None

    found: dict[str, Any] = await eventually(issued, timeout=60, interval=0.2)
    return found


async def test_self_assessment_to_level_two_after_transformation(stack: Stack) -> None:
    registry_settings = await stack.settings("registry")
    diagnosis_settings = await stack.settings("diagnosis")
    officer = stack.issuer.headers(["city_officer"])
    async with AsyncExitStack() as running:
        registry = await running.enter_async_context(service_client(registry_app(registry_settings)))
        diagnosis = await running.enter_async_context(service_client(diagnosis_app(diagnosis_settings)))
        await running.enter_async_context(running_worker(spec_of("registry"), registry_settings))
        await running.enter_async_context(running_worker(spec_of("diagnosis"), diagnosis_settings))

        enterprise_id = await register(registry, officer, uscc=make_uscc(41), name="广州黄埔精密零部件有限公司",
                                       kind="enterprise", district="huangpu", sector="auto_parts")
        third_id = await register(registry, officer, uscc=make_uscc(42), name="广州数字化评估第三方机构有限公司", kind="third_party")
        ent = stack.issuer.headers(["enterprise"], org=enterprise_id)
        assessor = stack.issuer.headers(["third_party"], org=third_id)

        async def known() -> bool:  # the diagnosis read model learns both organisations over NATS
            consent = await diagnosis.post(f"{DIAGNOSIS}/consents", json={"organisation_id": third_id}, headers=ent)
            return consent.status_code == 201

        await eventually(known, timeout=30, interval=0.2)

        baseline = await KIT.assess(diagnosis, ent, KIT.LEVEL1)
        assert (baseline["level"], baseline["level_name"], baseline["kind"], baseline["official_record"]) == (1, "一级", "self", True)
        report = await issued_report(diagnosis, ent, baseline["id"])
        assert report["enterprise"]["name"] == "广州黄埔精密零部件有限公司" and report["enterprise"]["district"] == "黄埔区"
        pdf = await diagnosis.get(f"{DIAGNOSIS}/assessments/{baseline['id']}/report.pdf", headers=ent)
        assert pdf.headers["content-type"] == "application/pdf"
        text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
        for why_and_gap in ("数字化水平：一级", "按得分可评一级，按场景等级可评一级", "距二级的差距", "还差 10.0 分",
                            "须至少 6 个场景达到二级及以上：当前 2 个，还差 4 个",
                            "约束性场景须至少 3 个达到二级及以上：当前 2 个，还差 1 个"):
            assert why_and_gap in text, why_and_gap

        # (the transformation happens here) — then the third party assesses on site
        post = await KIT.assess(diagnosis, assessor, KIT.LEVEL2, kind="onsite", stage="post_transformation",
                                enterprise_id=enterprise_id)
        assert (post["level"], post["level_name"], post["filled_by_organisation_id"]) == (2, "二级", third_id)
        post_report = await issued_report(diagnosis, assessor, post["id"])
        assert post_report["assessment"]["mode_label"] == "现场评定" and post_report["level"]["name"] == "二级"

        compared = await diagnosis.get(f"{DIAGNOSIS}/enterprises/{enterprise_id}/comparison", headers=ent)
        assert compared.status_code == 200, compared.text
        uplift = compared.json()
        assert (uplift["before"]["id"], uplift["after"]["id"]) == (baseline["id"], post["id"])
        assert (uplift["comparison"]["level"], uplift["comparison"]["total_milli"]["delta"]) == (
            {"before": 1, "after": 2, "delta": 1}, 15025)

        async def filed() -> set[str]:  # the registry's enterprise file received diagnosis's facts
            response = await registry.get(f"{REGISTRY}/enterprises/{enterprise_id}/file", params={"limit": 100}, headers=ent)
            kinds = {e["event_type"].split(".", 4)[-1] for e in response.json()["items"] if e["source"] == "diagnosis"}
            wanted = {"assessment.submitted.v1", "assessment.completed.v1", "report.issued.v1"}
            return kinds if wanted <= kinds else set()

        await eventually(filed, timeout=30, interval=0.2)

    facts = await facts_on_nats(stack)
    completed = [f["data"] for f in facts if f["type"] == "cn.gov.sihua.diagnosis.assessment.completed.v1"]
    assert [(c["assessment_id"], c["level"], c["kind"], c["stage"]) for c in completed] == [
        (baseline["id"], 1, "self", "baseline"), (post["id"], 2, "onsite", "post_transformation")]
    issued = {f["data"]["assessment_id"] for f in facts if f["type"] == "cn.gov.sihua.diagnosis.report.issued.v1"}
    assert issued == {baseline["id"], post["id"]}
