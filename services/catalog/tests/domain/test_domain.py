"""The catalog's pure rules: scoring against the rubric, product content checks, the review lifecycle, the query
segmentation with synonyms, price bands."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.domain.product import REVIEW, Review, Step, catalogue_number, check_content
from catalog.domain.review import aggregate, load_rubric, parse_rubric
from catalog.domain.search import Synonyms, price_band, segmented, tsquery, words
from sihua_shared.errors import DomainError, TransitionNotAllowed

RUBRIC = load_rubric()
ALL = {c.code: 10 for c in RUBRIC.criteria}


def test_the_shipped_rubric_weighs_to_a_hundred_and_totals_exactly() -> None:
    assert sum(c.weight for c in RUBRIC.criteria) == 100 and RUBRIC.key == "admission-2026@1"
    assert RUBRIC.total(ALL) == Decimal("100.00")
    # 30·7/10 + 25·8/10 + 25·9/10 + 20·3/10 = 21 + 20 + 22.5 + 6
    assert RUBRIC.total({"effectiveness": 7, "usability": 8, "deliverability": 9, "price": 3}) == Decimal("69.50")


def test_scores_out_of_range_or_missing_name_the_field() -> None:
    with pytest.raises(DomainError) as missing:
        RUBRIC.total({"effectiveness": 7})
    assert missing.value.field == "body.scores.usability"
    with pytest.raises(DomainError) as high:
        RUBRIC.total({**ALL, "price": 11})
    assert high.value.code == "score_out_of_range" and high.value.field == "body.scores.price"
    with pytest.raises(DomainError) as extra:
        RUBRIC.total({**ALL, "beauty": 1})
    assert extra.value.code == "score_unknown_criterion"


def test_the_panel_result_drops_the_extremes_from_five_experts_and_rounds_half_up() -> None:
    three = aggregate(RUBRIC, {"a": ALL, "b": {**ALL, "price": 0}, "c": {**ALL, "price": 5}}, ["a", "b", "c"])
    assert three.final_score == Decimal("90.00") and three.dropped == () and three.passes  # (100 + 80 + 90) / 3
    scores = {e: {**ALL, "price": p} for e, p in zip("abcde", (0, 1, 2, 3, 10), strict=True)}
    five = aggregate(RUBRIC, scores, list("abcde"))
    assert set(five.dropped) == {"a", "e"} and five.final_score == Decimal("84.00")  # (82 + 84 + 86) / 3
    assert five.spread == Decimal("20.00") and not five.needs_chair_review
    odd = aggregate(RUBRIC, {"a": {**ALL, "price": 1}, "b": {**ALL, "price": 2}, "c": {**ALL, "price": 2}}, list("abc"))
    assert odd.final_score == Decimal("83.33")


def test_incomplete_or_stray_scores_are_refused() -> None:
    with pytest.raises(DomainError) as incomplete:
        aggregate(RUBRIC, {"a": ALL}, ["a", "b"])
    assert incomplete.value.code == "scores_incomplete"
    with pytest.raises(DomainError) as stray:
        aggregate(RUBRIC, {"a": ALL, "x": ALL}, ["a"])
    assert stray.value.code == "score_from_unassigned_expert"


def test_a_rubric_file_that_does_not_weigh_to_a_hundred_is_refused_on_load() -> None:
    raw = {"id": "x", "version": 1, "pass_score": "60", "panel_size": 3, "spread_limit": "20",
           "criteria": [{"code": "a", "name_zh": "甲", "weight": 50, "max_points": 10}]}
    with pytest.raises(ValueError, match="sum to 100"):
        parse_rubric(raw)


def test_the_review_lifecycle_and_its_reasons() -> None:
    state = REVIEW.step(Review.DRAFT, Step.SUBMIT)
    state = REVIEW.step(state, Step.START_FORMAL_CHECK)
    with pytest.raises(DomainError) as no_reason:
        REVIEW.step(state, Step.RETURN, reasons=[" "])
    assert no_reason.value.code == "reasons_required"
    assert REVIEW.step(state, Step.RETURN, reasons=["缺少产品说明书"]) == Review.RETURNED
    assert REVIEW.step(Review.RETURNED, Step.SUBMIT) == Review.SUBMITTED
    with pytest.raises(TransitionNotAllowed):
        REVIEW.step(Review.SUBMITTED, Step.ADMIT)
    assert REVIEW.step(REVIEW.step(state, Step.PASS_FORMAL_CHECK), Step.ADMIT) == Review.ADMITTED


def test_content_problems_are_listed_each_with_its_field() -> None:
    content = {"packages": [{"code": "a", "price_fen": 1}, {"code": "a", "price_fen": 2}], "scenes": ["S01", "S99"],
               "business_links": ["design", "design"]}
    with pytest.raises(DomainError) as refused:
        check_content(content, {"S01": "产品设计"})
    assert {p.field for p in refused.value.problems} == {"body.packages.1.code", "body.scenes.1", "body.business_links"}


def test_segmentation_gives_new_words_and_their_parts() -> None:
    assert "排产" in words("智能排产云") and "排产云" in words("智能排产云")
    # precise words first, in order (phrases stay adjacent), then the finer ones
    assert segmented("设备预测性维护", None).split() == ["设备", "预测性", "维护", "预测", "测性"]


def test_queries_expand_synonyms_and_need_every_word() -> None:
    synonyms = Synonyms(1, (("排产", "计划排程"),))
    assert tsquery("排产", synonyms) == "('排产' | ('计划' <-> '排程'))"
    assert tsquery("计划排程 系统", synonyms) == "('排产' | ('计划' <-> '排程')) & '系统'"
    assert tsquery("！？", synonyms) is None
    assert tsquery("it's", synonyms) == "'it' & 's'"  # quotes never reach the tsquery unescaped


def test_price_bands_and_catalogue_numbers() -> None:
    assert [price_band(p) for p in (0, 999_999, 1_000_000, 19_999_999, 20_000_000, None)] == [
        "under_10k", "under_10k", "10k_50k", "50k_200k", "over_200k", None]
    assert catalogue_number(2026, 7) == "GZ-XKQZ-2026-0007"

