"""Input that never reaches a 500 (handbook §6): the constrained types every service's edge declares, and the
checks the body guard (``http.BodyGuardMiddleware``) runs on every JSON body, form and query string.

PostgreSQL refuses a NUL character in text and JSON, a lone UTF-16 surrogate cannot be encoded as UTF-8, an
integer beyond its column overflows, a date beyond year 9999 does not exist, ``NaN`` and ``1e400`` are not JSON
numbers a JSONB column or a browser can hold, and JavaScript loses integers above 2^53. Each of those used to
surface as a server error; here each is a field error (422) with its path, before anything is stored.

Domain code imports nothing from here; these are the edge's types.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

# ---- what the columns hold -------------------------------------------------------------------

SMALLINT_MAX = 2**15 - 1
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
JSON_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON reader keeps exactly (JavaScript's ``Number.MAX_SAFE_INTEGER``)."""

TEXT_MAX = 20_000
"""No text field is longer; each field states its own, smaller bound with ``Field(max_length=…)``."""

MAX_JSON_DEPTH = 32
"""Nesting of a whole request body; free JSON content has its own, smaller bound."""

FREE_JSON_DEPTH = 10
FREE_JSON_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One refused value: where (``body.content.a``), a stable type, and why in Chinese and English."""

    field: str
    kind: str
    message_zh: str
    message_en: str


# ---- text ------------------------------------------------------------------------------------


def text_problem(value: str) -> tuple[str, str, str] | None:
    """``(kind, zh, en)`` when ``value`` cannot be stored as text: a NUL character or a lone surrogate."""
    if "\x00" in value:
        return "text_nul", "不能包含空字符（\\u0000）", "must not contain the NUL character (\\u0000)"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text_surrogate", "包含无效的 Unicode 字符（孤立代理项）", "contains an invalid Unicode character (lone surrogate)"
    return None


def _custom(kind: str, zh: str, en: str) -> PydanticCustomError:
    # ``message_zh`` travels in the context to the problem-details mapper (problems.validation_errors).
    return PydanticCustomError(kind, en, {"message_zh": zh})


def _text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise _custom(*problem)
    if len(value) > TEXT_MAX:
        raise _custom("string_too_long", f"内容过长（最多 {TEXT_MAX} 字）", f"at most {TEXT_MAX} characters")
    return value


Text = Annotated[str, AfterValidator(_text)]
"""Text that PostgreSQL can store. Bound its length where it is used: ``Text = Field(max_length=300)``."""

_UNSAFE_IN_FILENAME = re.compile(r"[\x00-\x1f\\/:*?\"<>|\ud800-\udfff]+")


def clean_filename(name: str | None, default: str = "attachment") -> str:
    """What people named an uploaded file (Chinese included), for display and download, minus path, control
    characters and lone surrogates: a multipart header is not checked by the body guard."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_IN_FILENAME.sub("_", base).strip(" .")[:200] or default


_CODE = r"^[a-z][a-z0-9_]{0,49}$"
Code = Annotated[str, Field(pattern=_CODE, description="代码 (lower-case letters, digits, _)")]
"""A configuration code: a district, sector, category, material or criterion."""

_KEY = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$"
Key = Annotated[str, Field(pattern=_KEY, description="标识 (letters, digits and ._:@-)")]
"""An opaque identifier another party issues (an organisation id as the registry or an identity provider gives it)."""


# ---- ids -------------------------------------------------------------------------------------


def _uuid(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) <= 45:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise _custom("uuid_parsing", "应为 UUID（如 1b4e28ba-2fa1-11d2-883f-0016d3cca427）", "must be a UUID")


Uuid = Annotated[str, BeforeValidator(_uuid), WithJsonSchema({"type": "string", "format": "uuid"})]
"""An id this system generated: parsed as a UUID and given in its canonical lower-case form, so that a malformed
one is a 422 naming the field and a well-formed one that is not there is a 404."""

BigIntId = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
"""A numeric id of a BIGINT identity column."""


# ---- integers bounded by their column --------------------------------------------------------

SmallInt = Annotated[int, Field(ge=-SMALLINT_MAX - 1, le=SMALLINT_MAX)]
Integer = Annotated[int, Field(ge=-INTEGER_MAX - 1, le=INTEGER_MAX)]
BigInt = Annotated[int, Field(ge=-BIGINT_MAX - 1, le=BIGINT_MAX)]
Count = Annotated[int, Field(ge=0, le=INTEGER_MAX)]
"""A non-negative count kept in an INTEGER column. A field with bounds of its own states them with
``Annotated[int, Field(ge=…, le=…)]`` inside INTEGER's range (a field's bounds do not narrow a type's)."""


def _big_number(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value):
        return int(value)
    return value


def _as_string(value: int) -> str:
    return str(value)


BigNumber = Annotated[
    int,
    BeforeValidator(_big_number),
    Field(ge=0, le=BIGINT_MAX),
    PlainSerializer(_as_string, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{1,19}$", "description": "a 64-bit number, as a string"}),
]
"""A number that can exceed 2^53 (a draw seed): a decimal string in HTTP, so that JavaScript keeps it exactly (an
integer up to 2^53 is accepted too; beyond, the body guard asks for a string). Event payloads keep it an integer."""


# ---- dates -----------------------------------------------------------------------------------

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
BusinessDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
"""A business date of the programme (an intake window, a validity start, a due date): 2000-01-01 to 2099-12-31,
so that every date computed from it (validity, reminders, working days) exists."""


# ---- free JSON -------------------------------------------------------------------------------


def json_problems(value: Any, root: str, *, max_depth: int) -> Iterator[InputProblem]:
    """Every value in a parsed JSON document that must not be stored or sent back: text without NUL or lone
    surrogates (keys too), finite numbers, integers JavaScript keeps, nesting at most ``max_depth``. Iterative,
    so that the depth check itself never recurses."""
    stack: list[tuple[str, Any, int]] = [(root, value, 1)]
    while stack:
        path, node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            if depth > max_depth:
                yield InputProblem(path, "json_too_deep", f"嵌套层级超过 {max_depth} 层", f"nested deeper than {max_depth} levels")
                continue
            items = node.items() if isinstance(node, Mapping) else enumerate(node)
            for key, child in items:
                if isinstance(key, str) and (problem := text_problem(key)) is not None:
                    yield InputProblem(f"{path}.{_printable(key)}", *problem)
                    continue
                stack.append((f"{path}.{key}", child, depth + 1))
        elif isinstance(node, str):
            if (problem := text_problem(node)) is not None:
                yield InputProblem(path, *problem)
        elif isinstance(node, float):
            if not math.isfinite(node):
                yield InputProblem(path, "number_not_finite", "数值超出范围或不是有限数", "must be a finite number within range")
        elif isinstance(node, _NonFinite):
            yield InputProblem(path, "number_not_finite", f"{node.text} 不是 JSON 数值", f"{node.text} is not a JSON number")
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > JSON_SAFE_INTEGER:
            yield InputProblem(path, "number_too_large", "整数超过 2^53，请以字符串填写", "integers beyond 2^53 must be sent as strings")


def _printable(key: str) -> str:
    return key.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


class _NonFinite:
    """What the body guard's JSON parser makes of ``NaN``, ``Infinity`` and ``-Infinity``, so that the walk can
    name the field instead of failing the whole parse."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def non_finite(text: str) -> object:
    return _NonFinite(text)


def _free_json(value: Any) -> Any:
    problem = next(json_problems(value, "", max_depth=FREE_JSON_DEPTH), None)
    if problem is not None:
        where = problem.field.lstrip(".") or "(root)"
        raise _custom(problem.kind, f"{where}：{problem.message_zh}", f"{where}: {problem.message_en}")
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > FREE_JSON_BYTES:
        raise _custom("json_too_large", f"内容超过 {FREE_JSON_BYTES} 字节上限", f"exceeds {FREE_JSON_BYTES} bytes")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_free_json)]
"""Free JSON content (an application's form fields): finite numbers, integers JavaScript keeps, text PostgreSQL
stores, at most 10 levels deep and 256 KiB."""
