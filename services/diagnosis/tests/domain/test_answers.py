"""Answer checks and options derived from numbers (handbook §2.2 items and implementation notes, §6 step 1)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnosis.domain.answers import check_answers, parse_answers
from diagnosis.domain.problems import AnswersInvalid
from diagnosis.domain.scoring import score_answers, score_assessment

from .kit import FULL, ZERO, build, edition, node, payload, raw_2024, scenes


def with_answers(**answers: dict[str, Any]) -> dict[str, Any]:
    """A complete, valid payload with some items answered differently."""
    base = payload(ZERO, scenes(1))
    for item, answer in answers.items():
        base["answers"][item] = answer
    return base


def problems_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(AnswersInvalid) as caught:
        parse_answers(edition(), data)
    for p in caught.value.problems:
        assert p.message_zh and p.message_en
    return [(p.field, p.code) for p in caught.value.problems]


# -- handbook §2.2 notes: ratio bands open on the left, closed on the right, the first is [0, 10%] -----
DEVICE_RATIOS = [
    (100, 0, "A"), (100, 10, "A"), (1000, 101, "B"), (100, 11, "B"), (100, 20, "B"), (100, 21, "C"), (10, 4, "C"),
    (100, 41, "D"), (5, 3, "D"), (100, 61, "E"), (3, 2, "E"), (7, 7, "E"),
]  # fmt: skip


@pytest.mark.parametrize(("total", "digital", "option"), DEVICE_RATIOS, ids=[f"{d}of{t}" for t, d, _ in DEVICE_RATIOS])
def test_q2_option_from_device_ratio_handbook_2_2(total: int, digital: int, option: str) -> None:
    answers = parse_answers(edition(), with_answers(Q2={"inputs": {"total_devices": total, "digital_devices": digital}}))
    assert answers.options["Q2"] == (option,)
    assert "Q2" in answers.derived


def test_q3_shares_total_devices_given_under_q2() -> None:
    data = with_answers(Q2={"inputs": {"total_devices": 200, "digital_devices": 30}}, Q3={"inputs": {"networked_devices": 120}})
    result = score_assessment(edition(), data)
    # 30/200 = 15 % → B 1.5; 120/200 = 60 % → D 4.5
    assert (result.options["Q2"], result.options["Q3"]) == (["B"], ["D"])
    assert (result.item_milli["Q2"], result.item_milli["Q3"]) == (1500, 4500)
    assert result.derived_items == ["Q2", "Q3"]


# Q11: 近三年年均数字化投入 ÷ 近三年年均营业收入, with the captured (disputed) bands.
INVESTMENT = [("10", "1000", "A"), ("100", "1000", "A"), ("100.1", "1000", "B"), ("200", "1000", "B"), ("600", "1000", "D"),
              ("600.01", "1000", "E"), ("1000", "1000", "E")]  # fmt: skip


@pytest.mark.parametrize(("spend", "revenue", "option"), INVESTMENT)
def test_q11_option_from_investment_share_handbook_2_2(spend: str, revenue: str, option: str) -> None:
    answers = parse_answers(edition(), with_answers(Q11={"inputs": {"digital_investment_avg": spend, "revenue_avg": revenue}}))
    assert answers.options["Q11"] == (option,)


# -- handbook §2.2: trend items compare 上年 with 前年; per-百元 figures use revenue -----------------------
TRENDS = [
    # (item, inputs, option)
    ("Q12", {"energy_last": 90, "energy_prev": 100, "revenue_last": 1000, "revenue_prev": 1000}, "C"),  # less energy: 降低
    ("Q12", {"energy_last": 100, "energy_prev": 100, "revenue_last": 1000, "revenue_prev": 1000}, "B"),  # 持平
    ("Q12", {"energy_last": 110, "energy_prev": 100, "revenue_last": 1000, "revenue_prev": 1000}, "A"),  # 增加
    ("Q12", {"energy_last": 110, "energy_prev": 100, "revenue_last": 1200, "revenue_prev": 1000}, "C"),  # 0.0917 < 0.1 per 万元
    ("Q12", {"energy_last": 120, "energy_prev": 100, "revenue_last": 1200, "revenue_prev": 1000}, "B"),  # same per revenue
    ("Q13", {"pass_rate_last": "98.6", "pass_rate_prev": "98.5"}, "C"),
    ("Q13", {"pass_rate_last": 98.5, "pass_rate_prev": "98.5"}, "B"),
    ("Q13", {"pass_rate_last": 97, "pass_rate_prev": 98}, "A"),
    ("Q14", {"revenue_last": 1100, "revenue_prev": 1000, "employees_last": 50, "employees_prev": 50}, "C"),
    ("Q14", {"revenue_last": 1100, "revenue_prev": 1000, "employees_last": 55, "employees_prev": 50}, "B"),  # 20 万元 a head both years
    ("Q14", {"revenue_last": 1100, "revenue_prev": 1000, "employees_last": 60, "employees_prev": 50}, "A"),
    ("Q15", {"cost_last": 800, "cost_prev": 800, "revenue_last": 1000, "revenue_prev": 900}, "C"),  # 80 < 88.9 per 百元
    ("Q15", {"cost_last": 880, "cost_prev": 800, "revenue_last": 1100, "revenue_prev": 1000}, "B"),
    ("Q15", {"cost_last": 900, "cost_prev": 800, "revenue_last": 1000, "revenue_prev": 1000}, "A"),
]


@pytest.mark.parametrize(("item", "inputs", "option"), TRENDS, ids=[f"{i}-{o}-{n}" for n, (i, _, o) in enumerate(TRENDS)])
def test_trend_items_handbook_2_2(item: str, inputs: dict[str, Any], option: str) -> None:
    answers = parse_answers(edition(), with_answers(**{item: {"inputs": inputs}}))
    assert answers.options[item] == (option,)


def test_revenue_is_collected_once_for_q12_q14_q15() -> None:
    data = with_answers(
        Q14={"inputs": {"revenue_last": 1200, "revenue_prev": 1000, "employees_last": 50, "employees_prev": 50}},
        Q12={"inputs": {"energy_last": 100, "energy_prev": 100}},
        Q15={"inputs": {"cost_last": 960, "cost_prev": 800}},
    )
    answers = parse_answers(edition(), data)
    # Q12: same energy on more revenue → 降低 C; Q14: 24 > 20 a head → C; Q15: 80 = 80 per 百元 → 持平 B
    assert (answers.options["Q12"], answers.options["Q14"], answers.options["Q15"]) == (("C",), ("C",), ("B",))


def test_chosen_option_agreeing_with_numbers_is_kept() -> None:
    answers = parse_answers(edition(), with_answers(Q2={"options": ["C"], "inputs": {"total_devices": 10, "digital_devices": 3}}))
    assert answers.options["Q2"] == ("C",) and "Q2" in answers.derived


def test_flat_tolerance_is_data() -> None:
    tree = raw_2024()
    node(tree, "items", "Q13", "derive")["flat_tolerance_pct"] = 1
    tolerant = build(tree)
    within = with_answers(Q13={"inputs": {"pass_rate_last": "99.4", "pass_rate_prev": "98.5"}})  # +0.91 %
    beyond = with_answers(Q13={"inputs": {"pass_rate_last": "99.5", "pass_rate_prev": "98.5"}})  # +1.02 %
    assert parse_answers(tolerant, within).options["Q13"] == ("B",)
    assert parse_answers(tolerant, beyond).options["Q13"] == ("C",)
    assert parse_answers(edition(), within).options["Q13"] == ("C",)


# -- bad answers: one problem each, with its field path and stable code (issue item "Validation") ------
BAD = [
    ("unknown option", {"Q3": {"options": ["Z"]}}, [("answers.Q3", "answer.unknown_option")]),
    ("two options on a single-choice item", {"Q3": {"options": ["B", "C"]}}, [("answers.Q3", "answer.too_many_options")]),
    ("无 with others", {"Q6": {"options": ["A", "B"]}}, [("answers.Q6", "answer.exclusive_option")]),
    ("the same option twice", {"Q1": {"options": ["B", "B"]}}, [("answers.Q1", "answer.duplicate_option")]),
    ("no option on a multi-choice item", {"Q9": {"options": []}}, [("answers.Q9", "answer.no_option")]),
    ("unknown item", {"Q16": {"options": ["A"]}}, [("answers.Q16", "answer.unknown_item")]),
    ("malformed answer", {"Q5": {"option": "A"}}, [("answers.Q5", "answer.malformed")]),
    ("options not a list", {"Q5": {"options": "A"}}, [("answers.Q5", "answer.malformed")]),
    ("negative count", {"Q2": {"inputs": {"total_devices": -1, "digital_devices": 0}}},
     [("answers.Q2.inputs.total_devices", "input.negative")]),
    ("fractional count", {"Q2": {"inputs": {"total_devices": "10.5", "digital_devices": 1}}},
     [("answers.Q2.inputs.total_devices", "input.not_integer")]),
    ("not a number", {"Q2": {"inputs": {"total_devices": "many", "digital_devices": 1}}},
     [("answers.Q2.inputs.total_devices", "input.not_a_number")]),
    ("boolean is not a number", {"Q2": {"inputs": {"total_devices": True, "digital_devices": 1}}},
     [("answers.Q2.inputs.total_devices", "input.not_a_number")]),
    ("digital devices above total devices", {"Q2": {"inputs": {"total_devices": 10, "digital_devices": 11}}},
     [("answers.Q2.inputs.digital_devices", "input.exceeds")]),
    ("networked devices above total devices given under Q2",
     {"Q2": {"options": ["A"], "inputs": {"total_devices": 10}}, "Q3": {"inputs": {"networked_devices": 12}}},
     [("answers.Q3.inputs.networked_devices", "input.exceeds")]),
    ("numbers contradict the chosen option", {"Q3": {"options": ["B"], "inputs": {"total_devices": 10, "networked_devices": 5}}},
     [("answers.Q3", "answer.contradicts_inputs")]),
    ("trend contradicts the chosen option", {"Q13": {"options": ["C"], "inputs": {"pass_rate_last": 90, "pass_rate_prev": 95}}},
     [("answers.Q13", "answer.contradicts_inputs")]),
    ("input the item does not have", {"Q5": {"options": ["A"], "inputs": {"total_devices": 3}}},
     [("answers.Q5.inputs.total_devices", "input.unknown")]),
    ("the same quantity twice, different values",
     {"Q2": {"inputs": {"total_devices": 10, "digital_devices": 1}}, "Q3": {"inputs": {"total_devices": 11, "networked_devices": 1}}},
     [("answers.Q3.inputs.total_devices", "input.inconsistent")]),
    ("numbers incomplete and no option", {"Q2": {"inputs": {"digital_devices": 1}}},
     [("answers.Q2.inputs.total_devices", "input.missing")]),
    ("zero devices", {"Q2": {"inputs": {"total_devices": 0, "digital_devices": 0}}},
     [("answers.Q2.inputs.total_devices", "input.zero_denominator")]),
    ("zero employees", {"Q14": {"inputs": {"revenue_last": 1, "revenue_prev": 1, "employees_last": 0, "employees_prev": 3}}},
     [("answers.Q14.inputs.employees_last", "input.zero_denominator")]),
    ("pass rate above 100 %", {"Q13": {"inputs": {"pass_rate_last": 101, "pass_rate_prev": 99}}},
     [("answers.Q13.inputs.pass_rate_last", "input.above_max")]),
    ("investment above revenue: outside every band", {"Q11": {"inputs": {"digital_investment_avg": 11, "revenue_avg": 10}}},
     [("answers.Q11", "input.out_of_range")]),
    ("an absurdly large number", {"Q13": {"inputs": {"pass_rate_last": "1e-999999999", "pass_rate_prev": 1}}},
     [("answers.Q13.inputs.pass_rate_last", "input.out_of_bounds")]),
    ("a device count of 2^63", {"Q2": {"inputs": {"total_devices": str(2**63), "digital_devices": 1}}},
     [("answers.Q2.inputs.total_devices", "input.out_of_bounds")]),
    ("a device count of 10^15 (beyond what JavaScript keeps exactly)",
     {"Q2": {"inputs": {"total_devices": 10**15, "digital_devices": 1}}}, [("answers.Q2.inputs.total_devices", "input.out_of_bounds")]),
    ("an empty answer", {"Q5": {}}, [("answers.Q5", "answer.missing")]),
]  # fmt: skip


@pytest.mark.parametrize(("answers", "expected"), [(a, e) for _, a, e in BAD], ids=[n for n, _, _ in BAD])
def test_bad_answers_name_item_and_code(answers: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems_of(with_answers(**answers)) == expected


BAD_SCENES = [
    ("unknown scene", {"S17": 1}, [("scenes.S17", "scene.unknown")]),
    ("level above 4", {"S01": 5}, [("scenes.S01", "scene.invalid_level")]),
    ("negative level", {"S02": -1}, [("scenes.S02", "scene.invalid_level")]),
    ("level not a whole number", {"S03": "2"}, [("scenes.S03", "scene.invalid_level")]),
]


@pytest.mark.parametrize(("levels", "expected"), [(s, e) for _, s, e in BAD_SCENES], ids=[n for n, _, _ in BAD_SCENES])
def test_bad_scene_levels(levels: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    data = payload(ZERO, {**scenes(1), **levels})
    assert problems_of(data) == expected


def test_every_problem_is_reported_at_once() -> None:
    data = payload(FULL, scenes(1))
    data["answers"]["Q1"] = {"options": ["A", "C"]}
    data["answers"]["Q2"] = {"inputs": {"total_devices": 5, "digital_devices": 6}}
    del data["answers"]["Q15"]
    data["scenes"]["S09"] = 7
    del data["scenes"]["S16"]
    data["profile"] = "textiles"
    data["colour"] = "red"
    assert sorted(problems_of(data)) == sorted([
        ("colour", "payload.malformed"),
        ("profile", "profile.unknown"),
        ("answers.Q1", "answer.exclusive_option"),
        ("answers.Q2.inputs.digital_devices", "input.exceeds"),
        ("answers.Q15", "answer.missing"),
        ("scenes.S09", "scene.invalid_level"),
        ("scenes.S16", "scene.missing"),
    ])  # fmt: skip


def test_problem_messages_are_chinese_and_english() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        parse_answers(edition(), with_answers(Q2={"inputs": {"total_devices": 10, "digital_devices": 11}}))
    (problem,) = caught.value.problems
    assert problem.to_dict() == {
        "field": "answers.Q2.inputs.digital_devices",
        "code": "input.exceeds",
        "message_zh": "实现数字化的生产设备数量不能大于生产设备数量",
        "message_en": "digitalised production devices cannot exceed production devices",
    }


def test_draft_answers_may_be_incomplete() -> None:
    answers, problems = check_answers(edition(), {"answers": {"Q1": {"options": ["B"]}}, "scenes": {"S01": 2}}, complete=False)
    assert problems == []
    assert dict(answers.options) == {"Q1": ("B",)} and dict(answers.scene_levels) == {"S01": 2}
    with pytest.raises(AnswersInvalid):
        score_assessment(edition(), {"answers": {"Q1": {"options": ["B"]}}, "scenes": {"S01": 2}})
    with pytest.raises(AnswersInvalid) as caught:
        score_answers(edition(), answers)
    fields = [p.field for p in caught.value.problems]
    assert fields == [f"answers.Q{i}" for i in range(2, 16)] + [f"scenes.S{i:02d}" for i in range(2, 17)]


def test_edition_named_in_payload_must_match() -> None:
    assert problems_of({**payload(ZERO, scenes(1)), "edition": "2022"}) == [("edition", "edition.mismatch")]
