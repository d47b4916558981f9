"""What every operation declares in OpenAPI (handbook §6), derived from the route itself rather than written per route.

For each operation the facts come from its dependency tree and from the shared HTTP conventions it calls:

- it authenticates (``current_actor`` in its dependencies): 401, 403, and the roles that ``require_roles`` admits;
- it has path parameters: 404; any parameter or a body: 422; a body: 413;
- it calls ``check_if_match``: the ``If-Match`` header, 412 and 428;
- it runs through ``Idempotency.run``: the ``Idempotency-Key`` header, 400 (malformed key), 409 (in progress),
  422 (key reused);
- it changes state (any method but GET): 409;
- it answers with ``etag_for`` / ``versioned_json``: the ``ETag`` response header.

Every one of those answers is a problem document, declared with the one shared ``ProblemDetails`` schema; statuses
a route declares itself in ``responses=`` (a throttled 429, say) get that schema too. Codes the jurisdiction
defines (districts, pilot sectors, platform categories) are marked by the annotated types in ``jurisdiction`` and
become enumerations of the configured jurisdiction when the document is built.

The same facts drive the schemathesis run in the test suite (which roles to call each operation with).
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

from fastapi import FastAPI, UploadFile
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from .auth import ROLES, current_actor
from .jurisdiction import CODE_LIST_MARK, Jurisdiction
from .problems import PROBLEM_JSON, FieldError, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"

_WHY = {
    400: "请求格式错误 / malformed request (e.g. an Idempotency-Key that is not 1-100 of letters, digits and ._:-)",
    401: "未登录或凭证无效 / no valid bearer token",
    403: "无权执行 / the caller's role or ownership does not allow this",
    404: "资源不存在或不可见 / no such resource, or not visible to the caller",
    409: "状态冲突 / the resource's state does not allow this (the allowed transitions are named), or the same "
    "Idempotency-Key is still being processed",
    412: "版本已过期 / If-Match names an old version; the current ETag is returned",
    413: "请求内容过大 / the body exceeds the size limit",
    422: "输入无效 / a field is not valid; `errors` names each field path",
    428: "缺少 If-Match / send If-Match with the resource's ETag",
    429: "请求过于频繁 / too many requests; try again later",
    503: "暂不可用 / a service this needs is not configured or not reachable",
}

_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "资源的 ETag（版本号）/ the ETag of the version this change is based on. Without it the change is "
    "refused with 428 where the operation requires it; a stale one answers 412 with the current ETag. `*` matches any.",
    "schema": {"type": "string", "maxLength": 200, "examples": ['"1"']},
}
_ETAG = {
    "description": "资源版本 / the resource's version: send it back in If-Match to change the resource",
    "schema": {"type": "string"},
}
_REPLAYED = {"description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
             "schema": {"type": "string", "enum": ["true"]}}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "幂等键 / sent again with the same key and body, the stored answer is replayed "
    "(`Idempotent-Replayed: true`); the same key with another body is 422.",
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
}


@dataclass(frozen=True)
class OperationFacts:
    """What an operation needs and can answer, read off its route."""

    method: str
    path: str
    authenticated: bool
    roles: frozenset[str]  # the roles admitted; every role when the route only authenticates
    if_match: bool
    idempotency_key: bool
    etag: bool  # answers with the resource's version as ETag (etag_for / versioned_json)
    path_params: tuple[str, ...]
    has_params: bool
    has_body: bool
    typed_body: bool  # a file upload, or a body the route reads itself (declared in openapi_extra): 415 on a wrong type

    @property
    def problem_statuses(self) -> list[int]:
        statuses: set[int] = set()
        if self.authenticated:
            statuses |= {401, 403}
        if self.path_params:
            statuses.add(404)
        if self.has_params or self.has_body or self.if_match or self.idempotency_key:
            statuses.add(422)
        if self.has_body:
            statuses |= {404, 413}  # a body may name another resource that does not exist
        if self.typed_body:
            statuses.add(415)
        if self.if_match:
            statuses |= {412, 428}
        if self.idempotency_key:
            statuses |= {400, 409}
        if self.method != "GET":
            statuses.add(409)
        return sorted(statuses)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _names(code: types.CodeType) -> set[str]:
    """Every global and attribute name a function's code uses, its nested functions and lambdas included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _used_names(function: Callable[..., Any], seen: set[Any] | None = None) -> set[str]:
    """The names an endpoint uses, following the functions of its own service that it calls (a route's shared
    ``_step`` helper that checks ``If-Match``, say)."""
    seen = seen if seen is not None else set()
    code = getattr(function, "__code__", None)
    if code is None or code in seen:
        return set()
    seen.add(code)
    names = _names(code)
    package = function.__module__.split(".")[0]
    for name in list(names):
        target = getattr(function, "__globals__", {}).get(name)
        if not inspect.isfunction(target):
            continue
        names.add(target.__name__)  # a convention imported under another name (`answer = versioned_json`)
        if target.__module__.split(".")[0] == package:
            names |= _used_names(target, seen)
    return names


def _mentions(annotation: Any, cls: type) -> bool:
    """Whether a parameter's type is ``cls`` or contains it (``UploadFile | None``, ``list[UploadFile]``)."""
    if inspect.isclass(annotation) and issubclass(annotation, cls):
        return True
    return any(_mentions(arg, cls) for arg in get_args(annotation))


def _facts(method: str, path: str, dependant: Dependant, route: APIRoute) -> OperationFacts:
    calls = list(_calls(dependant))
    gates = [getattr(call, "admitted_roles", None) for call in calls]
    admitted = [frozenset(g) for g in gates if g is not None]
    authenticated = current_actor in calls
    roles = frozenset.intersection(*admitted) if admitted else frozenset(ROLES) if authenticated else frozenset()
    # The conventions are called from the endpoint's body (check_if_match with the version it loaded; the
    # idempotency runner around the creating use case), so they are read off the code it runs.
    used = _used_names(route.endpoint)
    raw_body = "requestBody" in (route.openapi_extra or {})
    uploads = any(_mentions(p.field_info.annotation, UploadFile) for p in dependant.body_params)

    def all_params(d: Dependant) -> Iterator[Any]:
        yield from d.path_params + d.query_params + d.header_params + d.cookie_params + d.body_params
        for sub in d.dependencies:
            yield from all_params(sub)

    return OperationFacts(
        method=method,
        path=path,
        authenticated=authenticated,
        roles=roles,
        if_match="check_if_match" in used,
        idempotency_key="idempotency" in used,
        etag=bool({"etag_for", "versioned_json"} & used),
        path_params=tuple(p.name for p in dependant.path_params),
        has_params=any(True for _ in all_params(dependant)),
        has_body=bool(dependant.body_params) or raw_body,
        typed_body=uploads or raw_body,
    )


def operation_facts(app: FastAPI) -> dict[tuple[str, str], OperationFacts]:
    """The facts of every documented operation, keyed by (method, path) as OpenAPI names them."""
    found: dict[tuple[str, str], OperationFacts] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        path = str(context.path_format)
        for method in sorted(context.methods or ()):
            if method == "HEAD":
                continue
            found[(method, path)] = _facts(method, path, context.dependant, route)
    return found


def _problem_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    """An error answer: always a problem document; a route's own model for it (an OAuth error, say) is kept."""
    description = (declared or {}).get("description")
    if description in (None, "", "Validation Error"):
        description = _WHY.get(status, "problem details")
    content = (declared or {}).get("content") or {}
    schema = next((media.get("schema") for media in content.values() if media.get("schema")), PROBLEM_REF)
    if schema == {"$ref": "#/components/schemas/HTTPValidationError"}:  # FastAPI's own 422, which we answer as a problem
        schema = PROBLEM_REF
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


def _mark_codes(node: Any, lists: dict[str, list[str]]) -> None:
    """Replace the jurisdiction marks left by the annotated code types with the configured codes."""
    if isinstance(node, dict):
        kind = node.pop(CODE_LIST_MARK, None)
        if kind is not None:
            # On an optional query parameter the mark sits beside `anyOf`: the codes belong to its string branch.
            target = next((o for o in node.get("anyOf", []) if o.get("type") == "string"), node)
            target["enum"] = lists[kind]
            target.pop("pattern", None)
        for value in node.values():
            _mark_codes(value, lists)
    elif isinstance(node, list):
        for value in node:
            _mark_codes(value, lists)


def declare_conventions(document: dict[str, Any], app: FastAPI, jurisdiction: Jurisdiction) -> dict[str, Any]:
    """Add the headers, problem responses and jurisdiction enumerations to a generated OpenAPI document."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    problem.pop("$defs", None)
    problem["title"] = "ProblemDetails"
    problem["description"] = "RFC 9457 problem details, with a stable `code` and the field errors in zh and en."
    problem["additionalProperties"] = True  # a 409 names `state` and `allowed`
    components["ProblemDetails"] = problem
    components["FieldError"] = FieldError.model_json_schema()
    known = operation_facts(app)
    for method, path in [(m, p) for p, item in document.get("paths", {}).items() for m in item]:
        facts = known.get((method.upper(), path))
        operation = document["paths"][path][method]
        if facts is None:
            continue
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for code in facts.problem_statuses:
            responses[str(code)] = _problem_response(code, responses.get(str(code)))
        for key, declared in list(responses.items()):
            if key.isdigit() and int(key) >= 400 and PROBLEM_JSON not in declared.get("content", {}):
                responses[key] = _problem_response(int(key), declared)
        for key, answer in responses.items():
            if key.startswith("2") and (facts.etag or facts.idempotency_key):
                headers = answer.setdefault("headers", {})
                if facts.etag:
                    headers.setdefault("ETag", _ETAG)
                if facts.idempotency_key:
                    headers.setdefault("Idempotent-Replayed", _REPLAYED)
        parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
        present = {p.get("name", "").lower() for p in parameters}
        if facts.if_match and "if-match" not in present:
            parameters.append(dict(_IF_MATCH))
        if facts.idempotency_key and "idempotency-key" not in present:
            parameters.append(dict(_IDEMPOTENCY_KEY))
        if not parameters:
            operation.pop("parameters")
        if facts.authenticated:
            names = "、".join(sorted(facts.roles))
            operation["x-roles"] = sorted(facts.roles)
            note = f"\n\n**角色 / roles:** {names}"
            if note not in operation.get("description", ""):
                operation["description"] = operation.get("description", "") + note
    for unused in ("HTTPValidationError", "ValidationError"):
        others = {name: schema for name, schema in components.items() if name != unused}
        if f"#/components/schemas/{unused}" not in json.dumps([document["paths"], others]):
            components.pop(unused, None)
    _mark_codes(
        document,
        {
            "districts": [d.code for d in jurisdiction.districts],
            "pilot_sectors": [s.code for s in jurisdiction.pilot_sectors],
            "platform_categories": [c.code for c in jurisdiction.platform_categories],
            "titles": list(jurisdiction.titles),
        },
    )
    return document


def install_openapi(app: FastAPI, jurisdiction: Callable[[], Jurisdiction]) -> None:
    """Serve the OpenAPI document with the conventions declared (built once per set of routes)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        if "ProblemDetails" not in document.get("components", {}).get("schemas", {}):
            declare_conventions(document, app, jurisdiction())
        return document

    app.openapi = openapi  # type: ignore[method-assign]
