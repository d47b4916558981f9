"""HTTP conventions on a small app built with the shared pieces: If-Match, pagination, traceparent, CORS."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

from sihua_shared.http import Page, PageParams, RequestContextMiddleware, check_if_match, page_params
from sihua_shared.logging import correlation_id_var
from sihua_shared.problems import install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["https://sihua.example.gov.cn"], allow_methods=["*"], allow_headers=["*"])
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)

    @app.post("/things/{version}/approve")
    async def approve(version: int, request: Request) -> dict[str, str | None]:
        check_if_match(request, version)
        return {"correlation": correlation_id_var.get()}

    @app.get("/things")
    async def things(page: PageParams = Depends(page_params)) -> Page[int]:
        items = list(range(1000))
        return Page(items=items[page.offset : page.offset + page.limit], total=len(items), limit=page.limit, offset=page.offset)

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t")


async def test_if_match(client: httpx.AsyncClient) -> None:
    missing = await client.post("/things/3/approve")
    assert missing.status_code == 428 and missing.json()["errors"][0]["field"] == "header.If-Match"
    stale = await client.post("/things/3/approve", headers={"If-Match": '"2"'})
    assert stale.status_code == 412 and stale.headers["etag"] == '"3"'
    assert (await client.post("/things/3/approve", headers={"If-Match": '"3"'})).status_code == 200


async def test_pagination_shape_and_bounds(client: httpx.AsyncClient) -> None:
    page = (await client.get("/things", params={"limit": 10, "offset": 995})).json()
    assert page == {"items": [995, 996, 997, 998, 999], "total": 1000, "limit": 10, "offset": 995}
    too_big = await client.get("/things", params={"limit": 100000})
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "query.limit"


async def test_traceparent_becomes_the_correlation_id(client: httpx.AsyncClient) -> None:
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await client.post("/things/1/approve", headers={"If-Match": "*", "traceparent": trace})
    assert response.json()["correlation"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert response.headers["traceparent"] == trace
    odd = await client.post("/things/1/approve", headers={"If-Match": "*", "X-Request-ID": "bad id with spaces"})
    assert odd.headers["x-request-id"] != "bad id with spaces" and len(odd.headers["x-request-id"]) == 36


async def test_cors_allows_only_configured_origins(client: httpx.AsyncClient) -> None:
    allowed = await client.options(
        "/things", headers={"Origin": "https://sihua.example.gov.cn", "Access-Control-Request-Method": "GET"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://sihua.example.gov.cn"
    other = await client.get("/things", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
