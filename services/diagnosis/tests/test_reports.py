"""Reports built by the worker after submission (over real NATS: the service's own facts), the report's
visibility, and completing a diagnosis project with the on-site assessment and a transformation plan."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import httpx
from pypdf import PdfReader
from sqlalchemy import select

from diagnosis.main import create_app
from diagnosis.spec import SPEC
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import rows

from .kit import API, DAY, LEVEL1, LEVEL2, assess, seed

PLAN = "第一阶段：上线质量管理与设备管理模块\n\n- 第二阶段：打通生产管控与仓储物流数据\n"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


async def report_of(client: httpx.AsyncClient, headers: dict[str, str], assessment_id: str, revision: int = 1) -> dict[str, Any]:
    async def issued() -> dict[str, Any] | None:
        response = await client.get(f"{API}/assessments/{assessment_id}/report", headers=headers)
        if response.status_code == 200 and response.json()["revision"] >= revision:
            body: dict[str, Any] = response.json()
            return body
        assert response.status_code in (200, 404), response.text
        return None

    found: dict[str, Any] = await eventually(issued, timeout=60, interval=0.2)
    return found


async def test_the_worker_issues_the_report_and_a_plan_revises_it(stack: Stack) -> None:
    settings = await stack.settings("diagnosis", business_date=DAY)
    await seed(settings.database_url, ("ent-a", "enterprise", "huangpu", "auto_parts"), ("ent-b", "enterprise", "tianhe", None),
               ("prov", "diagnosis_provider", None, None), ("prov-x", "diagnosis_provider", None, None),
               diagnosis_providers=("prov", "prov-x"))
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    prov = stack.issuer.headers(["provider"], org="prov")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(settings)) as client:
        own = await assess(client, ent, LEVEL1)
        project = (await client.post(f"{API}/diagnosis-projects", json={"enterprise_id": "ent-a", "provider_id": "prov"},
                                     headers=city)).json()
        onsite = await assess(client, prov, LEVEL2, kind="onsite", enterprise_id="ent-a")  # the assignment authorises it
        assert (onsite["filled_by_organisation_id"], onsite["level"]) == ("prov", 2)
        complete = f"{API}/diagnosis-projects/{project['id']}/complete"
        body = {"assessment_id": onsite["id"], "plan": PLAN}
        early = await client.post(complete, json=body, headers={**prov, "If-Match": '"1"'})
        assert early.status_code == 422 and early.json()["code"] == "report_not_issued", "no report before the worker ran"
        assert (await client.get(f"{API}/assessments/{own['id']}/report", headers=ent)).status_code == 404

        async with running_worker(SPEC, settings):
            report = await report_of(client, ent, own["id"])
            await report_of(client, prov, onsite["id"])
        assert (report["level"]["name"], report["gap"]["target_level"]["name"], report["score"]["total"]) == ("一级", "二级", "30.0")
        assert report["enterprise"] == {"name": "ent-a 有限公司", "uscc": own["uscc"], "district": "黄埔区",
                                        "sector": "智能网联与新能源汽车(零部件)"}
        assert report["gap"]["points_missing"] == "10.0" and report["gap"]["scenes_missing"] == 4
        assert "二级须总分达到 40.0 分：当前 30.0 分，还差 10.0 分。" in report["gap"]["lines"]
        assert [w["name"] for w in report["weakest"][:2]] == ["S06 生产管控", "S07 质量管理"]
        assert report["assessment"]["mode"] == "self" and report["revision"] == 1 and report["plan"] == []

        pdf = await client.get(f"{API}/assessments/{own['id']}/report.pdf", headers=ent)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = pdf_text(pdf.content)
        for needle in ("中小企业数字化水平评测诊断报告", "ent-a 有限公司", "数字化水平：一级", "距二级的差距", "还差 10.0 分", "薄弱场景"):
            assert needle in text, needle
        other = stack.issuer.headers(["enterprise"], org="ent-b")
        assert (await client.get(f"{API}/assessments/{own['id']}/report", headers=other)).status_code == 404
        assert (await client.get(f"{API}/assessments/{own['id']}/report.pdf", headers=other)).status_code == 404
        assert (await client.get(f"{API}/assessments/{own['id']}/report", headers=prov)).status_code == 404

        wrong = stack.issuer.headers(["provider"], org="prov-x")
        assert (await client.post(complete, json=body, headers={**wrong, "If-Match": '"1"'})).status_code == 404
        assert (await client.post(complete, json=body, headers=prov)).status_code == 428
        self_made = await client.post(complete, json={**body, "assessment_id": own["id"]}, headers={**prov, "If-Match": '"1"'})
        assert self_made.status_code == 422 and self_made.json()["code"] == "assessment_not_onsite"
        done = await client.post(complete, json=body, headers={**prov, "If-Match": '"1"'})
        assert done.status_code == 200, done.text
        assert (done.json()["state"], done.json()["assessment_id"], done.json()["plan"]) == ("completed", onsite["id"], PLAN)
        assert (await client.post(complete, json=body, headers={**prov, "If-Match": '"2"'})).status_code == 409

        async with running_worker(SPEC, settings):
            revised = await report_of(client, prov, onsite["id"], revision=2)
        assert revised["plan"] == ["第一阶段：上线质量管理与设备管理模块", "第二阶段：打通生产管控与仓储物流数据"]
        assert revised["assessment"]["mode"] == "on_site" and revised["level"]["name"] == "二级"
        revised_pdf = await client.get(f"{API}/assessments/{onsite['id']}/report.pdf", headers=prov)
        assert "改造方案" in pdf_text(revised_pdf.content) and "打通生产管控与仓储物流数据" in pdf_text(revised_pdf.content)

    facts = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).order_by(outbox.c.seq))]
    issued = [f["data"] for f in facts if f["type"] == "cn.gov.sihua.diagnosis.report.issued.v1"]
    assert sorted((i["assessment_id"], i["revision"], i["level"]) for i in issued) == sorted(
        [(own["id"], 1, 1), (onsite["id"], 1, 2), (onsite["id"], 2, 2)])
    assert all(len(i["pdf_sha256"]) == 64 for i in issued)
    completed = [f["data"] for f in facts if f["type"] == "cn.gov.sihua.diagnosis.diagnosis_project.completed.v1"]
    assert [(c["project_id"], c["assessment_id"], c["level"], c["plan_lines"]) for c in completed] == [
        (project["id"], onsite["id"], 2, 2)]
    actions = [r.action for r in await rows(settings.database_url, select(audit_log.c.action).order_by(audit_log.c.id))]
    assert actions.count("report.issue") == 3 and "diagnosis_project.complete" in actions


async def test_a_completion_is_neither_reused_nor_overwritten_by_a_stale_cancel(stack: Stack) -> None:
    from diagnosis.adapters.project_tables import diagnosis_projects
    from diagnosis.application.projects import cancel_project
    from sihua_shared.auth import Actor
    from sihua_shared.db import create_engine, session_factory
    from sihua_shared.errors import DomainError, Kind

    settings = await stack.settings("diagnosis", business_date=DAY)
    await seed(settings.database_url, ("ent-a", "enterprise", "huangpu", None), ("prov", "diagnosis_provider", None, None),
               diagnosis_providers=("prov",))
    prov = stack.issuer.headers(["provider"], org="prov")
    city = stack.issuer.headers(["city_officer"], sub="city-1")
    projects = f"{API}/diagnosis-projects"
    async with service_client(create_app(settings)) as client:
        first = (await client.post(projects, json={"enterprise_id": "ent-a", "provider_id": "prov"}, headers=city)).json()
        onsite = await assess(client, prov, LEVEL2, kind="onsite", enterprise_id="ent-a")
        async with running_worker(SPEC, settings):
            await report_of(client, prov, onsite["id"])
        query = select(diagnosis_projects).where(diagnosis_projects.c.id == first["id"])
        stale = dict((await rows(settings.database_url, query))[0]._mapping)  # read by a cancel racing the completion
        body = {"assessment_id": onsite["id"], "plan": PLAN}
        done = await client.post(f"{projects}/{first['id']}/complete", json=body, headers={**prov, "If-Match": '"1"'})
        assert done.status_code == 200, done.text

        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                officer = Actor(id="city-1", org=None, roles=frozenset({"city_officer"}))
                try:
                    await cancel_project(session, officer, stale, "迟到的取消")
                    raise AssertionError("a stale cancel must not overwrite a completed project")
                except DomainError as exc:
                    assert exc.kind is Kind.PRECONDITION_FAILED
        finally:
            await engine.dispose()
        assert (await client.get(f"{projects}/{first['id']}", headers=city)).json()["state"] == "completed"

        second = (await client.post(projects, json={"enterprise_id": "ent-a", "provider_id": "prov"}, headers=city)).json()
        reused = await client.post(f"{projects}/{second['id']}/complete", json=body, headers={**prov, "If-Match": '"1"'})
        assert reused.status_code == 422 and reused.json()["code"] == "assessment_already_used", reused.text
        assert reused.json()["errors"][0]["field"] == "body.assessment_id"
        assert (await client.get(f"{projects}/{second['id']}", headers=city)).json()["state"] == "assigned"

    facts = [r.envelope["type"] for r in await rows(settings.database_url, select(outbox.c.envelope))]
    assert facts.count("cn.gov.sihua.diagnosis.diagnosis_project.completed.v1") == 1, "funding pays one completion"
