"""Every endpoint authenticates, except the few that are public by nature (handbook §6): health, docs,
OpenAPI/AsyncAPI, JWKS, the token endpoint, title verification and the lists the programme publishes."""

from __future__ import annotations

import importlib
import re

import pytest

from sihua_shared.settings import SERVICES
from sihua_shared.testing.access import PUBLIC, operations
from sihua_shared.testing.harness import Stack, service_client


@pytest.mark.parametrize("service", SERVICES)
async def test_every_non_public_endpoint_refuses_anonymous_and_forged_callers(stack: Stack, service: str) -> None:
    settings = await stack.settings(service)
    app = importlib.import_module(f"{service}.main").create_app(settings)
    checked = 0
    async with service_client(app) as client:
        for method, route in operations(app):
            if (method, route) in PUBLIC:
                continue
            path = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", route)
            for headers in ({}, {"Authorization": "Bearer not.a.token"}):
                response = await client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, route, response.status_code, response.text[:200])
            checked += 1
    assert checked >= 12, checked  # every service has at least a dozen authenticated operations


def test_the_public_list_names_only_existing_routes() -> None:
    from sihua_shared.settings import Settings

    paths = {op for service in SERVICES
             for op in operations(importlib.import_module(f"{service}.main").create_app(Settings(service=service)))}
    missing = {p for p in PUBLIC if p[1].startswith("/api/") and p not in paths}
    assert not missing, missing

