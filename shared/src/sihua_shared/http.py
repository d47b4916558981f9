"""The HTTP conventions every service shares (handbook §6): request ids, correlation, body limits,
pagination, ``Idempotency-Key``, ``ETag``/``If-Match``."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from contextvars import ContextVar
from itertools import islice
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .inputs import BIGINT_MAX, MAX_JSON_DEPTH, InputProblem, json_problems, non_finite, text_problem
from .logging import causation_id_var, correlation_id_var, get_logger, request_id_var
from .problems import ProblemError, field_error, problem_response, server_error_problem
from .storage import files_of_failed_transactions_removed
from .tables import idempotency_keys

T = TypeVar("T")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
log = get_logger("sihua.http")


class Page(BaseModel, Generic[T]):
    """A page of a list: ``{items, total, limit, offset}``."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


async def page_params(
    limit: int = Query(50, ge=1, le=500, description="每页条数 / page size"),
    offset: int = Query(0, ge=0, le=BIGINT_MAX, description="起始位置 / offset"),
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
        incoming = parent = ""
        for name, value in scope["headers"]:  # only the two headers read here are decoded
            lowered = name.lower()
            if lowered == b"x-request-id":
                incoming = value.decode("latin-1")
            elif lowered == b"traceparent":
                parent = value.decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else str(uuid.uuid4())
        trace = _TRACEPARENT.match(parent)
        correlation = trace.group(1) if trace else request_id
        tokens = (
            request_id_var.set(request_id),
            correlation_id_var.set(correlation),
            causation_id_var.set(request_id),
        )
        traceparent = parent if trace else None

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


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a streamed (chunked) body passes its limit. An ``HTTPException``, so that
    FastAPI's body parsing passes it on (anything else becomes a vague 400) and the handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")
        self.limit = limit


def too_large_problem(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "body_too_large",
        f"the request body exceeds {limit} bytes",
        errors=[field_error("body", f"请求内容超过 {limit} 字节上限", f"request body exceeds the {limit}-byte limit")],
    )


def _input_problem(problems: list[InputProblem]) -> ProblemError:
    return ProblemError(
        422,
        "validation_failed",
        "The request is not valid; see errors.",
        errors=[field_error(p.field, p.message_zh, p.message_en) for p in problems],
    )


async def _answer(scope: Scope, receive: Receive, send: Send, problem: ProblemError) -> None:
    await problem_response(Request(scope, receive), problem)(scope, receive, send)


_JSON_MEDIA = re.compile(r"^application/(?:[\w.+-]*\+)?json$")
_FORM_MEDIA = "application/x-www-form-urlencoded"
_MAX_REPORTED = 20


def _text_pairs(encoded: str, prefix: str) -> list[InputProblem]:
    """NUL characters and lone surrogates in a query string or form body (percent-decoded as Starlette does)."""
    found = []
    for key, value in parse_qsl(encoded, keep_blank_values=True):
        for text in (key, value):
            if (problem := text_problem(text)) is not None:
                found.append(InputProblem(f"{prefix}.{key.replace(chr(0), '?')}", *problem))
                break
    return found[:_MAX_REPORTED]


def json_body_problems(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> list[InputProblem]:
    """What makes a JSON body unusable before any model sees it, each with its field path. A body that is not
    JSON at all is left to FastAPI, which names the position."""
    try:
        document = json.loads(body, parse_constant=non_finite)
    except json.JSONDecodeError:
        return []
    except RecursionError:
        return [InputProblem("body", "json_too_deep", f"嵌套层级超过 {max_depth} 层", f"nested deeper than {max_depth} levels")]
    except ValueError as exc:  # not UTF-8, or an integer of thousands of digits
        return [InputProblem("body", "json_invalid", "请求内容不是有效的 UTF-8 JSON", f"the body is not valid JSON: {exc}")]
    return list(islice(json_problems(document, "body", max_depth=max_depth), _MAX_REPORTED))


class BodyGuardMiddleware:
    """Every request body and query string is checked before a route sees it (handbook §6):

    - a body above its limit is 413, whether it declares its length or is chunked (multipart uploads have their
      own, larger limit);
    - JSON bodies and forms are read (within the limit) and checked: no NUL or lone surrogate in any text or key,
      finite numbers only, integers JavaScript keeps, bounded nesting; query strings too. Each problem is a 422
      naming its field, and the route is never called.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.max_upload if media.startswith("multipart/") else self.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _answer(scope, receive, send, too_large_problem(limit))
            return
        problems = _text_pairs(scope.get("query_string", b"").decode("latin-1"), "query")
        if problems:
            await _answer(scope, receive, send, _input_problem(problems))
            return
        if _JSON_MEDIA.match(media) or media == _FORM_MEDIA:
            body = await _read_body(receive, limit)
            if body is None:
                await _answer(scope, receive, send, too_large_problem(limit))
                return
            if body:
                problems = (
                    _text_pairs(body.decode("latin-1"), "body")
                    if media == _FORM_MEDIA
                    else json_body_problems(body, max_depth=self.max_depth)
                )
                if problems:
                    await _answer(scope, receive, send, _input_problem(problems))
                    return
            receive = _replay(body, receive)
        else:
            receive = _limited(receive, limit)
        await self.app(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it passes ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the route sees what came
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: a disconnect, as the server reports it
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return limited


class ServerErrorMiddleware:
    """An unexpected exception is logged with the request's correlation id and answered as a 500 problem, without
    a traceback, and is not raised further: re-raised, the server would log it again and close the connection,
    failing the client's next keep-alive request. It stays a 500; nothing here turns it into a 4xx.

    An exception after the answer was sent in full (a background task) is only logged; one in the middle of an
    answer can only cut it off, so it is raised for the server to close the connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = complete = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, complete
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("http.server_error", method=scope.get("method"), path=scope.get("path"), answered=complete)
            if complete:
                return
            if started:
                raise
            await _answer(scope, receive, send, server_error_problem())


# ---- ETag / If-Match -------------------------------------------------------------------------


class _RenderedJSON(JSONResponse):
    """A JSON response whose body is already JSON bytes."""

    def render(self, content: Any) -> bytes:
        assert isinstance(content, bytes)
        return content


def model_json(model: BaseModel, status: int = 200, **headers: str) -> JSONResponse:
    """A model validated once, serialised straight to JSON bytes by pydantic (no dict, no second encoder)."""
    return _RenderedJSON(model.model_dump_json().encode(), status_code=status, headers=headers)


def etag_for(version: int) -> str:
    return f'"{version}"'


def versioned_json(model: type[BaseModel], view: Any, status: int = 200, **headers: str) -> JSONResponse:
    """A resource validated by its documented model (dates ISO 8601, exact decimals as strings), with its
    version as the ``ETag`` that state transitions send back in ``If-Match``."""
    if "version" in view:
        headers = {"ETag": etag_for(int(view["version"])), **headers}
    return model_json(model.model_validate(dict(view)), status, **headers)


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
        async with self._factory() as session, files_of_failed_transactions_removed(session), session.begin():
            if not await self._claim(session, scope, key, digest):
                row = (
                    await session.execute(
                        select(idempotency_keys).where(
                            idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
                        )
                    )
                ).one()
                return _replayed_answer(row, digest)
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


def _replayed_answer(row: Any, digest: str) -> Response:
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
