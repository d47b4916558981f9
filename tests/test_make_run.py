"""`make run` end to end: the runner starts everything on embedded servers, serves five /docs pages, loads the demo
(issue 16 §2) within 60 s — every stage visible through the public and authenticated APIs — lets a newcomer finish
the second call and the second project with the demo accounts as the README says, stops cleanly on Ctrl-C, and on a
second start loads nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from sihua_shared.demo.__main__ import stages
from sihua_shared.embedded import free_port
from sihua_shared.settings import SERVICES

PASSWORD = re.compile(r"^\[sihua\]   (demo\.\S+)\s+\S+\s+(\S+)$", re.M)
LOADED = re.compile(r"demo data loaded: (\d+) stages in ([\d.]+) s")


def _run_once(data_dir: Path, ports: dict[str, int], while_running: Callable[[str], None] | None = None) -> str:
    env = {**os.environ, "SIHUA_DATA_DIR": str(data_dir)}
    for key in list(env):
        if key.endswith("_DATABASE_URL") or key in ("SIHUA_NATS_URL", "SIHUA_PAYEE_ACCOUNT_KEY", "SIHUA_JWKS_URL"):
            env.pop(key)
    env.update({f"SIHUA_{s.upper()}_PORT": str(p) for s, p in ports.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "sihua_shared.devrun"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 400  # a loaded machine starts slowly
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "press Ctrl-C to stop" in line:
                break
        output = "".join(lines)
        assert "press Ctrl-C to stop" in output, output
        for service in SERVICES:
            docs = httpx.get(f"http://127.0.0.1:{ports[service]}/docs", timeout=5)
            assert docs.status_code == 200 and "swagger-ui" in docs.text, service
            assert f"http://127.0.0.1:{ports[service]}/docs" in output
        if while_running is not None:
            while_running(output)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, rest
        assert "[sihua] stopped" in rest
        return output + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


class Api:
    """The running apis, as the demo accounts (passwords read from the output of the first start)."""

    def __init__(self, ports: dict[str, int], passwords: dict[str, str]) -> None:
        self.ports, self.passwords, self.tokens = ports, passwords, {}

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}/api/{service}/v1{path}"

    def headers(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        if who not in self.tokens:
            answer = httpx.post(self.url("registry", "/oauth/token"), timeout=30, data={
                "grant_type": "password", "username": who, "password": self.passwords[who]})
            assert answer.status_code == 200, answer.text
            self.tokens[who] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, method: str, service: str, path: str, who: str | None = None, status: int = 200, *,
             etag: str | None = None, key: str | None = None, raw: bool = False, **kwargs: Any) -> Any:
        headers = {**self.headers(who), **({"If-Match": etag} if etag else {}), **({"Idempotency-Key": key} if key else {})}
        answer = httpx.request(method, self.url(service, path), headers=headers, timeout=30, **kwargs)
        assert answer.status_code == status, (method, path, who, answer.status_code, answer.text)
        return answer if raw else answer.json()

    def get(self, service: str, path: str, who: str | None = None, **kwargs: Any) -> Any:
        return self.call("GET", service, path, who, **kwargs)

    def etag(self, service: str, path: str, who: str) -> str:
        return str(self.get(service, path, who, raw=True).headers["etag"])

    def until(self, check: Callable[[], Any], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found or time.monotonic() > deadline:
                assert found, "condition not met"
                return found
            time.sleep(0.3)


def _every_stage_shows(api: Api, ids: dict[str, Any]) -> None:
    # registry: the first call's publicity list (public) and titles; the failing platform's title revoked
    listed = api.get("registry", f"/publicity/{ids['first_call']}")
    assert len(listed["items"]) == 2
    published = {t["uscc"] for t in api.get("registry", "/titles/published")["items"]}
    assert "91440101MA0000003Y" in published and "91440101MA00000042" not in published  # the platforms' USCCs
    revoked = api.get("registry", f"/titles/{ids['titles']['platform2']}", "demo.city")
    assert revoked["revoked_on"] and revoked["revoked_by"] == "evaluation"
    # catalog: admitted products on the public showcase, found in Chinese, with the adaptation record
    found = api.get("catalog", "/showcase/products", params={"q": "排产"})
    assert [p["product_id"] for p in found["items"]] == [ids["products"]["scheduling"]]
    assert api.get("catalog", "/showcase/products")["total"] == 2
    adaptations = api.get("catalog", f"/products/{ids['products']['scheduling']}/adaptations", "demo.traction")
    assert adaptations[0]["valid"] is True
    recommended = api.get("catalog", f"/enterprises/{ids['furniture']}/recommendations", "demo.furniture")
    assert recommended["items"] and recommended["items"][0]["explanation"]
    purchase = api.get("catalog", f"/group-purchases/{ids['group_purchase']}", "demo.cluster")
    assert purchase["state"] == "closed" and purchase["enrolments"][0]["delivered_on"]
    # diagnosis: baseline and post-transformation assessments with their PDF reports
    mine = api.get("diagnosis", "/assessments", "demo.furniture")["items"]
    assert {(a["stage"], a["level"]) for a in mine} == {("baseline", 1), ("post_transformation", 2)}
    for assessment in mine:
        pdf = api.get("diagnosis", f"/assessments/{assessment['id']}/report.pdf", "demo.furniture", raw=True)
        assert pdf.content.startswith(b"%PDF")
    # funding: the project accepted, its subsidy approved by two people, paid and reconciled
    project = api.get("funding", f"/projects/{ids['first_project']}", "demo.furniture")
    assert (project["state"], project["post_level"]) == ("accepted", 2)
    award = api.get("funding", f"/applications/{ids['first_award']}", "demo.finance")
    assert award["state"] == "approved" and award["amount_fen"] == 18_500_000
    paid = api.get("funding", "/payment-orders", "demo.finance", params={"state": "paid"})
    assert paid["total"] == 1 and paid["items"][0]["payee_account"].startswith("****")
    assert api.get("funding", "/reconciliation", "demo.finance")["balanced"] is True
    # evaluation: a closed cycle with grades, one rectification and a failing verdict; KPIs with a chart
    assert api.get("evaluation", f"/cycles/{ids['cycle']}", "demo.city")["state"] == "closed"
    results = {r["provider_id"]: r for r in api.get("evaluation", "/results", "demo.city")["items"]}
    assert results[ids["platform2"]]["grade"] == "不合格" and results[ids["platform2"]]["rectification_due"]
    assert results[ids["platform"]]["grade"] != "不合格" and results[ids["platform"]]["state"] == "issued"
    assert api.get("evaluation", f"/published/rankings/{ids['cycle']}")["ranked"] is not None
    chart = api.get("evaluation", "/programme/kpis", "demo.city", params={"format": "png", "year": 2025}, raw=True)
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    # the second call in publicity with an open objection; the second project in progress
    objection = api.get("registry", f"/objections/{ids['second_call_objection']}", "demo.city")
    assert objection["state"] == "open"
    assert api.get("funding", f"/projects/{ids['second_project']}", "demo.luggage")["state"] == "in_progress"


def _newcomer_finishes(api: Api, ids: dict[str, Any], data_dir: Path) -> None:
    """The README's walk-throughs of the second call and the second project, on the running apis, today."""
    call, objection = ids["second_call"], ids["second_call_objection"]
    etag = api.etag("registry", f"/objections/{objection}", "demo.city")
    api.call("POST", "registry", f"/objections/{objection}/resolve", "demo.city", etag=etag,
             json={"upheld": False, "resolution": "经核查，服务案例真实，异议不成立"})
    etag = api.etag("registry", f"/publicity/{call}", "demo.city")
    final = api.call("POST", "registry", f"/publicity/{call}/finalise", "demo.city", etag=etag)
    assert [t["organisation_id"] for t in final["titles"]] == [ids["traction"]]

    project_path = f"/projects/{ids['second_project']}"

    def step(action: str, who: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        project = api.get("funding", project_path, who)
        answer: dict[str, Any] = api.call("POST", "funding", f"{project_path}/{action}", who, etag=f'"{project["version"]}"',
                                          json=body)
        return answer

    step("progress", "demo.traction", {"percent": 100, "milestone": "上线试运行", "text": "全部上线"})
    step("complete", "demo.traction")
    answers = json.loads((data_dir / "services" / "demo" / "level2-answers.json").read_text())
    created = api.call("POST", "diagnosis", "/assessments", "demo.assessor", 201, json={
        "kind": "onsite", "stage": "post_transformation", "enterprise_id": ids["luggage"]})
    saved = api.call("PUT", "diagnosis", f"/assessments/{created['id']}/answers", "demo.assessor", json=answers, raw=True)
    submitted = api.call("POST", "diagnosis", f"/assessments/{created['id']}/submit", "demo.assessor",
                         etag=saved.headers["etag"], json={"authenticity_commitment": True})
    assert submitted["level"] == 2
    _accepted_and_paid(api, project_path, step)


def _accepted_and_paid(api: Api, project_path: str, step: Callable[..., dict[str, Any]]) -> None:
    today = date.today().isoformat()
    [batch] = [b for b in api.get("funding", "/acceptance-batches", "demo.luggage")["items"] if b["closes_on"] >= today]
    step("acceptance", "demo.luggage", {"batch_id": batch["id"], "invoices": [{"number": "FP-2026-0001", "amount_fen": 36_000_000}]})

    def decided() -> Any:
        project = api.get("funding", project_path, "demo.city")
        answer = httpx.post(api.url("funding", f"{project_path}/decision"), timeout=30, json={
            "passed": True, "verified_actual_investment_fen": 36_000_000},
            headers={**api.headers("demo.city"), "If-Match": f'"{project["version"]}"'})
        return answer.json() if answer.status_code == 200 else None

    project = api.until(decided)  # funding learns the post-transformation assessment from diagnosis's fact
    app = api.call("POST", "funding", "/applications", "demo.luggage", 201, json={
        "policy_id": "gz-s2-sme-pilot", "measure_id": "s2-transformation", "project_id": project["id"], "inputs": {}})
    for action, who, body in (("submit", "demo.luggage", {}),
                              ("review", "demo.city", {"inputs": {"approved_investment_fen": project["approved_investment_fen"],
                                                                  "verified_actual_investment_fen": 36_000_000,
                                                                  "batch_rate": "50%"}}),
                              ("approve", "demo.city2", {})):
        app = api.call("POST", "funding", f"/applications/{app['id']}/{action}", who, etag=f'"{app["version"]}"', json=body)
    assert app["state"] == "approved" and app["amount_fen"] == 18_000_000
    order = api.call("POST", "funding", f"/applications/{app['id']}/payment-orders", "demo.finance", 201, key="readme-1",
                     json={"payee_name": "广州示范箱包制造有限公司", "payee_account": "6222020200998877665", "tranche": "whole"})
    api.call("POST", "funding", f"/payment-orders/{order['id']}/paid", "demo.finance", etag=f'"{order["version"]}"',
             json={"bank_reference": "BK-2026-000777"})
    assert api.get("funding", "/reconciliation", "demo.finance")["balanced"] is True


@pytest.mark.timeout(900)  # two starts of the whole system, the demo and the walk-through
def test_make_run_loads_every_stage_once_and_a_newcomer_finishes_the_rest(tmp_path: Path) -> None:
    ports = {s: free_port() for s in SERVICES}
    data_dir = tmp_path / "data"

    def check(output: str) -> None:
        assert "demo stage failed" not in output, output
        api = Api(ports, dict(PASSWORD.findall(output)))
        ids = json.loads((data_dir / "services" / "demo" / "loaded.json").read_text())["ids"]
        _every_stage_shows(api, ids)
        _newcomer_finishes(api, ids, data_dir)

    first = _run_once(data_dir, ports, check)
    loaded = LOADED.search(first)
    assert loaded, first
    print(loaded.group(0), "| load average", os.getloadavg())
    assert int(loaded.group(1)) == len(stages(date.today())) and "demo stage failed" not in first
    # issue 16 §2 aims at 60 s on first start: the figure is printed above and reported, never asserted (a timed
    # assertion would measure the machine's load, not the loader)
    assert len(PASSWORD.findall(first)) == 16
    second = _run_once(data_dir, ports)
    assert "nothing loaded" in second and "demo data loaded" not in second
    assert not PASSWORD.findall(second)  # passwords are printed once
