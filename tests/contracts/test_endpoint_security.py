"""Every endpoint authenticates, except the few that are public by nature (handbook §6): health, docs,
OpenAPI/AsyncAPI, JWKS, the token endpoint, title verification and the lists the programme publishes."""

from __future__ import annotations

import importlib
import re

import pytest

from sihua_shared.settings import SERVICES
from sihua_shared.testing.harness import Stack, service_client

PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/asyncapi.json"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/api/registry/v1/oauth/token"), ("POST", "/api/registry/v1/oauth/revoke"),
    ("POST", "/api/registry/v1/password-reset/request"), ("POST", "/api/registry/v1/password-reset/confirm"),
    ("GET", "/api/registry/v1/password-reset"),
    ("GET", "/api/registry/v1/titles/verify/{number}"), ("GET", "/api/registry/v1/titles/published"),
    ("GET", "/api/registry/v1/calls/open"), ("GET", "/api/registry/v1/publicity/{call_id}"),
}


@pytest.mark.parametrize("service", SERVICES)
async def test_every_non_public_endpoint_refuses_anonymous_and_forged_callers(stack: Stack, service: str) -> None:
    settings = await stack.settings(service)
    app = importlib.import_module(f"{service}.main").create_app(settings)
    operations = [(m.upper(), p) for p, item in app.openapi()["paths"].items() for m in item]
    checked = 0
    async with service_client(app) as client:
        for method, route in operations:
            if (method, route) in PUBLIC:
                continue
            path = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", route)
            for headers in ({}, {"Authorization": "Bearer not.a.token"}):
                response = await client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, route, response.status_code, response.text[:200])
            checked += 1
    if service in ("registry", "diagnosis"):
        assert checked >= 20, checked


def test_the_public_list_names_only_existing_routes() -> None:
    from sihua_shared.settings import Settings

    app = importlib.import_module("registry.main").create_app(Settings(service="registry"))
    paths = {(m.upper(), p) for p, item in app.openapi()["paths"].items() for m in item}
    missing = {p for p in PUBLIC if p[1].startswith("/api/") and p not in paths}
    assert not missing, missing
