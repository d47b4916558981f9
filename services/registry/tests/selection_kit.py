"""A world for the tests of calls, applications, review and publicity: organisations, experts and calls made through the
HTTP API, the app's business clock pinned and moved by the test, and the steps of an application."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from sihua_shared.clock import BusinessClock
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack

API = "/api/registry/v1"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
MATERIALS = [{"code": "business_licence", "name_zh": "营业执照"}, {"code": "platform_report", "name_zh": "平台建设情况报告"}]
CODES = ("technical_capability", "scale_strength", "service_capability")  # the key-platform template: 40 / 30 / 30 points
# The day the selection tests live on unless they pin another; every call_body window is open on it.
DAY = date(2026, 3, 10)


def install_clock(app: FastAPI, day: date = DAY) -> BusinessClock:
    """Pin the app's business clock (what routes, use cases and jobs of this app read) on ``day``; the test moves it
    with ``pin`` and ``advance``."""
    clock: BusinessClock = app.state.clock
    clock.pin(day)
    return clock


def call_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "key_platform", "category": "industrial_internet", "title": "2026年广州市四化赋能重点平台征集",
        "window": {"opens_on": (DAY - timedelta(days=400)).isoformat(), "closes_on": None},
        "required_materials": MATERIALS, "experts_per_application": 3, "cut_rule": {"pass_mark": "60", "quota": 2},
        "spread_limit": "20", "review_days": 10,
    }
    body.update(overrides)
    return body


def sheet(total: int) -> dict[str, Any]:
    """Scores whose weighted total is ``total`` (the template's points are the weights): 40% / 30% / 30% of it."""
    return {"scores": {CODES[0]: str(total * 4 / 10), CODES[1]: str(total * 3 / 10), CODES[2]: str(total * 3 / 10)},
            "comments": {code: "材料翔实，能力突出" for code in CODES}}


def if_match(response: httpx.Response) -> dict[str, str]:
    return {"If-Match": response.headers["etag"]}


@dataclass
class World:
    stack: Stack
    client: httpx.AsyncClient
    city: dict[str, str] = field(init=False)
    counter: int = 0

    def __post_init__(self) -> None:
        self.city = self.stack.issuer.headers(["city_officer"])

    def as_org(self, org_id: str, role: str = "provider") -> dict[str, str]:
        return self.stack.issuer.headers([role], org=org_id)

    def as_expert(self, account_id: str) -> dict[str, str]:
        return self.stack.issuer.headers(["expert"], sub=account_id)

    async def org(self, kind: str = "platform", district: str = "huangpu", name: str | None = None) -> str:
        self.counter += 1
        body = {"uscc": make_uscc(500 + self.counter), "name": name or f"测试平台{self.counter}有限公司", "kind": kind,
                "district": district}
        response = await self.client.post(f"{API}/organisations", json=body, headers=self.city)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def relate(self, org_id: str, related_id: str, kind: str = "shareholding") -> None:
        response = await self.client.post(f"{API}/organisations/{org_id}/relationships", headers=self.city,
                                          json={"related_organisation_id": related_id, "kind": kind})
        assert response.status_code == 201, response.text

    async def expert(self, org_id: str | None = None, *, fields: list[str] | None = None, can_chair: bool = True) -> str:
        self.counter += 1
        body = {"username": f"expert{self.counter}", "display_name": f"专家{self.counter}", "email": f"e{self.counter}@example.cn",
                "roles": ["expert"], "organisation_id": org_id}
        response = await self.client.post(f"{API}/accounts", json=body, headers=self.city)
        assert response.status_code == 201, response.text
        account_id = str(response.json()["id"])
        if fields is not None or not can_chair:
            profile = await self.client.put(f"{API}/experts/{account_id}/profile", headers=self.city,
                                            json={"fields": fields or [], "can_chair": can_chair})
            assert profile.status_code == 200, profile.text
        return account_id

    async def account(self, roles: list[str], org_id: str | None = None) -> str:
        """A person's account (made through the API), e.g. to read their inbox with ``as_account``."""
        self.counter += 1
        body = {"username": f"person{self.counter}", "display_name": f"用户{self.counter}", "email": f"p{self.counter}@example.cn",
                "roles": roles, "organisation_id": org_id}
        response = await self.client.post(f"{API}/accounts", json=body, headers=self.city)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def as_account(self, account_id: str, roles: list[str], org_id: str | None = None) -> dict[str, str]:
        return self.stack.issuer.headers(roles, sub=account_id, org=org_id)

    async def inbox(self, account_id: str, roles: list[str], org_id: str | None = None) -> list[dict[str, Any]]:
        response = await self.client.get(f"{API}/notifications", headers=self.as_account(account_id, roles, org_id))
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def open_call(self, **overrides: Any) -> dict[str, Any]:
        created = await self.client.post(f"{API}/calls", json=call_body(**overrides), headers=self.city)
        assert created.status_code == 201, created.text
        opened = await self.client.post(f"{API}/calls/{created.json()['id']}/open", headers={**self.city, **if_match(created)})
        assert opened.status_code == 200, opened.text
        return dict(opened.json())

    async def upload(self, application_id: str, headers: dict[str, str], code: str, data: bytes = PDF,
                     name: str = "材料.pdf") -> httpx.Response:
        return await self.client.post(f"{API}/applications/{application_id}/attachments", headers=headers,
                                      data={"material_code": code}, files={"file": (name, data, "application/octet-stream")})

    async def draft(self, call: dict[str, Any], org_id: str, *, materials: bool = True) -> dict[str, Any]:
        headers = self.as_org(org_id)
        created = await self.client.post(f"{API}/calls/{call['id']}/applications", headers=headers,
                                         json={"title": "工业互联网平台申报", "summary": "平台简介", "content": {"users": 1200}})
        assert created.status_code == 201, created.text
        if materials:
            for material in call["required_materials"]:
                uploaded = await self.upload(created.json()["id"], headers, material["code"])
                assert uploaded.status_code == 201, uploaded.text
        return dict(created.json())

    async def step(self, application: dict[str, Any], path: str, headers: dict[str, str], json: Any = None) -> httpx.Response:
        current = await self.client.get(f"{API}/applications/{application['id']}", headers=self.city)
        return await self.client.post(f"{API}/applications/{application['id']}/{path}", json=json,
                                      headers={**headers, **if_match(current)})

    async def in_review(self, call: dict[str, Any], org_id: str) -> dict[str, Any]:
        """A draft with its materials, submitted, formally checked and passed to expert review."""
        application = await self.draft(call, org_id)
        for path, headers in (("submit", self.as_org(org_id)), ("formal-check/start", self.city), ("formal-check/pass", self.city)):
            response = await self.step(application, path, headers)
            assert response.status_code == 200, response.text
        return dict(response.json())

    async def panel(self, application_id: str) -> dict[str, Any]:
        response = await self.client.get(f"{API}/applications/{application_id}/panel", headers=self.city)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def score_all(self, application_id: str, totals: list[int]) -> httpx.Response:
        members = [m for m in (await self.panel(application_id))["members"] if m["status"] != "declined"]
        assert len(members) == len(totals)
        response: httpx.Response | None = None
        for member, total in zip(members, totals, strict=True):
            response = await self.client.put(f"{API}/applications/{application_id}/scores", json=sheet(total),
                                             headers=self.as_expert(member["expert_id"]))
            assert response.status_code == 200, response.text
        assert response is not None
        return response

    async def reviewed(self, call: dict[str, Any], totals: list[int], orgs: list[str] | None = None) -> list[dict[str, Any]]:
        """One application per total (for ``orgs``, or new organisations), each scored that total by its whole panel."""
        orgs = orgs or [await self.org(name=f"候选平台{i}号有限公司") for i in range(1, len(totals) + 1)]
        apps = [await self.in_review(call, org) for org in orgs]
        assigned = await self.client.post(f"{API}/calls/{call['id']}/assignments", json={}, headers=self.city)
        assert assigned.status_code == 200, assigned.text
        for app, total in zip(apps, totals, strict=True):
            await self.score_all(app["id"], [total] * 3)
        return apps
