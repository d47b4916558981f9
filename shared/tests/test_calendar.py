"""Working days from China's official schedule (chinesecalendar), the override file, and a visible fallback."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from sihua_shared.calendar import (
    OVERRIDE_FILE,
    CalendarNotCovered,
    CalendarSource,
    WorkingDayCalendar,
    YearOverride,
    load_overrides,
)

# A year no release of the package will cover for a long time: the fallback tests stay meaningful.
FAR_YEAR = 2099


@pytest.fixture
def calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar.from_file()


# The State Council's schedules (国务院办公厅关于部分节假日安排的通知), including adjusted working days (调休).
OFFICIAL_DAYS = [
    ("2024 春节 调休上班 (Sun)", date(2024, 2, 4), True),
    ("2024 春节 放假 (Sat)", date(2024, 2, 10), False),
    ("2024 春节 调休上班 (Sun)", date(2024, 2, 18), True),
    ("2025 春节 调休上班 (Sun)", date(2025, 1, 26), True),
    ("2025 春节 放假 (Tue)", date(2025, 1, 28), False),
    ("2025 春节 调休上班 (Sat)", date(2025, 2, 8), True),
    ("2025 国庆 调休上班 (Sun)", date(2025, 9, 28), True),
    ("2025 国庆 放假 (Wed)", date(2025, 10, 1), False),
    ("2025 国庆中秋 放假 (Wed)", date(2025, 10, 8), False),
    ("2025 国庆 调休上班 (Sat)", date(2025, 10, 11), True),
    ("2026 元旦 (Thu)", date(2026, 1, 1), False),
    ("2026 国庆 调休上班 (Sat)", date(2026, 10, 10), True),
    ("ordinary Monday", date(2025, 3, 3), True),
    ("ordinary Sunday", date(2025, 3, 2), False),
]


@pytest.mark.parametrize(("case", "day", "working"), OFFICIAL_DAYS, ids=[c[0] for c in OFFICIAL_DAYS])
def test_official_schedule(calendar: WorkingDayCalendar, case: str, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working
    assert calendar.source_for(day.year) is CalendarSource.PACKAGE
    assert not calendar.fallback_used


ADD = [
    ("across 2025 国庆: 9-30 + 1 → 10-09", date(2025, 9, 30), 1, date(2025, 10, 9)),
    ("10-09 + 2 → Sat 10-11 (调休上班)", date(2025, 10, 9), 2, date(2025, 10, 11)),
    ("zero is the day itself, even a holiday", date(2025, 10, 3), 0, date(2025, 10, 3)),
    ("from a holiday", date(2025, 10, 3), 1, date(2025, 10, 9)),
    ("backwards across 国庆", date(2025, 10, 9), -1, date(2025, 9, 30)),
    ("Friday + 1 → Monday", date(2025, 3, 7), 1, date(2025, 3, 10)),
    ("Friday - 5 → Friday before", date(2025, 3, 7), -5, date(2025, 2, 28)),
]


@pytest.mark.parametrize(("case", "start", "n", "expected"), ADD, ids=[c[0] for c in ADD])
def test_add_working_days(calendar: WorkingDayCalendar, case: str, start: date, n: int, expected: date) -> None:
    assert calendar.add_working_days(start, n) == expected
    assert calendar.working_days_between(start, expected) == n


def test_working_days_between_is_half_open(calendar: WorkingDayCalendar) -> None:
    assert calendar.working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    assert calendar.working_days_between(date(2025, 3, 3), date(2025, 3, 10)) == 5  # Tue..Fri + Mon
    assert calendar.working_days_between(date(2025, 3, 10), date(2025, 3, 3)) == -5
    # 2025-09-30 → 2025-10-12: 10-09, 10-10, 10-11 (Sat, 调休) are the only working days
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 12)) == 3


PERIODS = [
    ("公示 5 working days opening Mon 2025-09-29 spans 国庆", date(2025, 9, 29), 5, date(2025, 10, 11)),
    ("opening on a holiday: first day is 10-09", date(2025, 10, 1), 1, date(2025, 10, 9)),
    ("plain week", date(2025, 3, 3), 5, date(2025, 3, 7)),
]


@pytest.mark.parametrize(("case", "start", "n", "end"), PERIODS, ids=[p[0] for p in PERIODS])
def test_working_period_end(calendar: WorkingDayCalendar, case: str, start: date, n: int, end: date) -> None:
    assert calendar.working_period_end(start, n) == end


def test_period_needs_a_day(calendar: WorkingDayCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.working_period_end(date(2025, 3, 3), 0)


def test_next_working_day(calendar: WorkingDayCalendar) -> None:
    assert calendar.next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)
    assert calendar.next_working_day(date(2025, 10, 9)) == date(2025, 10, 9)


def test_datetimes_are_refused(calendar: WorkingDayCalendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(datetime(2025, 10, 1, 12, 0))
    with pytest.raises(TypeError):
        calendar.add_working_days(datetime(2025, 10, 1, 12, 0), 1)


# ---- fallback: never silent ---------------------------------------------------------------------------


def test_uncovered_year_falls_back_to_weekends_and_says_so(calendar: WorkingDayCalendar, caplog: pytest.LogCaptureFixture) -> None:
    assert calendar.source_for(FAR_YEAR) is CalendarSource.WEEKENDS_ONLY
    assert not calendar.fallback_used
    with caplog.at_level(logging.WARNING, logger="sihua_shared.calendar"):
        assert calendar.is_working_day(date(FAR_YEAR, 1, 1)) is True  # a Thursday; 元旦 unknown to the fallback
        assert calendar.is_working_day(date(FAR_YEAR, 1, 3)) is False  # Saturday
    assert calendar.fallback_years == frozenset({FAR_YEAR})
    assert calendar.fallback_used
    assert sum(str(FAR_YEAR) in r.getMessage() for r in caplog.records) == 1  # warned once per year


def test_strict_calendar_refuses_to_guess() -> None:
    strict = WorkingDayCalendar.from_file(strict=True)
    assert strict.is_working_day(date(2025, 10, 1)) is False
    with pytest.raises(CalendarNotCovered) as info:
        strict.is_working_day(date(FAR_YEAR, 1, 1))
    assert info.value.year == FAR_YEAR
    assert strict.fallback_years == frozenset()


def test_coverage_report(calendar: WorkingDayCalendar) -> None:
    assert calendar.coverage([2025, FAR_YEAR]) == {2025: CalendarSource.PACKAGE, FAR_YEAR: CalendarSource.WEEKENDS_ONLY}
    assert not calendar.fallback_used  # asking about coverage is not answering with the fallback


# ---- the override file ------------------------------------------------------------------------------------


def _override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays-override.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_override_file_loads() -> None:
    assert OVERRIDE_FILE.is_file()
    assert isinstance(load_overrides(), dict)


def test_missing_override_file_means_none(tmp_path: Path) -> None:
    assert load_overrides(tmp_path / "nope.yaml") == {}


def test_override_covers_a_year_the_package_lacks(tmp_path: Path) -> None:
    path = _override(
        tmp_path,
        f"""
years:
  {FAR_YEAR}:
    note: test schedule
    holidays: [{FAR_YEAR}-01-01, {FAR_YEAR}-01-02]
    workdays: [{FAR_YEAR}-01-03]
""",
    )
    cal = WorkingDayCalendar.from_file(path)
    assert cal.source_for(FAR_YEAR) is CalendarSource.OVERRIDE
    assert cal.is_working_day(date(FAR_YEAR, 1, 1)) is False  # listed holiday (Thursday)
    assert cal.is_working_day(date(FAR_YEAR, 1, 3)) is True  # listed working Saturday
    assert cal.is_working_day(date(FAR_YEAR, 1, 4)) is False  # unlisted Sunday
    assert cal.is_working_day(date(FAR_YEAR, 1, 5)) is True  # unlisted Monday
    assert cal.fallback_years == frozenset()


def test_override_corrects_a_package_year(tmp_path: Path) -> None:
    path = _override(tmp_path, "years:\n  2025:\n    holidays: [2025-03-03]\n    workdays: [2025-10-08]\n")
    cal = WorkingDayCalendar.from_file(path)
    assert cal.is_working_day(date(2025, 3, 3)) is False
    assert cal.is_working_day(date(2025, 10, 8)) is True
    assert cal.is_working_day(date(2025, 10, 7)) is False  # unlisted: still the package's answer
    assert cal.source_for(2025) is CalendarSource.OVERRIDE


def test_package_can_be_switched_off() -> None:
    cal = WorkingDayCalendar(use_package=False)
    assert cal.is_working_day(date(2025, 10, 1)) is True  # weekday rule only
    assert cal.fallback_years == frozenset({2025})


INVALID_OVERRIDES = [
    ("a date in both lists", "years:\n  2099:\n    holidays: [2099-01-05]\n    workdays: [2099-01-05]\n", "both"),
    ("a date of another year", "years:\n  2099:\n    holidays: [2098-12-31]\n", "another year"),
    ("a date-time", "years:\n  2099:\n    holidays: [2099-01-05 10:00:00]\n", "date-times"),
    ("an unknown key", "years:\n  2099:\n    holdays: [2099-01-05]\n", "holdays"),
]


@pytest.mark.parametrize(("case", "text", "message"), INVALID_OVERRIDES, ids=[c[0] for c in INVALID_OVERRIDES])
def test_invalid_override_fails_on_load(tmp_path: Path, case: str, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_overrides(_override(tmp_path, text))


def test_year_override_model() -> None:
    entry = YearOverride(year=2099, holidays=frozenset({date(2099, 1, 1)}))
    assert date(2099, 1, 1) in entry.holidays and not entry.workdays
