"""Property tests of the registry's domain parsers (handbook §8): the USCC (GB 32100-2015) and the rubrics of calls
and review, over generated input. Each parser either answers or raises ``DomainError``; nothing else escapes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from registry.api.organisations import OrganisationIn
from registry.domain.calls import Rubric, rubric_from_rows, rubric_rows
from registry.domain.uscc import CHARSET, DEPARTMENTS, check_character, is_valid_uscc, normalise_uscc, validate_uscc
from sihua_shared.errors import DomainError

# ---- USCC -------------------------------------------------------------------------------------------------------

body_chars = st.sampled_from(CHARSET)


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    department = draw(st.sampled_from(sorted(DEPARTMENTS)))
    category = draw(st.sampled_from(sorted(DEPARTMENTS[department][1])))
    region = draw(st.sampled_from(["440101", "442000", "110105", "100000", "650102"]))
    first17 = department + category + region + "".join(draw(st.lists(body_chars, min_size=9, max_size=9)))
    return first17 + check_character(first17)


@given(st.text(max_size=40))
def test_any_text_is_a_uscc_or_a_domain_error(raw: str) -> None:
    try:
        info = validate_uscc(normalise_uscc(raw))
    except DomainError as exc:
        assert exc.code.startswith("uscc_") and exc.message_zh and exc.message_en
    else:
        assert info.code == normalise_uscc(raw) and len(info.code) == 18
    assert normalise_uscc(normalise_uscc(raw)) == normalise_uscc(raw)


@given(valid_usccs())
def test_a_code_with_its_check_character_is_valid_in_any_case_and_spacing(code: str) -> None:
    assert validate_uscc(code).check_character == code[17]
    assert validate_uscc(normalise_uscc(f"  {code.lower()} ")).code == code


@given(valid_usccs(), st.integers(min_value=0, max_value=17), body_chars)
def test_every_single_character_substitution_is_detected(code: str, position: int, replacement: str) -> None:
    assume(code[position] != replacement)
    assert not is_valid_uscc(code[:position] + replacement + code[position + 1 :])


@given(valid_usccs(), st.integers(min_value=0, max_value=15))
def test_every_adjacent_transposition_of_the_first_17_is_detected(code: str, position: int) -> None:
    assume(code[position] != code[position + 1])
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not is_valid_uscc(swapped)


@given(st.text(max_size=40) | valid_usccs())
def test_the_edge_type_refuses_what_the_domain_refuses(raw: str) -> None:
    body = {"uscc": raw, "name": "属性测试企业", "kind": "enterprise"}
    try:
        parsed = OrganisationIn.model_validate(body)
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == ("uscc",)
    else:
        assert parsed.uscc == normalise_uscc(raw) and len(parsed.uscc) == 18


# ---- rubrics ----------------------------------------------------------------------------------------------------

codes = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
points = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2)


@st.composite
def valid_rubrics(draw: st.DrawFn) -> Rubric:
    names = draw(st.lists(codes, min_size=1, max_size=6, unique=True))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=99), min_size=len(names) - 1, max_size=len(names) - 1,
                                unique=True)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    rows = [{"code": c, "name_zh": f"指标{c}", "weight": w, "max_points": str(draw(points))} for c, w in zip(names, weights, strict=True)]
    return rubric_from_rows(rows)


@given(valid_rubrics())
def test_a_rubric_survives_its_json_rows(rubric: Rubric) -> None:
    assert rubric_from_rows(rubric_rows(rubric)) == rubric
    assert sum(c.weight for c in rubric.criteria) == 100


@given(valid_rubrics(), st.data())
def test_any_scores_within_the_scales_give_a_total_within_0_and_100(rubric: Rubric, data: st.DataObject) -> None:
    scores = {c.code: data.draw(st.decimals(min_value=0, max_value=c.max_points, places=2)) for c in rubric.criteria}
    exact = rubric.exact_total(scores)
    assert Fraction(0) <= exact <= Fraction(100)
    assert abs(rubric.total(scores) - Decimal(exact.numerator) / Decimal(exact.denominator)) <= Decimal("0.005")
    full = {c.code: c.max_points for c in rubric.criteria}
    assert rubric.exact_total(full) == 100 and rubric.exact_total(dict.fromkeys(full, 0)) == 0


anything = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.decimals()


@given(valid_rubrics(), st.dictionaries(st.text(max_size=6), anything, max_size=8))
def test_any_scores_are_a_total_or_a_domain_error(rubric: Rubric, scores: dict[str, Any]) -> None:
    try:
        total = rubric.total(scores)
    except DomainError as exc:
        assert exc.code and exc.field and exc.field.startswith("scores")
    else:
        assert Decimal(0) <= total <= Decimal(100)


row = st.fixed_dictionaries(
    {"code": st.text(max_size=5), "name_zh": st.text(max_size=5), "weight": anything, "max_points": anything},
)


@given(st.lists(row, max_size=5))
def test_any_rows_are_a_rubric_or_a_domain_error(rows: list[dict[str, Any]]) -> None:
    try:
        rubric = rubric_from_rows(rows)
    except DomainError as exc:
        assert exc.field is not None and exc.field.startswith("rubric")
    else:
        assert sum(c.weight for c in rubric.criteria) == 100


@pytest.mark.parametrize("weights", [[100], [40, 30, 30], [1] * 100])
def test_weights_summing_to_100_are_a_rubric(weights: list[int]) -> None:
    rows = [{"code": f"c{i}", "name_zh": "指标", "weight": w, "max_points": "10"} for i, w in enumerate(weights)]
    assert len(rubric_from_rows(rows).criteria) == len(weights)


# ---- calls: the request's shape, then the call's rules ------------------------------------------------------------

extreme_ints = st.integers(min_value=-(2**64), max_value=2**64) | st.sampled_from([0, 2**31 - 1, 2**31, 2**63])
dates = st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30"]) | st.dates().map(lambda d: d.isoformat())


def likely(valid: list[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values four times in five, so that generated bodies also reach the rules behind the shape checks."""
    return st.integers(min_value=0, max_value=4).flatmap(lambda n: st.sampled_from(valid) if n else other)


criterion = st.fixed_dictionaries({"code": codes, "name_zh": st.text(min_size=1, max_size=4), "weight": extreme_ints,
                                   "max_points": st.sampled_from(["10", "0", "-1", "1e30", "40", "NaN"]) | extreme_ints})
call_bodies = st.fixed_dictionaries({
    "kind": likely(["key_platform"], st.sampled_from(["traction_unit", "diagnosis_provider", "third_party"])),
    "title": st.text(min_size=1, max_size=10),
    "category": likely(["industrial_internet"], st.sampled_from([None, "x"])),
    "window": st.fixed_dictionaries({"opens_on": likely(["2026-01-05"], dates)},
                                    optional={"closes_on": likely([None, "2026-03-01"], dates)}),
    "required_materials": st.lists(st.fixed_dictionaries({"code": codes, "name_zh": st.just("材料")}), max_size=3),
    "rubric": likely([None], st.fixed_dictionaries({"criteria": st.lists(criterion, min_size=1, max_size=3)})),
    "experts_per_application": likely([5, 3], extreme_ints),
    "cut_rule": st.fixed_dictionaries({}, optional={"pass_mark": likely(["60"], st.sampled_from(["100.01", "-1", "1e9"])),
                                                  "quota": likely([10], extreme_ints)}),
})


@given(call_bodies)
def test_any_call_body_is_refused_by_field_or_fits_its_columns(body: dict[str, Any]) -> None:
    from registry.api.calls import CallIn
    from registry.application.calls import check_config
    from sihua_shared.inputs import EARLIEST_DATE, INTEGER_MAX, LATEST_DATE
    from sihua_shared.jurisdiction import load_jurisdiction

    try:
        spec = CallIn.model_validate(body).model_dump()
        row = check_config(spec, load_jurisdiction("guangzhou"))
    except ValidationError as exc:
        assert all(e["loc"] for e in exc.errors())
        return
    except DomainError as exc:
        assert exc.problems and all(p.field.startswith("body") for p in exc.problems)
        return
    assert 1 <= row["experts_per_application"] <= INTEGER_MAX and (row["quota"] is None or 1 <= row["quota"] <= INTEGER_MAX)
    assert row["pass_mark"] is None or Decimal(0) <= row["pass_mark"] <= 100
    assert EARLIEST_DATE <= row["opens_on"] <= LATEST_DATE and sum(int(c["weight"]) for c in row["rubric"]) == 100
