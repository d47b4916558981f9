"""RFC 9457 problem details with field paths and Chinese + English messages: the edge's one mapper.

Every error a service answers has ``type``, ``title``, ``status``, ``detail``, ``instance``, a stable
``code`` and ``errors: [{field, message_zh, message_en}]``. Domain and application code raise
``sihua_shared.errors.DomainError``; ``domain_problem`` turns it into this document, its status from its kind.
``ProblemError`` is for the edge itself (authentication, request headers, body limits).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import DomainError, Kind

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://sihua.gov.cn/problems/"


class FieldError(BaseModel):
    field: str
    message_zh: str
    message_en: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    errors: list[FieldError] = []


class ProblemError(Exception):
    """Raise from anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}


def field_error(field: str, zh: str, en: str) -> FieldError:
    return FieldError(field=field, message_zh=zh, message_en=en)


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

# Chinese messages for pydantic's error types; anything else falls back to a generic message.
_ZH = {
    "missing": "缺少必填字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为布尔值",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
    "datetime_parsing": "时间格式不正确",
    "json_invalid": "JSON 格式错误",
    "extra_forbidden": "不允许的字段",
    "too_short": "条目过少",
    "too_long": "条目过多",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "value_error": "取值无效",
    "missing_argument": "缺少必填字段",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validation_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    result = []
    for err in errors:
        kind = str(err.get("type", "value_error"))
        en = str(err.get("msg", "Invalid value"))
        zh = _ZH.get(kind, "取值无效")
        ctx = err.get("ctx") or {}
        if "message_zh" in ctx:  # the shared input types (inputs.py) carry their own Chinese message
            zh = str(ctx["message_zh"])
        elif "error" in ctx and kind == "value_error":
            zh = f"{zh}：{ctx['error']}"
        result.append(field_error(_field_path(tuple(err.get("loc", ()))), zh, en))
    return result


def problem_response(request: Request, problem: ProblemError) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + problem.code,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=str(request.url.path),
        code=problem.code,
        errors=problem.errors,
    ).model_dump()
    body.update(problem.extra)
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


STATUS: dict[Kind, int] = {
    Kind.INVALID: 422,
    Kind.BAD_REQUEST: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TRANSITION_NOT_ALLOWED: 409,
    Kind.PRECONDITION_FAILED: 412,
    Kind.TOO_LARGE: 413,
    Kind.UNSUPPORTED_MEDIA_TYPE: 415,
    Kind.TOO_MANY_REQUESTS: 429,
    Kind.UNAVAILABLE: 503,
}

# Members of the problem document itself; a detail of the same name never overwrites them.
_RESERVED = frozenset(Problem.model_fields)


def domain_problem(exc: DomainError, *, headers: dict[str, str] | None = None) -> ProblemError:
    """The problem document of a ``DomainError``: one ``errors`` entry per problem, the details as members."""
    extra = {k: v for k, v in exc.details.items() if k not in _RESERVED}
    if exc.kind is Kind.TOO_MANY_REQUESTS and "retry_after" in extra:  # a header, not a member
        headers = {"Retry-After": str(max(int(extra.pop("retry_after")), 1)), **(headers or {})}
    return ProblemError(
        STATUS[exc.kind],
        exc.code,
        exc.detail,
        errors=[field_error(p.field, p.message_zh, p.message_en) for p in exc.problems],
        headers=headers,
        extra=extra,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(request, exc)

    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(request, domain_problem(exc))

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(list(exc.errors()))
        return problem_response(
            request,
            ProblemError(422, "validation_failed", "The request is not valid; see errors.", errors=errors),
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 413: "body_too_large"}.get(
            exc.status_code, "http_error"
        )
        zh = {404: "资源不存在", 405: "不支持该请求方法", 401: "未登录或凭证无效", 413: "请求内容超过上限"}.get(
            exc.status_code, "请求错误"
        )
        detail = str(exc.detail)
        return problem_response(
            request,
            ProblemError(
                exc.status_code,
                code,
                detail,
                errors=[field_error("body" if exc.status_code == 413 else "request", zh, detail)],
                headers=dict(exc.headers or {}),
            ),
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    # Unexpected exceptions are answered by http.ServerErrorMiddleware, which does not re-raise them: an
    # ``Exception`` handler here would be called by Starlette's outermost middleware, which re-raises and so
    # makes the server close the connection.


def server_error_problem() -> ProblemError:
    return ProblemError(
        500,
        "internal_error",
        "An unexpected error occurred; it has been logged.",
        errors=[field_error("request", "服务器内部错误，已记录", "Internal error; logged")],
    )

