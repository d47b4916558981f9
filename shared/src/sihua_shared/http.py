"""The HTTP conventions every service shares (handbook §6): request ids, correlation, body limits,
pagination, ``Idempotency-Key``, ``ETag``/``If-Match``."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logging import causation_id_var, correlation_id_var, request_id_var
from .problems import ProblemError, field_error
from .tables import idempotency_keys

T = TypeVar("T")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Page(BaseModel, Generic[T]):
    """A page of a list: ``{items, total, limit, offset}``."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: int = Query(50, ge=1, le=500, description="每页条数 / page size"),
    offset: int = Query(0, ge=0, description="起始位置 / offset"),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class RequestContextMiddleware:
    """Sets ``X-Request-ID`` on every response and carries correlation ids into logs and events.

    The correlation id is the W3C trace id when a ``traceparent`` arrives, else the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else str(uuid.uuid4())
        trace = _TRACEPARENT.match(headers.get("traceparent", ""))
        correlation = trace.group(1) if trace else request_id
        tokens = (
            request_id_var.set(request_id),
            correlation_id_var.set(correlation),
            causation_id_var.set(request_id),
        )
        traceparent = headers.get("traceparent") if trace else None

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-request-id", request_id.encode())]
                if traceparent:
                    extra.append((b"traceparent", traceparent.encode()))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(tokens[0])
            correlation_id_var.reset(tokens[1])
            causation_id_var.reset(tokens[2])


class BodyLimitMiddleware:
    """Refuses bodies above the limit (multipart uploads have their own, larger limit) with 413."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        limit = self.max_upload if headers.get("content-type", "").startswith("multipart/") else self.max_body
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    body = {
        "type": "https://sihua.gov.cn/problems/body_too_large",
        "title": "Content Too Large",
        "status": 413,
        "detail": f"the request body exceeds {limit} bytes",
        "instance": scope.get("path", ""),
        "code": "body_too_large",
        "errors": [
            {
                "field": "body",
                "message_zh": f"请求内容超过 {limit} 字节上限",
                "message_en": f"request body exceeds the {limit}-byte limit",
            }
        ],
    }
    response = JSONResponse(body, status_code=413, media_type="application/problem+json")
    await response(scope, receive, send)


# ---- ETag / If-Match -------------------------------------------------------------------------


def etag_for(version: int) -> str:
    return f'"{version}"'


def versioned_json(model: type[BaseModel], view: Any, status: int = 200, **headers: str) -> JSONResponse:
    """A resource validated by its documented model (dates ISO 8601, exact decimals as strings), with its
    version as the ``ETag`` that state transitions send back in ``If-Match``."""
    body = model.model_validate(dict(view)).model_dump(mode="json")
    if "version" in view:
        headers = {"ETag": etag_for(int(view["version"])), **headers}
    return JSONResponse(body, status_code=status, headers=headers)


def check_if_match(request: Request, current_version: int, *, required: bool = True) -> None:
    """State transitions carry ``If-Match`` with the version they saw: 428 when missing, 412 when stale."""
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise ProblemError(
                428,
                "if_match_required",
                "send If-Match with the resource's ETag",
                errors=[field_error("header.If-Match", "缺少 If-Match 版本标记", "If-Match header is required")],
            )
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" in wanted or etag_for(current_version) in wanted:
        return
    raise ProblemError(
        412,
        "stale_version",
        f"the resource is at version {current_version}; reload it and try again",
        errors=[
            field_error(
                "header.If-Match",
                f"资源已被修改（当前版本 {current_version}），请刷新后重试",
                f"stale version; the resource is at version {current_version}",
            )
        ],
        headers={"ETag": etag_for(current_version)},
    )


# ---- Idempotency-Key -------------------------------------------------------------------------


async def _request_bytes(request: Request) -> bytes:
    """The body, or — when FastAPI has already parsed it as a form (multipart uploads consume the stream) — the
    parsed fields and a digest of each file, in order."""
    try:
        return await request.body()
    except RuntimeError:
        form = await request.form()
    parts: list[bytes] = []
    for key, value in form.multi_items():
        if isinstance(value, str):
            parts.append(f"{key}={value}".encode())
            continue
        await value.seek(0)
        data = await value.read()
        await value.seek(0)
        parts.append(f"{key}=file:{value.filename or ''}:".encode() + hashlib.sha256(data).hexdigest().encode())
    return b"\n".join(parts)


# The session of the transaction that holds an Idempotency-Key, while its request's use case runs: the route's
# unit of work joins it (``Runtime.uow``), so that the key, the state change and the stored answer commit
# together or not at all.
_keyed_session: ContextVar[AsyncSession | None] = ContextVar("sihua_keyed_session", default=None)


def keyed_session() -> AsyncSession | None:
    """The transaction holding the current request's Idempotency-Key, if any."""
    return _keyed_session.get()


class Idempotency:
    """Replays the stored answer of a creating POST sent again with the same ``Idempotency-Key``.

    The key is scoped to the caller (account id); the same key with a different body is refused. The key is
    recorded in the use case's own transaction, under a transaction-scoped advisory lock: a request that dies
    half-way (a crash, a lost connection) takes its key with it, so a retry runs once, never 409 forever; a
    retry while the first request still runs gets 409 at once.
    """

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory

    @staticmethod
    def _hash(method: str, path: str, body: bytes) -> str:
        return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()

    @staticmethod
    def _key(request: Request) -> str | None:
        key = request.headers.get("idempotency-key")
        if key is not None and not _SAFE_ID.match(key):
            raise ProblemError(
                400,
                "bad_idempotency_key",
                "Idempotency-Key must be 1-100 characters of letters, digits and ._:-",
                errors=[field_error("header.Idempotency-Key", "幂等键格式不正确", "malformed Idempotency-Key")],
            )
        return key

    @staticmethod
    async def _claim(session: AsyncSession, scope: str, key: str, digest: str) -> bool:
        """Take the key in this transaction; False when an earlier request with it has finished."""
        lock = func.pg_try_advisory_xact_lock(func.hashtextextended(f"idempotency\n{scope}\n{key}", 0))
        if not (await session.execute(select(lock))).scalar_one():
            raise ProblemError(
                409,
                "request_in_progress",
                "a request with this Idempotency-Key is still being processed",
                errors=[field_error("header.Idempotency-Key", "相同请求正在处理中", "the same request is in progress")],
            )
        statement = pg_insert(idempotency_keys).values(scope=scope, key=key, request_hash=digest)
        claimed = await session.execute(
            statement.on_conflict_do_update(
                index_elements=["scope", "key"],
                # a committed key without an answer was left by an earlier release, which recorded the key in
                # a transaction of its own: nobody holds it (the lock is ours), so it is free again
                set_={"request_hash": statement.excluded.request_hash, "created_at": func.now()},
                where=idempotency_keys.c.status_code.is_(None),
            ).returning(idempotency_keys.c.key)
        )
        return claimed.first() is not None

    async def run(
        self,
        request: Request,
        scope: str,
        create: Any,
        *,
        status_code: int = 201,
    ) -> Response:
        """Run ``create()`` (an awaitable factory returning ``(body, headers)``) at most once per key."""
        key = self._key(request)
        if key is None:
            body, headers = await create()
            return JSONResponse(body, status_code=status_code, headers=headers)
        digest = self._hash(request.method, request.url.path, await _request_bytes(request))
        async with self._factory() as session, session.begin():
            if not await self._claim(session, scope, key, digest):
                row = (
                    await session.execute(
                        select(idempotency_keys).where(
                            idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
                        )
                    )
                ).one()
                return _replay(row, digest)
            token = _keyed_session.set(session)
            try:
                body, headers = await create()
            finally:
                _keyed_session.reset(token)
            await session.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
                .values(
                    status_code=status_code,
                    response_body=json.dumps(body, ensure_ascii=False, default=str),
                    response_headers=headers,
                )
            )
        return JSONResponse(body, status_code=status_code, headers=headers)


def _replay(row: Any, digest: str) -> Response:
    if row.request_hash != digest:
        raise ProblemError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
            errors=[
                field_error("header.Idempotency-Key", "该幂等键已用于另一请求", "key reused with a different request")
            ],
        )
    headers = dict(row.response_headers or {})
    headers["Idempotent-Replayed"] = "true"
    return Response(
        content=row.response_body or "",
        status_code=row.status_code,
        headers=headers,
        media_type="application/json",
    )
