"""Titles: 授予“广州市四化赋能重点平台”称号 (S0 二(二)), 取消其称号 (S0 二(六)); Zhongshan's recognitions (S4 一)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry.domain.titles import (
    Title,
    TitleStatus,
    add_months,
    check_annual_quota,
    format_title_number,
    grant_title,
    parse_title_number,
    period_end,
    validity_window,
)
from sihua_shared.errors import DomainError
from sihua_shared.jurisdiction import Jurisdiction, load_jurisdiction


@pytest.fixture(scope="module")
def guangzhou() -> Jurisdiction:
    return load_jurisdiction("guangzhou")


@pytest.fixture(scope="module")
def zhongshan() -> Jurisdiction:
    return load_jurisdiction("zhongshan")


NUMBERS = [
    ("S0 二(二) key platform", "guangzhou", "key_platform", 2026, 1, "GZSH-KP-2026-0001"),
    ("S2 三(一) traction unit", "guangzhou", "traction_unit", 2024, 37, "GZSH-TU-2024-0037"),
    ("sequence beyond four digits widens", "guangzhou", "diagnosis_provider", 2026, 12345, "GZSH-DP-2026-12345"),
    ("S4 一(一) Zhongshan demonstration factory", "zhongshan", "demonstration_factory", 2025, 3, "ZSSZ-DF-2025-0003"),
]


@pytest.mark.parametrize(("case", "city", "kind", "year", "seq", "number"), NUMBERS, ids=[n[0] for n in NUMBERS])
def test_title_numbers(request: pytest.FixtureRequest, case: str, city: str, kind: str, year: int, seq: int, number: str) -> None:
    jurisdiction: Jurisdiction = request.getfixturevalue(city)
    assert format_title_number(jurisdiction, kind, year, seq) == number
    parsed = parse_title_number(jurisdiction, number)
    assert (parsed.kind, parsed.year, parsed.sequence) == (kind, year, seq)


BAD_NUMBERS = [
    ("another city's prefix", "ZSSZ-KP-2026-0001"),
    ("unknown kind code", "GZSH-XX-2026-0001"),
    ("two-digit year", "GZSH-KP-26-0001"),
    ("garbage", "hello"),
]


@pytest.mark.parametrize(("case", "number"), BAD_NUMBERS, ids=[b[0] for b in BAD_NUMBERS])
def test_bad_title_numbers(guangzhou: Jurisdiction, case: str, number: str) -> None:
    with pytest.raises(DomainError) as info:
        parse_title_number(guangzhou, number)
    assert info.value.code == "title_number_invalid"


def test_number_inputs(guangzhou: Jurisdiction) -> None:
    for kind, year, seq, code in (
        ("demonstration_factory", 2026, 1, "title_kind_unknown"),  # Guangzhou grants no such title
        ("key_platform", 26, 1, "title_year_invalid"),
        ("key_platform", 2026, 0, "title_sequence_invalid"),
    ):
        with pytest.raises(DomainError) as info:
            format_title_number(guangzhou, kind, year, seq)
        assert info.value.code == code


PERIODS = [
    ("two years from 1 April (the contract example)", date(2026, 4, 1), 24, date(2028, 3, 31)),
    ("from the 1st of a month", date(2026, 3, 1), 1, date(2026, 3, 31)),
    ("from 29 February: the year ends on 28 February", date(2024, 2, 29), 12, date(2025, 2, 28)),
    ("from 31 January, one month", date(2026, 1, 31), 1, date(2026, 2, 28)),
    ("from 31 January 2024 (leap), one month", date(2024, 1, 31), 1, date(2024, 2, 29)),
    ("mid-month", date(2026, 6, 15), 12, date(2027, 6, 14)),
    ("December", date(2026, 12, 1), 1, date(2026, 12, 31)),
]


@pytest.mark.parametrize(("case", "start", "months", "end"), PERIODS, ids=[p[0] for p in PERIODS])
def test_period_end(case: str, start: date, months: int, end: date) -> None:
    assert period_end(start, months) == end


def test_add_months_clamps() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 5, 15), -5) == date(2025, 12, 15)


def test_validity_windows_come_from_the_jurisdiction(guangzhou: Jurisdiction, zhongshan: Jurisdiction) -> None:
    assert validity_window(guangzhou, "key_platform", date(2026, 4, 1)) == (date(2026, 4, 1), date(2028, 3, 31))
    assert validity_window(guangzhou, "diagnosis_provider", date(2026, 4, 1)) == (date(2026, 4, 1), date(2027, 3, 31))
    assert validity_window(zhongshan, "key_platform", date(2025, 1, 1)) == (date(2025, 1, 1), date(2027, 12, 31))
    assert validity_window(zhongshan, "demonstration_factory", date(2025, 1, 1)) == (date(2025, 1, 1), date(2027, 12, 31))


@pytest.mark.parametrize("start", [date(9998, 6, 1), date(9999, 12, 31)])
def test_a_validity_that_would_end_after_year_9999_is_refused(guangzhou: Jurisdiction, start: date) -> None:
    with pytest.raises(DomainError) as info:
        validity_window(guangzhou, "key_platform", start)
    assert (info.value.code, info.value.field) == ("validity_out_of_range", "valid_from")
    assert validity_window(guangzhou, "key_platform", date(9997, 1, 1))[1] == date(9998, 12, 31)


@pytest.fixture
def title(guangzhou: Jurisdiction) -> Title:
    return grant_title(guangzhou, "key_platform", "org-1", year=2026, sequence=1, valid_from=date(2026, 4, 1))


def test_grant(title: Title) -> None:
    assert title.number == "GZSH-KP-2026-0001"
    assert title.name_zh == "广州市四化赋能重点平台"
    assert (title.valid_from, title.valid_until) == (date(2026, 4, 1), date(2028, 3, 31))
    assert title.revoked_on is None


STATUS = [
    ("day before valid_from", date(2026, 3, 31), TitleStatus.PENDING),
    ("valid_from is inclusive", date(2026, 4, 1), TitleStatus.VALID),
    ("valid_until is inclusive", date(2028, 3, 31), TitleStatus.VALID),
    ("day after valid_until", date(2028, 4, 1), TitleStatus.EXPIRED),
]


@pytest.mark.parametrize(("case", "day", "status"), STATUS, ids=[s[0] for s in STATUS])
def test_validity(title: Title, case: str, day: date, status: TitleStatus) -> None:
    assert title.status_on(day) is status
    assert title.is_valid_on(day) is (status is TitleStatus.VALID)


def test_validity_at_an_instant_uses_the_jurisdiction_date(title: Title, guangzhou: Jurisdiction) -> None:
    # 2028-03-31 16:30 UTC is already 2028-04-01 00:30 in Shanghai
    assert title.status_at(datetime(2028, 3, 31, 16, 30, tzinfo=UTC), guangzhou.time_zone) is TitleStatus.EXPIRED
    assert title.is_valid_at(datetime(2028, 3, 31, 15, 59, tzinfo=UTC), guangzhou.zone)
    # 2026-03-31 16:00 UTC is 2026-04-01 00:00 in Shanghai: the first valid moment
    assert title.is_valid_at(datetime(2026, 3, 31, 16, 0, tzinfo=UTC), guangzhou.zone)
    with pytest.raises(ValueError):
        title.is_valid_at(datetime(2026, 5, 1, 12, 0), guangzhou.zone)
    with pytest.raises(TypeError):
        title.status_on(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))


# S0 二(六): 对服务情况评价不好的平台，取消其广州市“四化”赋能重点平台称号
def test_revocation_takes_effect_on_its_date(title: Title) -> None:
    revoked = title.revoke(date(2027, 4, 15), "年度评价不合格", "evaluation")
    assert revoked.is_valid_on(date(2027, 4, 14))
    assert revoked.status_on(date(2027, 4, 15)) is TitleStatus.REVOKED
    assert revoked.status_on(date(2028, 4, 1)) is TitleStatus.REVOKED  # revoked, not merely expired
    assert (revoked.revocation_reason, revoked.revoked_by) == ("年度评价不合格", "evaluation")
    assert title.revoked_on is None  # titles are values: the original is unchanged


def test_revoking_before_it_starts_means_never_valid(title: Title) -> None:
    revoked = title.revoke(date(2026, 3, 1), "申报材料造假", "city_officer")
    assert not any(revoked.is_valid_on(d) for d in (date(2026, 4, 1), date(2027, 1, 1)))


REVOKE_REFUSED = [
    ("twice", lambda t: t.revoke(date(2027, 1, 1), "评价不合格", "evaluation").revoke(date(2027, 2, 1), "再次", "city_officer"),
     "title_already_revoked"),
    ("after expiry", lambda t: t.revoke(date(2028, 4, 1), "评价不合格", "evaluation"), "title_expired"),
    ("without a reason", lambda t: t.revoke(date(2027, 1, 1), "  ", "city_officer"), "revocation_reason_required"),
]


@pytest.mark.parametrize(("case", "act", "code"), REVOKE_REFUSED, ids=[r[0] for r in REVOKE_REFUSED])
def test_revocation_refused(title: Title, case: str, act: object, code: str) -> None:
    with pytest.raises(DomainError) as info:
        act(title)  # type: ignore[operator]
    assert info.value.code == code


def test_a_title_without_expiry(zhongshan: Jurisdiction) -> None:
    titles = dict(zhongshan.titles)
    titles["demonstration_factory"] = titles["demonstration_factory"].model_copy(update={"validity_months": None})
    until_revoked = zhongshan.model_copy(update={"titles": titles})
    factory = grant_title(until_revoked, "demonstration_factory", "org-2", year=2025, sequence=1, valid_from=date(2025, 6, 1))
    assert factory.valid_until is None
    assert factory.is_valid_on(date(2060, 1, 1))
    assert factory.number == "ZSSZ-DF-2025-0001"


def test_inverted_validity_refused() -> None:
    with pytest.raises(DomainError) as info:
        Title("N", "key_platform", "名", "org", date(2026, 4, 1), date(2026, 3, 31))
    assert info.value.code == "title_validity_inverted"


ANNUAL = [
    ("S4 一(一) 示范工厂: the 10th is allowed", "demonstration_factory", 9, None),
    ("S4 一(一) 示范工厂: not an 11th", "demonstration_factory", 10, "title_annual_quota_reached"),
    ("S4 一(二) 示范车间: 15 a year", "demonstration_workshop", 15, "title_annual_quota_reached"),
    ("S4 一(三) 工业互联网标杆: 10 a year", "iiot_benchmark", 10, "title_annual_quota_reached"),
    ("标杆平台: no yearly cap", "key_platform", 1000, None),
]


@pytest.mark.parametrize(("case", "kind", "granted", "code"), ANNUAL, ids=[a[0] for a in ANNUAL])
def test_annual_quota(zhongshan: Jurisdiction, case: str, kind: str, granted: int, code: str | None) -> None:
    if code is None:
        check_annual_quota(zhongshan, kind, granted)
    else:
        with pytest.raises(DomainError) as info:
            check_annual_quota(zhongshan, kind, granted)
        assert info.value.code == code
