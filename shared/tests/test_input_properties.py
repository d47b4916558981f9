"""Properties of the edge's input checks (inputs.py, the body guard's JSON check), over generated input."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sihua_shared.http import json_body_problems
from sihua_shared.inputs import (
    JSON_SAFE_INTEGER,
    BigNumber,
    JsonObject,
    Text,
    Uuid,
    clean_filename,
    json_problems,
    text_problem,
)


class Model(BaseModel):
    text: Text | None = None
    id: Uuid | None = None
    seed: BigNumber | None = None
    content: JsonObject | None = None


def _storable(value: str) -> bool:
    return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


@given(st.text())
def test_text_is_accepted_exactly_when_postgresql_can_store_it(value: str) -> None:
    assert (text_problem(value) is None) == _storable(value)
    try:
        Model(text=value)
    except ValidationError as exc:
        assert not _storable(value) or len(value) > 20_000
        assert exc.errors()[0]["loc"] == ("text",)
    else:
        assert _storable(value)


@given(st.uuids())
def test_a_uuid_in_any_spelling_is_its_canonical_form(value: uuid.UUID) -> None:
    for spelling in (str(value), str(value).upper(), value.hex, f"{{{value}}}"):
        assert Model(id=spelling).id == str(value)


@given(st.text(max_size=60))
def test_anything_else_is_not_a_uuid(value: str) -> None:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    try:
        assert Model(id=value).id == str(parsed)
    except ValidationError as exc:
        assert parsed is None and exc.errors()[0]["type"] == "uuid_parsing"


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_big_numbers_travel_as_strings_and_come_back(value: int) -> None:
    sent = Model(seed=value).model_dump(mode="json")["seed"]
    assert sent == str(value) and Model(seed=sent).seed == value
    assert Model(seed=value).model_dump()["seed"] == value  # inside the process (events) it stays an integer


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=30,
)


def _clean(node: Any, depth: int = 1) -> bool:
    if isinstance(node, dict):
        return depth <= 10 and all(_storable(k) and _clean(v, depth + 1) for k, v in node.items())
    if isinstance(node, list):
        return depth <= 10 and all(_clean(v, depth + 1) for v in node)
    if isinstance(node, str):
        return _storable(node)
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, int) and not isinstance(node, bool):
        return abs(node) <= JSON_SAFE_INTEGER
    return True


@given(JSON)
def test_free_json_is_accepted_exactly_when_it_can_be_stored_and_read_back(value: Any) -> None:
    document = {"v": value}
    problems = list(json_problems(document, "body", max_depth=11))
    assert (problems == []) == _clean(document)
    assert all(p.field.startswith("body") and p.message_zh and p.message_en for p in problems)
    try:
        Model(content=document)
    except ValidationError:
        assert not _clean(document)
    else:
        assert _clean(document)


@given(st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()))
def test_the_body_check_never_fails_on_any_bytes(body: bytes) -> None:
    for problem in json_body_problems(body):
        assert problem.field.startswith("body") and problem.message_en


@given(st.text() | st.none())
def test_filenames_are_always_storable(name: str | None) -> None:
    cleaned = clean_filename(name)
    assert cleaned and _storable(cleaned) and "/" not in cleaned and len(cleaned) <= 200
