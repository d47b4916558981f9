"""The edge's input guard and server-error handling, on an app built by ``build_app`` and served by a real
uvicorn, so that chunked bodies, percent-encoded paths and keep-alive behave as they do in production."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import h11
import httpx
import pytest
from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.app import build_app
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.inputs import BigNumber, BusinessDate, Count, JsonObject, Text, Uuid
from sihua_shared.service import ServiceSpec
from sihua_shared.testing.harness import Stack, served_app

router = APIRouter()
seen: list[Any] = []  # what reached a route: a refused input must leave this empty


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=50)
    content: JsonObject = Field(default_factory=dict)
    count: Count = 0
    starts_on: BusinessDate | None = None
    seed: BigNumber | None = None


class ThingOut(BaseModel):
    name: str
    seed: BigNumber | None


@router.post("/things", response_model=ThingOut)
async def create(body: ThingIn) -> ThingOut:
    seen.append(body)
    return ThingOut(name=body.name, seed=body.seed)


@router.get("/things/{thing_id}", response_model=Page[str])
async def read(thing_id: Uuid, q: Text | None = None, page: PageParams = Depends(page_params)) -> Page[str]:
    seen.append(thing_id)
    return Page(items=[thing_id], total=1, limit=page.limit, offset=page.offset)


@router.post("/login")
async def login(username: Text = Form(max_length=50)) -> dict[str, str]:
    seen.append(username)
    return {"username": username}


@router.post("/upload")
async def upload(file: UploadFile = File(...)) -> dict[str, int]:
    data = await file.read()
    seen.append(len(data))
    return {"size": len(data)}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("an unexpected failure")


def _fail_later() -> None:
    raise RuntimeError("a failing background task")


@router.post("/later", status_code=202)
async def later(background: BackgroundTasks) -> dict[str, str]:
    background.add_task(_fail_later)
    return {"status": "accepted"}


SPEC = ServiceSpec(name="catalog", title="edge test", description="input guard test", routers=[router])
BASE = "/api/catalog/v1"
ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


@pytest.fixture
async def base(stack: Stack) -> AsyncIterator[str]:
    settings = await stack.settings("catalog", max_body_bytes=100_000, max_upload_bytes=200_000, log_level="ERROR")
    seen.clear()
    async with served_app(build_app(SPEC, settings)) as url:
        yield url


def _problem(response: httpx.Response, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    fields = [e["field"] for e in problem["errors"]]
    assert field in fields, fields
    assert all(e["message_zh"] and e["message_en"] for e in problem["errors"])
    return problem


GOOD = {"name": "甲", "content": {"a": [1, 2.5, "三"]}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "name": "a\x00b"}, "body.name"),
        ({**GOOD, "content": {"deep": {"k\x00": 1}}}, "body.content.deep.k\\u0000"),
        ({**GOOD, "content": {"list": ["ok", "\ud800"]}}, "body.content.list.1"),
        ({**GOOD, "count": 2**31}, "body.count"),
        ({**GOOD, "count": 2**63}, "body.count"),
        ({**GOOD, "starts_on": "9999-12-31"}, "body.starts_on"),
        ({**GOOD, "content": {"n": 2**60}}, "body.content.n"),
        ({**GOOD, "seed": str(2**64)}, "body.seed"),
    ],
)
async def test_json_values_that_cannot_be_stored_are_field_errors(base: str, body: dict[str, Any], field: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(f"{BASE}/things", content=json.dumps(body), headers={"Content-Type": "application/json"})
    _problem(response, 422, field)
    assert seen == []


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name": "a", "content": {"x": NaN}}', "body.content.x"),
        (b'{"name": "a", "content": {"x": [Infinity]}}', "body.content.x.0"),
        (b'{"name": "a", "content": {"x": 1e400}}', "body.content.x"),
        (b'{"name": "a", "content": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}", "body.content" + ".a" * 31),
        (b"[" * 100_000 + b"]" * 100_000, "body"),
        (b'{"name": "\xff"}', "body"),
        (b'{"name": "a", "count": ' + b"9" * 5000 + b"}", "body"),
    ],
)
async def test_numbers_nesting_and_encoding_beyond_json(base: str, raw: bytes, field: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(f"{BASE}/things", content=raw, headers={"Content-Type": "application/json"})
    _problem(response, 422 if len(raw) <= 100_000 else 413, field if len(raw) <= 100_000 else "body")
    assert seen == []


async def test_deep_nesting_within_the_limit_names_where_it_is_too_deep(base: str) -> None:
    raw = b"[" * 20_000 + b"]" * 20_000
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(f"{BASE}/things", content=raw, headers={"Content-Type": "application/json"})
    problem = _problem(response, 422, "body")
    assert problem["errors"][0]["message_en"].startswith("nested deeper")


async def test_ids_queries_and_pages(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get(f"{BASE}/things/{ID.upper()}")).json()["items"] == [ID]
        _problem(await client.get(f"{BASE}/things/%00"), 422, "path.thing_id")
        _problem(await client.get(f"{BASE}/things/not-a-uuid"), 422, "path.thing_id")
        _problem(await client.get(f"{BASE}/things/{ID}?q=%00"), 422, "query.q")
        _problem(await client.get(f"{BASE}/things/{ID}?other=a%00"), 422, "query.other")
        _problem(await client.get(f"{BASE}/things/{ID}", params={"offset": str(2**64)}), 422, "query.offset")
        _problem(await client.get(f"{BASE}/things/{ID}", params={"offset": str(2**63)}), 422, "query.offset")
        assert (await client.get(f"{BASE}/things/{ID}", params={"offset": str(2**63 - 1)})).status_code == 200
    assert seen == [ID, ID]


async def test_forms(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        _problem(await client.post(f"{BASE}/login", data={"username": "a\x00"}), 422, "body.username")
        assert (await client.post(f"{BASE}/login", data={"username": "张三"})).json() == {"username": "张三"}
    assert seen == ["张三"]


async def _chunks(total: int, size: int = 65536) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


async def test_bodies_above_the_limit_are_413_even_when_chunked(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        declared = await client.post(f"{BASE}/things", content=b" " * 200_000, headers={"Content-Type": "application/json"})
        _problem(declared, 413, "body")
        chunked = await client.post(f"{BASE}/things", content=_chunks(20 * 1_048_576), headers={"Content-Type": "application/json"})
        assert "content-length" not in chunked.request.headers
        assert _problem(chunked, 413, "body")["code"] == "body_too_large"

        async def multipart(total: int) -> AsyncIterator[bytes]:
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
            async for chunk in _chunks(total):
                yield chunk
            yield b"\r\n--b--\r\n"

        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        upload = await client.post(f"{BASE}/upload", content=multipart(20 * 1_048_576), headers=headers)
        assert _problem(upload, 413, "body")["code"] == "body_too_large"
        small = await client.post(f"{BASE}/upload", content=multipart(1000), headers=headers)
        assert small.json() == {"size": 1000}
    assert seen == [1000]


async def test_big_numbers_are_strings_in_responses(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        as_int = await client.post(f"{BASE}/things", json={"name": "a", "seed": 2**40})
        as_text = await client.post(f"{BASE}/things", json={"name": "a", "seed": str(2**62)})
        schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["ThingOut"]
    assert as_int.json() == {"name": "a", "seed": str(2**40)}
    assert as_text.json() == {"name": "a", "seed": str(2**62)}
    assert schema["properties"]["seed"]["anyOf"][0]["type"] == "string"


async def _keep_alive(url: str, requests: list[tuple[str, str, str]]) -> list[tuple[int, bytes]]:
    """Send the requests one after the other on one TCP connection; the answers, each read in full."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    connection = h11.Connection(h11.CLIENT)
    answers = []
    try:
        for method, path, request_id in requests:
            headers = [("Host", parts.netloc), ("Content-Length", "0"), ("X-Request-ID", request_id)]
            writer.write(connection.send(h11.Request(method=method, target=path, headers=headers)) or b"")
            writer.write(connection.send(h11.EndOfMessage()) or b"")
            await writer.drain()
            status, body = 0, b""
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    data = await asyncio.wait_for(reader.read(65536), 10)
                    connection.receive_data(data)  # b"" when the server closed the connection
                    continue
                if isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise AssertionError("the server closed the connection")
            answers.append((status, body))
            connection.start_next_cycle()  # fails unless both sides keep the connection alive
    finally:
        writer.close()
    return answers


async def test_a_server_error_is_logged_answered_and_keeps_the_connection(
    base: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = await _keep_alive(
        base,
        [("GET", f"{BASE}/boom", "boom-1"), ("GET", f"{BASE}/things/{ID}", "next-1"), ("POST", f"{BASE}/later", "later-1"),
         ("GET", f"{BASE}/things/{ID}", "next-2")],
    )
    assert [status for status, _ in answers] == [500, 200, 202, 200]
    problem = json.loads(answers[0][1])
    assert problem["code"] == "internal_error" and problem["status"] == 500
    assert "Traceback" not in answers[0][1].decode() and "an unexpected failure" not in answers[0][1].decode()
    errors: dict[str, Any] = {}
    for _ in range(100):  # the background task fails after its response went out: wait for its log line
        logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        errors |= {entry.get("correlation_id"): entry for entry in logged if entry.get("event") == "http.server_error"}
        if "later-1" in errors:
            break
        await asyncio.sleep(0.05)
    assert "RuntimeError: an unexpected failure" in errors["boom-1"]["exception"]
    assert "a failing background task" in errors["later-1"]["exception"] and errors["later-1"]["answered"] is True
