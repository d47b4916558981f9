"""Bad input is a 4xx everywhere (issue 9 §1), on the registry served by a real uvicorn: every operation refuses a
NUL in its path ids and query parameters and an offset beyond 2^63 with a 422 naming the parameter; the public
token and password-reset endpoints refuse NUL characters in forms and JSON, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from sqlalchemy import func, select

from registry.adapters.account_tables import accounts, password_reset_tokens
from registry.adapters.tables import organisations
from registry.adapters.title_tables import titles
from registry.main import create_app
from sihua_shared.tables import audit_log
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.edge import all_roles, missing_ids, refused_inputs
from sihua_shared.testing.harness import Stack, served_app
from tests.pipeline.helpers import rows

API = "/api/registry/v1"


async def _counts(url: str) -> tuple[int, ...]:
    return tuple([int((await rows(url, select(func.count()).select_from(t)))[0][0])
                  for t in (accounts, password_reset_tokens, organisations, titles, audit_log)])


async def test_every_operation_refuses_nul_ids_queries_and_huge_offsets(stack: Stack) -> None:
    settings = await stack.settings("registry")
    app = create_app(settings)
    async with served_app(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        assert await refused_inputs(client, app, all_roles(stack.issuer)) == []
        assert await missing_ids(client, app, all_roles(stack.issuer)) == []


async def test_public_endpoints_refuse_nul_in_forms_and_json_and_store_nothing(stack: Stack) -> None:
    settings = await stack.settings("registry")
    city = stack.issuer.headers(["city_officer"])
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        before = await _counts(settings.database_url)
        cases = [
            (f"{API}/oauth/token", {"data": {"grant_type": "password", "username": "a\x00b", "password": "x"}}, "body.username"),
            (f"{API}/oauth/token", {"data": {"grant_type": "client_credentials", "client_id": "\x00", "client_secret": "s"}},
             "body.client_id"),
            (f"{API}/oauth/revoke", {"data": {"token": "t\x00"}}, "body.token"),
            (f"{API}/password-reset/request", {"json": {"login": "someone\x00@example.cn"}}, "body.login"),
            (f"{API}/password-reset/confirm", {"json": {"token": "0123456789\x00", "new_password": "x"}}, "body.token"),
            (f"{API}/password-reset/confirm", {"content": b'{"token": "0123456789\\ud800", "new_password": "pw"}',
                                              "headers": {"Content-Type": "application/json"}}, "body.token"),
        ]
        for path, request, field in cases:
            response = await client.post(path, **request)  # type: ignore[arg-type]
            assert response.status_code == 422, (path, response.text)
            assert field in [e["field"] for e in response.json()["errors"]], (path, response.json())
        page = await client.get(f"{API}/password-reset", params={"token": "\x00"})
        assert page.status_code == 422 and page.json()["errors"][0]["field"] == "query.token"
        verify = await client.get(f"{API}/titles/verify/GZ%00")
        assert verify.status_code == 422 and verify.json()["errors"][0]["field"] == "path.number"
        # an officer's bodies too: a NUL, an integer beyond INTEGER, a date whose validity passes year 9999
        org = {"uscc": make_uscc(7), "name": "边界企业\x00", "kind": "enterprise"}
        assert (await client.post(f"{API}/organisations", json=org, headers=city)).status_code == 422
        huge = {**org, "name": "边界企业", "employees": 2**31}
        assert (await client.post(f"{API}/organisations", json=huge, headers=city)).json()["errors"][0]["field"] == "body.employees"
        grant = {"organisation_id": "00000000-0000-4000-8000-000000000000", "kind": "key_platform", "valid_from": "9999-06-01"}
        refused = await client.post(f"{API}/titles", json=grant, headers=city)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.valid_from"
        async def twenty_megabytes() -> AsyncIterator[bytes]:
            yield b'{"uscc": "' + make_uscc(8).encode() + b'", "kind": "enterprise", "name": "'
            for _ in range(320):
                yield b"a" * 65536
            yield b'"}'

        chunked = await client.post(f"{API}/organisations", content=twenty_megabytes(),
                                    headers={**city, "Content-Type": "application/json"}, timeout=60)
        assert chunked.status_code == 413 and chunked.json()["code"] == "body_too_large"
        assert await _counts(settings.database_url) == before


async def test_the_probes_see_every_operation(stack: Stack) -> None:
    from sihua_shared.testing.edge import operations

    found = operations(create_app(await stack.settings("registry")))
    with_ids = [op for op in found if op.path_params]
    assert len(found) > 70 and len(with_ids) > 45
    assert {"GET /api/registry/v1/titles/verify/{number}", "GET /api/registry/v1/publicity/{call_id}"} <= {str(op) for op in found}
