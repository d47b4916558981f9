"""Every operation of a service probed with the inputs that used to reach a 500 (issue 9 §1): a NUL character in each
path id and query parameter, an offset beyond 2^63, and well-formed ids that name nothing.

The probes run over real HTTP with a token holding every role, so that each request passes the role checks and
reaches input validation; what they show holds for any caller, because validation does not depend on who asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from ..auth import ROLES
from .tokens import TestIssuer


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    uuid_params: tuple[str, ...]
    """Path parameters whose schema is a UUID."""

    def url(self, **values: str) -> str:
        url = self.path
        for name in self.path_params:
            url = url.replace("{" + name + "}", values.get(name, values.get("*", "")))
        return url

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: FastAPI) -> list[Operation]:
    """The app's operations, with their path and query parameters, as its OpenAPI document declares them."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            declared = operation.get("parameters", [])
            path_params = tuple(p["name"] for p in declared if p["in"] == "path")
            uuids = tuple(p["name"] for p in declared if p["in"] == "path" and _is_uuid(p["schema"]))
            query = tuple(p["name"] for p in declared if p["in"] == "query")
            found.append(Operation(method.upper(), path, path_params, query, uuids))
    return found


def _is_uuid(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "uuid" or any(s.get("format") == "uuid" for s in schema.get("anyOf", []))


def all_roles(issuer: TestIssuer) -> dict[str, str]:
    return issuer.headers(ROLES, org="edge-probe-org", district="edge-probe-district")


def _fields(response: httpx.Response) -> set[str]:
    try:
        body: Any = response.json()
    except ValueError:
        return set()
    return {e.get("field", "") for e in body.get("errors", [])} if isinstance(body, dict) else set()


async def refused_inputs(client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Every way an operation answers a NUL in a path or query parameter, or an offset beyond 2^63, other than a
    422 naming the parameter; empty when all are refused cleanly."""
    wrong = []
    for op in operations(app):
        if op.path_params:
            response = await client.request(op.method, op.url(**{"*": "%00"}), headers=headers)
            missing = {f"path.{p}" for p in op.path_params} - _fields(response)
            if response.status_code != 422 or missing:
                wrong.append(f"{op} with NUL path ids: {response.status_code} {sorted(missing)}")
        url = op.url(**{"*": "00000000-0000-4000-8000-000000000000"})
        for name in op.query_params:
            response = await client.request(op.method, url, params={name: "a\x00"}, headers=headers)
            if response.status_code != 422 or f"query.{name}" not in _fields(response):
                wrong.append(f"{op} with NUL in query.{name}: {response.status_code}")
        if "offset" in op.query_params:
            response = await client.request(op.method, url, params={"offset": str(2**64)}, headers=headers)
            if response.status_code != 422 or "query.offset" not in _fields(response):
                wrong.append(f"{op} with offset 2^64: {response.status_code}")
    return wrong


async def missing_ids(client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Every GET whose path ids are all UUIDs, asked for well-formed ids that name nothing: anything but a 404."""
    wrong = []
    for op in operations(app):
        if op.method != "GET" or not op.path_params or set(op.uuid_params) != set(op.path_params):
            continue
        response = await client.get(op.url(**{"*": "00000000-0000-4000-8000-000000000000"}), headers=headers)
        if response.status_code != 404:
            wrong.append(f"{op}: {response.status_code} {response.text[:200]}")
    return wrong
