"""Property tests of the diagnosis domain parsers (handbook §8): answers and editions, over generated input. Each
parser answers or names every problem by its path; nothing else escapes, and whatever it accepts can be stored."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnosis.application.editions import check_storable
from diagnosis.domain.answers import check_answers
from diagnosis.domain.index import edition_from_document, load_edition_text
from diagnosis.domain.problems import EditionInvalid
from diagnosis.domain.scoring import score_answers
from sihua_shared.errors import DomainError, Kind
from sihua_shared.inputs import json_problems

from .kit import SCENES, edition, raw_2024

EDITION = edition()
ITEMS = sorted(EDITION.items)
INPUTS = sorted(EDITION.inputs)
OPTIONS = sorted({o for item in EDITION.items.values() for o in item.points})

scalar = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | st.sampled_from(["1e400", "-3", "0.5"])
json_like = st.recursive(scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                         max_leaves=12)
entry = st.fixed_dictionaries({}, optional={
    "options": st.lists(st.sampled_from(OPTIONS), max_size=3) | json_like,
    "inputs": st.dictionaries(st.sampled_from(INPUTS) | st.text(max_size=4), scalar, max_size=4) | json_like,
})
payloads = st.fixed_dictionaries({}, optional={
    "answers": st.dictionaries(st.sampled_from(ITEMS) | st.text(max_size=4), entry | json_like, max_size=6) | json_like,
    "scenes": st.dictionaries(st.sampled_from(SCENES) | st.text(max_size=4), scalar, max_size=6) | json_like,
    "profile": scalar,
    "edition": scalar,
}) | json_like

TOP = ("$", "answers", "scenes", "profile", "edition")


@given(payloads, st.booleans())
def test_any_payload_is_answers_or_problems_named_by_path(payload: Any, complete: bool) -> None:
    answers, problems = check_answers(EDITION, payload, complete=complete)
    for problem in problems:
        assert problem.message_zh and problem.message_en and problem.code
        assert problem.field.split(".")[0] in TOP or (isinstance(payload, dict) and problem.field in map(str, payload))
    assert set(answers.options) <= set(EDITION.items) and set(answers.scene_levels) <= set(EDITION.scenes)


@st.composite
def complete_answers(draw: st.DrawFn) -> dict[str, Any]:
    chosen = {}
    for item_id, item in EDITION.items.items():
        options = sorted(item.points)
        if item.type == "single":
            picked = [draw(st.sampled_from(options))]
        else:
            plain = [o for o in options if o not in item.exclusive]
            picked = draw(st.lists(st.sampled_from(plain), min_size=1, unique=True)) if plain else [options[0]]
        chosen[item_id] = {"options": picked}
    low, high = EDITION.scene_level_range
    levels = {s: draw(st.integers(min_value=low, max_value=high)) for s in EDITION.scene_ids}
    return {"answers": chosen, "scenes": levels}


@given(complete_answers())
def test_complete_answers_score_within_the_scale_and_store_as_json(payload: dict[str, Any]) -> None:
    answers, problems = check_answers(EDITION, payload)
    assert problems == []
    result = score_answers(EDITION, answers)
    assert 0 <= result.total_milli <= result.max_milli and 0 <= result.level <= EDITION.top_level
    stored = json.loads(json.dumps(result.to_dict(), default=str))
    assert list(json_problems(stored, "result", max_depth=32)) == []


@given(st.integers(min_value=1, max_value=10**20) | st.decimals(min_value=1, max_value=10**20, allow_nan=False, places=0))
def test_a_device_count_is_accepted_exactly_below_10_to_the_15(count: int | Decimal) -> None:
    payload = {"answers": {"Q2": {"inputs": {"total_devices": str(count), "digital_devices": 1}}}}
    _, problems = check_answers(EDITION, payload, complete=False)
    codes = {p.code for p in problems if p.field == "answers.Q2.inputs.total_devices"}
    assert ("input.out_of_bounds" in codes) == (count >= 10**15)
    if count < 10**15:
        assert codes == set()


# ---- editions -----------------------------------------------------------------------------------------------------


def _paths(node: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [trail]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*trail, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _paths(child, (*trail, i))
    return found


PATHS = [p for p in _paths(raw_2024()) if p][:4000]
replacement = scalar | st.sampled_from(["\x00", "\ud800", "长" * 301, float("nan"), 2**60, -1, 0, [], {}])


def _mutated(changes: list[tuple[tuple[Any, ...], Any]]) -> dict[str, Any]:
    tree = raw_2024()
    for path, value in changes:
        node: Any = tree
        with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier change replaced the parent
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
    return tree


@settings(max_examples=60)  # each example compiles a whole edition
@given(st.lists(st.tuples(st.sampled_from(PATHS), replacement), min_size=1, max_size=3))
def test_a_mutated_edition_loads_or_names_its_problems(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    tree = _mutated(changes)
    try:
        loaded = edition_from_document(tree)
    except EditionInvalid as exc:
        assert exc.problems and all(p.field and p.message_zh and p.message_en for p in exc.problems)
        return
    # accepted: its id fits a path and its column, its title its column
    assert "@" in loaded.version_id and len(loaded.document.title) <= 300


@settings(max_examples=15)  # a whole edition dumped and loaded by pure-Python YAML
@given(st.lists(st.tuples(st.sampled_from(PATHS), replacement), min_size=1, max_size=2))
def test_an_uploaded_file_is_stored_only_when_every_value_can_be(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    text = yaml.safe_dump(_mutated(changes), allow_unicode=True)
    try:
        check_storable(text)
        loaded = load_edition_text(text)
    except EditionInvalid as exc:
        assert exc.problems
    except DomainError as exc:  # refused before the edition's rules: named in the request body
        assert exc.kind is Kind.INVALID and all(p.field.startswith("body") for p in exc.problems)
    else:
        assert list(json_problems(yaml.safe_load(text), "$", max_depth=64)) == []
        assert loaded.document.title


@pytest.mark.parametrize("text", ["id: [unclosed", "- a list", "", "a: &a [*a]"])
def test_files_that_are_not_an_edition_are_named_problems(text: str) -> None:
    with pytest.raises(DomainError):
        check_storable(text)
        load_edition_text(text)
