"""Calls (征集, S0 二(一)): kinds, intake windows, rubrics (S0 二(二)), and the cut."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from registry.domain.calls import (
    CallConfig,
    CallKind,
    Criterion,
    IntakeWindow,
    Rubric,
    key_platform_rubric_template,
    round_hundredths,
    rubric_from_rows,
    rubric_rows,
)
from registry.domain.ranking import CutOutcome, CutRule, ScoredApplication, rank_and_cut
from sihua_shared.errors import DomainError
from sihua_shared.jurisdiction import Jurisdiction, load_jurisdiction

D = Decimal


@pytest.fixture(scope="module")
def guangzhou() -> Jurisdiction:
    return load_jurisdiction("guangzhou")


@pytest.fixture(scope="module")
def zhongshan() -> Jurisdiction:
    return load_jurisdiction("zhongshan")


# ---- intake window ---------------------------------------------------------------------------------------------

DATED = IntakeWindow(date(2026, 3, 1), date(2026, 6, 30))
YEAR_ROUND = IntakeWindow(date(2026, 1, 5))

WINDOW_DAYS = [
    ("dated: day before opening", DATED, date(2026, 2, 28), False),
    ("dated: opening day counts", DATED, date(2026, 3, 1), True),
    ("dated: closing day counts", DATED, date(2026, 6, 30), True),
    ("dated: day after closing", DATED, date(2026, 7, 1), False),
    ("S0 二(一) 全年开放: before opening", YEAR_ROUND, date(2026, 1, 4), False),
    ("S0 二(一) 全年开放: years later", YEAR_ROUND, date(2031, 12, 31), True),
]


@pytest.mark.parametrize(("case", "window", "day", "open_"), WINDOW_DAYS, ids=[w[0] for w in WINDOW_DAYS])
def test_window_dates(case: str, window: IntakeWindow, day: date, open_: bool) -> None:
    assert window.is_open_on(day) is open_


SHANGHAI_INSTANTS = [
    ("23:59:59 Shanghai on the closing day is open", datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC), True),
    ("00:00 Shanghai the next day is closed (still 06-30 in UTC)", datetime(2026, 6, 30, 16, 0, tzinfo=UTC), False),
    ("00:30 Shanghai on opening day is open (still 02-28 in UTC)", datetime(2026, 2, 28, 16, 30, tzinfo=UTC), True),
    ("an instant in another offset is converted", datetime(2026, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=9))), True),
]


@pytest.mark.parametrize(("case", "instant", "open_"), SHANGHAI_INSTANTS, ids=[s[0] for s in SHANGHAI_INSTANTS])
def test_window_is_judged_in_the_jurisdiction_zone(guangzhou: Jurisdiction, case: str, instant: datetime, open_: bool) -> None:
    assert DATED.is_open_at(instant, guangzhou.time_zone) is open_
    assert DATED.is_open_at(instant, guangzhou.zone) is open_


def test_require_open() -> None:
    DATED.require_open_at(datetime(2026, 3, 1, 1, 0, tzinfo=UTC), "Asia/Shanghai")
    with pytest.raises(DomainError) as info:
        DATED.require_open_at(datetime(2026, 7, 1, 1, 0, tzinfo=UTC), "Asia/Shanghai")
    assert info.value.code == "call_not_open"
    assert info.value.details == {"opens_on": "2026-03-01", "closes_on": "2026-06-30"}


def test_window_rules() -> None:
    assert YEAR_ROUND.year_round and not DATED.year_round
    with pytest.raises(ValueError):
        DATED.is_open_at(datetime(2026, 3, 1, 12, 0), "Asia/Shanghai")
    with pytest.raises(DomainError) as info:
        IntakeWindow(date(2026, 6, 30), date(2026, 3, 1))
    assert info.value.code == "window_inverted"
    with pytest.raises(DomainError):
        IntakeWindow(datetime(2026, 3, 1, 8, 0))


# ---- rubric ---------------------------------------------------------------------------------------------------------


def test_template_has_the_three_capabilities_of_s0() -> None:
    rubric = key_platform_rubric_template()
    assert [c.name_zh for c in rubric.criteria] == ["技术能力", "规模实力", "服务能力"]
    assert sum(c.weight for c in rubric.criteria) == 100


BAD_RUBRICS = [
    ("weights sum to 99", [("a", 50, D(50)), ("b", 49, D(49))], "rubric_weights_sum", "rubric.criteria"),
    ("weights sum to 101", [("a", 51, D(10)), ("b", 50, D(10))], "rubric_weights_sum", "rubric.criteria"),
    ("zero weight", [("a", 100, D(10)), ("b", 0, D(10))], "criterion_weight_invalid", "rubric.criteria[1].weight"),
    ("negative weight", [("a", 110, D(10)), ("b", -10, D(10))], "criterion_weight_invalid", "rubric.criteria[1].weight"),
    ("zero max points", [("a", 100, D(0))], "criterion_max_points_invalid", "rubric.criteria[0].max_points"),
    ("negative max points", [("a", 100, D(-5))], "criterion_max_points_invalid", "rubric.criteria[0].max_points"),
    ("float max points", [("a", 100, 10.0)], "not_exact_number", "rubric.criteria[0].max_points"),
    ("duplicate code", [("a", 50, D(10)), ("a", 50, D(10))], "criterion_code_duplicate", "rubric.criteria[1].code"),
    ("no criteria", [], "rubric_empty", "rubric.criteria"),
]


@pytest.mark.parametrize(("case", "rows", "code", "field"), BAD_RUBRICS, ids=[b[0] for b in BAD_RUBRICS])
def test_rubric_validation(case: str, rows: list[tuple[str, int, Decimal]], code: str, field: str) -> None:
    with pytest.raises(DomainError) as info:
        Rubric(tuple(Criterion(c, c, w, m) for c, w, m in rows))
    assert info.value.code == code
    assert info.value.field == field


TOTALS = [
    # (case, criteria (code, weight, max), scores, total)
    ("max = weight: plain sum", [("t", 40, D(40)), ("s", 30, D(30)), ("v", 30, D(30))], {"t": D("35.5"), "s": 20, "v": D(28)}, D("83.50")),
    ("scales differ: 7/10 of 50 + 9/10 of 50", [("a", 50, D(10)), ("b", 50, D(10))], {"a": 7, "b": 9}, D("80.00")),
    ("rounded once: 1/3 of 100", [("a", 100, D(3))], {"a": 1}, D("33.33")),
    ("rounded once: 2/3 of 100", [("a", 100, D(3))], {"a": 2}, D("66.67")),
    ("half-up, not half-even: 0.025 → 0.03", [("a", 100, D(40))], {"a": D("0.01")}, D("0.03")),
    ("full marks", [("a", 60, D(5)), ("b", 40, D(7))], {"a": 5, "b": 7}, D("100.00")),
    ("zero", [("a", 60, D(5)), ("b", 40, D(7))], {"a": 0, "b": 0}, D("0.00")),
]


@pytest.mark.parametrize(("case", "criteria", "scores", "total"), TOTALS, ids=[t[0] for t in TOTALS])
def test_weighted_total(case: str, criteria: list[tuple[str, int, Decimal]], scores: dict[str, object], total: Decimal) -> None:
    rubric = Rubric(tuple(Criterion(c, c, w, m) for c, w, m in criteria))
    assert rubric.total(scores) == total
    assert str(rubric.total(scores)) == str(total)


BAD_SCORES = [
    ("above max", {"technical_capability": 41, "scale_strength": 0, "service_capability": 0}, "score_out_of_range"),
    ("negative", {"technical_capability": -1, "scale_strength": 0, "service_capability": 0}, "score_out_of_range"),
    ("float", {"technical_capability": 30.5, "scale_strength": 0, "service_capability": 0}, "not_exact_number"),
    ("three decimals", {"technical_capability": D("30.125"), "scale_strength": 0, "service_capability": 0}, "too_many_decimals"),
    ("missing criterion", {"technical_capability": 30, "scale_strength": 0}, "score_missing"),
    (
        "unknown criterion",
        {"technical_capability": 30, "scale_strength": 0, "service_capability": 0, "charm": 5},
        "score_unknown_criterion",
    ),
]


@pytest.mark.parametrize(("case", "scores", "code"), BAD_SCORES, ids=[b[0] for b in BAD_SCORES])
def test_scores_are_checked(case: str, scores: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as info:
        key_platform_rubric_template().total(scores)
    assert info.value.code == code


def test_rubric_rows_round_trip() -> None:
    rubric = key_platform_rubric_template()
    rows = rubric_rows(rubric)
    assert rows[0] == {"code": "technical_capability", "name_zh": "技术能力", "weight": 40, "max_points": "40"}
    assert rubric_from_rows(rows) == rubric
    with pytest.raises(DomainError) as info:
        rubric_from_rows([{"code": "a", "name_zh": "a", "weight": 100}])
    assert info.value.code == "criterion_incomplete"


def test_round_hundredths_is_half_up() -> None:
    from fractions import Fraction

    assert round_hundredths(Fraction(1, 400)) == D("0.00")  # 0.0025
    assert round_hundredths(Fraction(1, 200)) == D("0.01")  # 0.005
    assert round_hundredths(D("86.245")) == D("86.25")
    assert round_hundredths(Fraction(-1, 200)) == D("-0.01")


# ---- cut rule ---------------------------------------------------------------------------------------------------


def test_cut_rule_validation() -> None:
    for kwargs, code in (
        ({}, "cut_rule_empty"),
        ({"quota": 0}, "quota_invalid"),
        ({"pass_mark": D("100.01")}, "pass_mark_out_of_range"),
        ({"pass_mark": 60.0}, "not_exact_number"),
    ):
        with pytest.raises(DomainError) as info:
            CutRule(**kwargs)  # type: ignore[arg-type]
        assert info.value.code == code


def _apps(*scores: str | tuple[str, tuple[str, ...]]) -> list[ScoredApplication]:
    out = []
    for i, s in enumerate(scores):
        if isinstance(s, tuple):
            out.append(ScoredApplication(f"app-{i}", D(s[0]), tuple(D(t) for t in s[1])))
        else:
            out.append(ScoredApplication(f"app-{i}", D(s)))
    return out


SEL, BELOW, OVER, TIE = CutOutcome.SELECTED, CutOutcome.BELOW_PASS_MARK, CutOutcome.OVER_QUOTA, CutOutcome.TIE_AT_CUT

CUTS = [
    ("pass mark only: ≥ mark is in", CutRule(pass_mark=D(70)), _apps("69.99", "70.00", "88"),
     [("app-2", 1, SEL), ("app-1", 2, SEL), ("app-0", 3, BELOW)]),
    ("quota only", CutRule(quota=2), _apps("60", "90", "80", "70"),
     [("app-1", 1, SEL), ("app-2", 2, SEL), ("app-3", 3, OVER), ("app-0", 4, OVER)]),
    ("both: quota among those passing", CutRule(pass_mark=D(75), quota=3), _apps("60", "90", "80", "70"),
     [("app-1", 1, SEL), ("app-2", 2, SEL), ("app-3", 3, BELOW), ("app-0", 4, BELOW)]),
    ("both: quota binds before the mark", CutRule(pass_mark=D(60), quota=1), _apps("60", "90", "80"),
     [("app-1", 1, SEL), ("app-2", 2, OVER), ("app-0", 3, OVER)]),
    ("tie straddling the quota line → panel decides", CutRule(quota=2), _apps("90", "80", "80", "70"),
     [("app-0", 1, SEL), ("app-1", 2, TIE), ("app-2", 2, TIE), ("app-3", 4, OVER)]),
    ("tie inside the quota is fine", CutRule(quota=3), _apps("90", "80", "80", "70"),
     [("app-0", 1, SEL), ("app-1", 2, SEL), ("app-2", 2, SEL), ("app-3", 4, OVER)]),
    ("tie broken by the first criterion", CutRule(quota=1), _apps(("80", ("30", "50")), ("80", ("35", "45"))),
     [("app-1", 1, SEL), ("app-0", 2, OVER)]),
    ("tie below the mark stays below", CutRule(pass_mark=D(85), quota=1), _apps("80", "80"),
     [("app-0", 1, BELOW), ("app-1", 1, BELOW)]),
    ("nobody", CutRule(quota=3), [], []),
]


@pytest.mark.parametrize(("case", "rule", "apps", "expected"), CUTS, ids=[c[0] for c in CUTS])
def test_rank_and_cut(case: str, rule: CutRule, apps: list[ScoredApplication], expected: list[tuple[str, int, CutOutcome]]) -> None:
    ranked = rank_and_cut(apps, rule)
    assert [(r.application_id, r.rank, r.outcome) for r in ranked] == expected
    assert rank_and_cut(list(reversed(apps)), rule) == ranked  # input order does not matter


def test_rank_and_cut_refuses_duplicates_and_floats() -> None:
    with pytest.raises(DomainError) as info:
        rank_and_cut([ScoredApplication("a", D(1)), ScoredApplication("a", D(2))], CutRule(quota=1))
    assert info.value.code == "duplicate_application"
    with pytest.raises(DomainError):
        rank_and_cut([ScoredApplication("a", 80.5)], CutRule(quota=1))  # type: ignore[arg-type]


# ---- the call and the jurisdiction --------------------------------------------------------------------------------


def _call(kind: str, category: str | None = None, sector: str | None = None) -> CallConfig:
    return CallConfig(
        kind=kind, title="2026年征集", window=YEAR_ROUND, rubric=key_platform_rubric_template(),
        cut_rule=CutRule(pass_mark=D(60), quota=5), experts_per_application=5, category=category, sector=sector,
    )


FITS = [
    ("S0 二(一) key platform, industrial internet", "guangzhou", CallKind.KEY_PLATFORM, "industrial_internet", None, None),
    ("S0 二(一) key platform, 其他重点领域", "guangzhou", CallKind.KEY_PLATFORM, "other", None, None),
    ("S0 二(一) key platform needs a category", "guangzhou", CallKind.KEY_PLATFORM, None, None, "call_category_invalid"),
    ("S0 二(一) unknown category", "guangzhou", CallKind.KEY_PLATFORM, "blockchain", None, "call_category_invalid"),
    ("S2 三(一) traction unit, 箱包", "guangzhou", CallKind.TRACTION_UNIT, None, "luggage", None),
    ("S2 三(一) traction unit needs a pilot sector", "guangzhou", CallKind.TRACTION_UNIT, None, None, "call_sector_invalid"),
    ("S2 三(一) unknown sector", "guangzhou", CallKind.TRACTION_UNIT, None, "lighting", "call_sector_invalid"),
    ("S0 二(四) diagnosis provider", "guangzhou", CallKind.DIAGNOSIS_PROVIDER, None, None, None),
    ("S0 二(四) no category on a diagnosis call", "guangzhou", CallKind.DIAGNOSIS_PROVIDER, "other", None, "call_category_not_applicable"),
    ("S2 三(九) third party", "guangzhou", CallKind.THIRD_PARTY, None, None, None),
    ("S2 三(九) no sector on a third-party call", "guangzhou", CallKind.THIRD_PARTY, None, "luggage", "call_sector_not_applicable"),
    ("S4 三(七) Zhongshan key platform, 数字赋能平台", "zhongshan", CallKind.KEY_PLATFORM, "digital_enablement", None, None),
    ("S4: Zhongshan has no traction units", "zhongshan", CallKind.TRACTION_UNIT, None, "lighting", "call_kind_not_in_jurisdiction"),
    # recognitions are calls too: the kind is the jurisdiction's data (issue 10 §3)
    ("S2 三(五) digital workshop of one pilot sector", "guangzhou", "digital_workshop", None, "apparel", None),
    ("S2 三(五) digital workshop citywide, no sector", "guangzhou", "digital_workshop", None, None, None),
    ("S2 三(五) digital workshop, not a pilot sector", "guangzhou", "digital_workshop", None, "lighting", "call_sector_invalid"),
    ("S2 三(五) no category on a factory call", "guangzhou", "smart_manufacturing_factory", "other", None,
     "call_category_not_applicable"),
    ("S2 五(九) excellent traction unit", "guangzhou", "excellent_traction_unit", None, None, None),
    ("S4 一(一) Zhongshan demonstration factory", "zhongshan", "demonstration_factory", None, None, None),
    ("S4 一(一) a factory call names no sector", "zhongshan", "demonstration_factory", None, "lighting", "call_sector_not_applicable"),
    ("S4: Guangzhou has no demonstration_factory kind", "guangzhou", "demonstration_factory", None, None,
     "call_kind_not_in_jurisdiction"),
    ("S2: Zhongshan has no digital_workshop kind", "zhongshan", "digital_workshop", None, None, "call_kind_not_in_jurisdiction"),
]


@pytest.mark.parametrize(("case", "city", "kind", "category", "sector", "error"), FITS, ids=[f[0] for f in FITS])
def test_call_fits_the_jurisdiction(
    request: pytest.FixtureRequest, case: str, city: str, kind: str, category: str | None, sector: str | None, error: str | None
) -> None:
    jurisdiction: Jurisdiction = request.getfixturevalue(city)
    call = _call(kind, category, sector)
    if error is None:
        call.validate_for(jurisdiction)
    else:
        with pytest.raises(DomainError) as info:
            call.validate_for(jurisdiction)
        assert info.value.code == error


def test_a_capped_kind_selects_at_most_its_yearly_cap(zhongshan: Jurisdiction) -> None:
    """S4 一(一): ≤ 10 示范工厂 a year, so a factory call's quota is set and at most 10 (a 标杆平台 call has no cap)."""
    def factory(quota: int | None) -> CallConfig:
        return CallConfig(kind="demonstration_factory", title="示范工厂认定", window=YEAR_ROUND, rubric=key_platform_rubric_template(),
                          cut_rule=CutRule(pass_mark=D(60), quota=quota), experts_per_application=5)

    factory(10).validate_for(zhongshan)
    for quota in (None, 11):
        with pytest.raises(DomainError) as info:
            factory(quota).validate_for(zhongshan)
        assert (info.value.code, info.value.field, info.value.details) == ("call_quota_above_annual_cap", "cut_rule.quota",
                                                                           {"annual_quota": 10})
    _call(CallKind.KEY_PLATFORM, "digital_enablement").validate_for(zhongshan)


def test_call_basics() -> None:
    for kwargs, code in (({"title": " "}, "call_title_missing"), ({"experts_per_application": 0}, "experts_per_application_invalid")):
        with pytest.raises(DomainError) as info:
            CallConfig(**({
                "kind": CallKind.THIRD_PARTY, "title": "征集", "window": YEAR_ROUND, "rubric": key_platform_rubric_template(),
                "cut_rule": CutRule(quota=1), "experts_per_application": 5,
            } | kwargs))  # type: ignore[arg-type]
        assert info.value.code == code
