"""The role × operation × ownership table of a service, asserted over real HTTP (handbook §6 "Auth").

A service's test lists one ``Row`` per operation of its OpenAPI document, naming the roles each may call and, where
ownership matters, further ``Case``s (another organisation, another district, an unassigned expert). ``check_table``
fails when an operation has no row (a new endpoint must say who may call it), then probes every role and case and
reports every answer that differs from the table at once.

Probes never change seeded state by accident: they carry a stale ``If-Match`` (a transition answers 412 once the
caller passed the access checks) and, unless a row gives one, a body no schema accepts (422 once past the role
gate). A caller that passed the checks is ``OK``: any answer but 401, 403, 404 or a server error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from ..actor import ROLES
from .tokens import TestIssuer

OK = "ok"
Outcome = str | int  # OK, 403 (refused) or 404 (not visible / not there)

# Public by nature (handbook §6): health, docs, OpenAPI/AsyncAPI, JWKS, the token endpoints, password reset,
# sign-up and its activation, title verification and what the programme publishes.
PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/asyncapi.json"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/api/registry/v1/oauth/token"), ("POST", "/api/registry/v1/oauth/revoke"),
    ("POST", "/api/registry/v1/password-reset/request"), ("POST", "/api/registry/v1/password-reset/confirm"),
    ("GET", "/api/registry/v1/password-reset"),
    ("POST", "/api/registry/v1/sign-up"), ("POST", "/api/registry/v1/sign-up/activate"),
    ("GET", "/api/registry/v1/sign-up/activate"),
    ("GET", "/api/registry/v1/titles/verify/{number}"), ("GET", "/api/registry/v1/titles/published"),
    ("GET", "/api/registry/v1/calls/open"), ("GET", "/api/registry/v1/publicity/{call_id}"),
    # the supply list's public showcase (S2 三(三): 展示数字化服务商提供的"小快轻准"产品)
    ("GET", "/api/catalog/v1/showcase/products"), ("GET", "/api/catalog/v1/showcase/products/{product_id}"),
    ("GET", "/api/catalog/v1/showcase/verified-with/{kind}/{ref}"),
    # the ranking of key platforms after a closed evaluation cycle
    ("GET", "/api/evaluation/v1/published/rankings/{cycle_id}"),
}
STALE = {"If-Match": '"999999"'}
PROBE_BODY = {"__probe__": True}  # every request schema forbids unknown fields or needs others


def role_actors(issuer: TestIssuer, *, home: str) -> dict[str, dict[str, str]]:
    """One caller of every role, as the access tables name them: the home enterprise, provider and third party are
    the organisations ``ent-home``, ``prov-home`` and ``tp-home``; the district officer and the expert are bound to
    ``home``. A service's table adds its own ``role@case`` callers (another organisation, another district)."""
    return {
        "enterprise": issuer.headers(["enterprise"], org="ent-home"),
        "provider": issuer.headers(["provider"], org="prov-home"),
        "expert": issuer.headers(["expert"], district=home),
        "district_officer": issuer.headers(["district_officer"], district=home),
        "city_officer": issuer.headers(["city_officer"]),
        "third_party": issuer.headers(["third_party"], org="tp-home"),
        "cluster_body": issuer.headers(["cluster_body"], org="cluster-body-1"),
        "finance": issuer.headers(["finance"], org="finance-bureau"),
        "auditor": issuer.headers(["auditor"]),
        "service": issuer.headers(["service"]),
    }


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) of the app's OpenAPI document."""
    return [(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item]


@dataclass(frozen=True)
class Case:
    """One more caller for a row: ``actor`` names an entry of the table's actors (e.g. ``enterprise@other``)."""

    actor: str
    expect: Outcome
    params: Mapping[str, str] = field(default_factory=dict)  # path parameters replacing the row's
    json: Any = None
    query: Mapping[str, Any] = field(default_factory=dict)
    upload: Upload | None = None


@dataclass(frozen=True)
class Upload:
    """A multipart body: form fields and files (name → (filename, bytes))."""

    data: Mapping[str, str]
    files: Mapping[str, tuple[str, bytes]]


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the path template as OpenAPI names it
    allow: str  # roles that pass, space-separated ("*" every role)
    hidden: str = ""  # roles that get 404 (not visible) rather than 403
    cases: Sequence[Case] = ()
    params: Mapping[str, str] = field(default_factory=dict)  # path parameters for this row only
    json: Any = None  # the probes' body (default: PROBE_BODY for methods with a body)
    query: Mapping[str, Any] = field(default_factory=dict)
    upload: Upload | None = None
    allowed_outcome: Outcome = OK  # what the allowed roles get (404 where the row probes a missing child)
    exactly: Mapping[str, Outcome] = field(default_factory=dict)  # a role's exact answer where it is neither

    def expected(self, role: str) -> Outcome:
        if role in self.exactly:
            return self.exactly[role]
        if self.allow == "*" or role in self.allow.split():
            return self.allowed_outcome
        return 404 if role in self.hidden.split() else 403


def outcome(response: httpx.Response) -> Outcome:
    if response.status_code >= 500 or response.status_code == 401:
        return response.status_code
    if response.status_code in (403, 404):
        return response.status_code
    return OK


def _seen(response: httpx.Response, expected: Outcome) -> Outcome:
    """The outcome, or the exact status where the table names one that is neither refusal (a 422 that hides
    whether something exists, say)."""
    if isinstance(expected, int) and expected not in (403, 404):
        return response.status_code
    return outcome(response)


def _path(route: str, params: Mapping[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise AssertionError(f"no value for {{{name}}} in {route}")
        return params[name]

    return re.sub(r"\{([^}]+)\}", fill, route)


async def _send(client: httpx.AsyncClient, method: str, path: str, headers: Mapping[str, str], json: Any,
                query: Mapping[str, Any], upload: Upload | None = None) -> httpx.Response:
    if upload is not None:
        files = {name: (filename, content, "application/octet-stream") for name, (filename, content) in upload.files.items()}
        return await client.request(method, path, headers={**headers, **STALE}, params=dict(query), data=dict(upload.data),
                                    files=files)
    if method in ("GET", "DELETE") and json is None:
        return await client.request(method, path, headers={**headers, **STALE}, params=dict(query))
    return await client.request(method, path, headers={**headers, **STALE}, params=dict(query),
                                json=PROBE_BODY if json is None else json)


def _fill(value: Any, params: Mapping[str, str]) -> Any:
    """A body naming seeded resources: a string ``"{name}"`` becomes that parameter's value."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in params:
        return params[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    return value


def missing_rows(app: FastAPI, rows: Sequence[Row], public: set[tuple[str, str]] = PUBLIC) -> set[tuple[str, str]]:
    listed = {(r.method, r.route) for r in rows}
    return {op for op in operations(app) if op not in public and op not in listed}


async def check_table(
    client: httpx.AsyncClient,
    app: FastAPI,
    rows: Sequence[Row],
    actors: Mapping[str, Mapping[str, str]],
    params: Mapping[str, str],
    *,
    public: set[tuple[str, str]] = PUBLIC,
) -> int:
    """Assert the table against the app; answers the number of probes made."""
    missing = missing_rows(app, rows, public)
    assert not missing, f"operations without a row in the access table: {sorted(missing)}"
    stray = {(r.method, r.route) for r in rows} - set(operations(app))
    assert not stray, f"rows for operations that do not exist: {sorted(stray)}"
    assert set(ROLES) <= set(actors), set(ROLES) - set(actors)
    wrong: list[str] = []
    probes = 0
    for row in rows:
        path = _path(row.route, {**params, **row.params})
        for role in ROLES:
            response = await _send(client, row.method, path, actors[role], _fill(row.json, params),
                                   _fill(dict(row.query), params), row.upload)
            probes += 1
            got, want = _seen(response, row.expected(role)), row.expected(role)
            if got != want:
                wrong.append(f"{row.method} {row.route} as {role}: {got} (expected {want}) {response.text[:160]}")
        for case in row.cases:
            case_path = _path(row.route, {**params, **row.params, **case.params})
            json = _fill(case.json if case.json is not None else row.json, params)
            response = await _send(client, row.method, case_path, actors[case.actor], json, _fill(dict(case.query or row.query), params),
                                   case.upload or row.upload)
            probes += 1
            if _seen(response, case.expect) != case.expect:
                wrong.append(f"{row.method} {row.route} as {case.actor}: {_seen(response, case.expect)} (expected {case.expect}) "
                             f"{response.text[:160]}")
    assert not wrong, f"{len(wrong)} answers differ from the access table:\n" + "\n".join(wrong)
    return probes

