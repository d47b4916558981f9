"""统一社会信用代码 (GB 32100-2015): structure and check character.

Every valid code below had its check character computed independently of the module under test
(weights 3^i mod 31, check = 31 - Σ mod 31, 31 → 0).
"""

from __future__ import annotations

import pytest

from registry.domain.uscc import CHARSET, WEIGHTS, check_character, is_valid_uscc, normalise_uscc, validate_uscc
from sihua_shared.errors import DomainError

VALID = [
    # (clause, code, department_zh, category_zh, region)
    ("GB 32100 9/1 企业 (the project's demo enterprise)", "91440101MA0000001Q", "工商", "企业", "440101"),
    ("GB 32100 9/1 企业 (check character 0)", "91440101MA0000000M", "工商", "企业", "440101"),
    ("GB 32100 9/1 企业, old organisation code body", "91440101190480421L", "工商", "企业", "440101"),
    ("GB 32100 9/1 企业 in Zhongshan (442000)", "91442000MA4UL00004", "工商", "企业", "442000"),
    ("GB 32100 9/2 个体工商户", "92440101MA5CXXXX18", "工商", "个体工商户", "440101"),
    ("GB 32100 9/3 农民专业合作社", "93440114MA00000096", "工商", "农民专业合作社", "440114"),
    ("GB 32100 1/2 事业单位 registered at national level (100000)", "12100000400000624D", "机构编制", "事业单位", "100000"),
    ("GB 32100 1/1 机关", "114401000075022553", "机构编制", "机关", "440100"),
    ("GB 32100 5/1 社会团体", "51440000MJ0000001R", "民政", "社会团体", "440000"),
    ("GB 32100 3/1 律师执业机构", "31440000455859521R", "司法行政", "律师执业机构", "440000"),
    ("GB 32100 N/2 村级集体经济组织", "N2440112MF0000003N", "农业", "村级集体经济组织", "440112"),
    ("GB 32100 Y/1 其他", "Y1440101MA00000000", "其他", "其他", "440101"),
]


@pytest.mark.parametrize(("clause", "code", "department", "category", "region"), VALID, ids=[v[0] for v in VALID])
def test_valid_codes(clause: str, code: str, department: str, category: str, region: str) -> None:
    info = validate_uscc(code)
    assert info.code == code
    assert info.department_zh == department
    assert info.category_zh == category
    assert info.region_code == region
    assert info.organisation_code == code[8:17]
    assert info.check_character == code[17]
    assert is_valid_uscc(code)


def test_parts_of_an_enterprise() -> None:
    info = validate_uscc("91440101MA0000001Q")
    assert info.is_enterprise
    assert info.province_code == "44"
    assert not validate_uscc("51440000MJ0000001R").is_enterprise


def test_weights_are_powers_of_three_mod_31() -> None:
    assert tuple(pow(3, i, 31) for i in range(17)) == WEIGHTS
    assert len(CHARSET) == 31 and not set("IOSVZ") & set(CHARSET)


# The property the check character exists for: one wrong character is always caught.
SUBSTITUTES = CHARSET + "IOSVZ" + "abcxyz" + " -*" + "０Ａ" + "中"


@pytest.mark.parametrize("code", [v[1] for v in VALID])
def test_every_single_character_substitution_fails(code: str) -> None:
    tried = 0
    for position in range(18):
        for char in SUBSTITUTES:
            if char == code[position]:
                continue
            corrupted = code[:position] + char + code[position + 1 :]
            with pytest.raises(DomainError) as info:
                validate_uscc(corrupted)
            assert info.value.code.startswith("uscc_")
            assert info.value.field == "uscc"
            tried += 1
    assert tried == 18 * (len(SUBSTITUTES) - 1)


@pytest.mark.parametrize("code", [v[1] for v in VALID])
def test_substitution_in_the_body_is_a_check_failure(code: str) -> None:
    """Positions 9–17 have no structure of their own: only the check character can catch a change there."""
    for position in range(8, 17):
        for char in CHARSET:
            if char != code[position]:
                corrupted = code[:position] + char + code[position + 1 :]
                with pytest.raises(DomainError) as info:
                    validate_uscc(corrupted)
                assert info.value.code == "uscc_check"


INVALID = [
    ("the brief's example has a wrong check character (L is right)", "91440101190480421F", "uscc_check", 18),
    ("too short", "91440101MA000001Q", "uscc_length", None),
    ("too long", "91440101MA0000001QQ", "uscc_length", None),
    ("empty", "", "uscc_length", None),
    ("lower case is not normalised by validate", "91440101ma0000001q", "uscc_charset", 9),
    ("letter O is never used", "91440101MO0000001Q", "uscc_charset", 10),
    ("letter I is never used", "I1440101MA0000001Q", "uscc_charset", 1),
    ("department B does not exist", "B1440101MA0000001Q", "uscc_department", 1),
    ("工商 has no category 9", "99440101MA0000001Q", "uscc_category", 2),
    ("民政 has no category 4", "54440101MA0000001Q", "uscc_category", 2),
    ("Y has only category 1", "Y2440101MA0000001Q", "uscc_category", 2),
    ("region must be digits", "9144A101MA0000001Q", "uscc_region", 3),
    ("no province 99", "91990101MA0000001Q", "uscc_region", 3),
    ("10xxxx only as 100000", "91100101MA0000001Q", "uscc_region", 3),
]


@pytest.mark.parametrize(("case", "code", "error", "position"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_codes(case: str, code: str, error: str, position: int | None) -> None:
    with pytest.raises(DomainError) as info:
        validate_uscc(code)
    assert info.value.code == error
    assert info.value.message_zh and info.value.message_en
    assert info.value.details.get("position") == position
    assert not is_valid_uscc(code)


def test_the_brief_example_corrected() -> None:
    assert check_character("91440101190480421") == "L"
    assert is_valid_uscc("91440101190480421L")


def test_errors_carry_the_given_field() -> None:
    with pytest.raises(DomainError) as info:
        validate_uscc("91440101190480421F", field="body.uscc")
    (problem,) = info.value.problems
    assert (problem.field, problem.message_zh, problem.message_en) == (
        "body.uscc",
        "统一社会信用代码校验位错误，请核对后重新输入",
        "the USCC check character does not match; please check the code",
    )


NORMALISE = [
    ("blanks and lower case", "  91440101ma0000001q\t", "91440101MA0000001Q"),
    ("full-width digits and letters", "９１４４０１０１ＭＡ００００００１Ｑ", "91440101MA0000001Q"),
    ("ideographic space", "\u300091440101MA0000001Q\u3000", "91440101MA0000001Q"),
]


@pytest.mark.parametrize(("case", "raw", "expected"), NORMALISE, ids=[n[0] for n in NORMALISE])
def test_normalise_then_validate(case: str, raw: str, expected: str) -> None:
    assert normalise_uscc(raw) == expected
    assert validate_uscc(normalise_uscc(raw)).code == expected


def test_check_character_needs_17() -> None:
    with pytest.raises(ValueError):
        check_character("9144")
