"""Working days in mainland China: official holidays and adjusted working days (调休), kept as data.

Sources, in order of precedence for a given date:

1. ``jurisdictions/holidays-override.yaml`` — dates entered by an operator: a year the ``chinesecalendar``
   release does not cover yet (the State Council publishes each year's schedule in November or December),
   or a correction. Listed dates win; unlisted dates of an override year follow the weekday rule.
2. the ``chinesecalendar`` package (China's official schedule, with its adjusted working days).
3. **fallback**: Monday to Friday are working days. This is only ever a guess, so it is never silent: the
   years answered this way are recorded in ``WorkingDayCalendar.fallback_years``, logged once per year as a
   warning, and ``strict=True`` turns the guess into ``CalendarNotCovered``.

Counting conventions (one for the whole project):

* ``add_working_days(d, n)`` — the n-th working day *after* ``d`` (``d`` itself never counts); ``n = 0`` is ``d``;
  negative ``n`` counts backwards.
* ``working_days_between(a, b)`` — working days in the half-open interval ``(a, b]``; negative when ``b < a``.
  So ``working_days_between(d, add_working_days(d, n)) == n``.
* ``working_period_end(start, n)`` — the last day of a period of ``n`` working days that begins on ``start``
  (``start`` counts when it is a working day): a publicity period that opens on ``start`` and lasts ``n``
  working days closes at the end of this day.

Dates are business dates in the jurisdiction's time zone; a ``datetime`` is refused (convert it first).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

log = logging.getLogger(__name__)

OVERRIDE_FILE = Path(__file__).resolve().parent / "jurisdictions" / "holidays-override.yaml"


class CalendarSource(StrEnum):
    PACKAGE = "chinesecalendar"
    OVERRIDE = "override"
    WEEKENDS_ONLY = "weekends_only"


class CalendarNotCovered(LookupError):
    """A strict calendar was asked about a year that neither the package nor the override file covers."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no holiday schedule for {year}: add it to {OVERRIDE_FILE.name} or upgrade chinesecalendar"
        )
        self.year = year


class YearOverride(BaseModel):
    """One year's entries in the override file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    note: str = ""
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _no_datetimes(cls, value: Any) -> Any:
        if isinstance(value, Iterable) and not isinstance(value, str | bytes):
            items = list(value)
            if any(isinstance(item, datetime) for item in items):
                raise ValueError("list dates, not date-times")
            return items
        return value

    @model_validator(mode="after")
    def _consistent(self) -> YearOverride:
        stray = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if stray:
            raise ValueError(f"{self.year}: dates of another year {stray}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{self.year}: dates listed both as holiday and as working day {both}")
        return self


def load_overrides(path: Path | None = None) -> dict[int, YearOverride]:
    """Read the override file (default: the shipped one); a missing file means no overrides."""
    file = path or OVERRIDE_FILE
    if not file.is_file():
        return {}
    with file.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    years = data.get("years") or {}
    if not isinstance(years, Mapping):
        raise ValueError(f"{file}: 'years' must be a mapping of year → entries")
    overrides: dict[int, YearOverride] = {}
    for key, entry in years.items():
        year = int(key)
        overrides[year] = YearOverride.model_validate({"year": year, **(entry or {})})
    return overrides


def _require_date(value: object, name: str = "day") -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date (a business date), got {type(value).__name__}")
    return value


@dataclass
class WorkingDayCalendar:
    """China's working-day calendar: package data, overridden by the data file, else a recorded fallback."""

    overrides: Mapping[int, YearOverride] = field(default_factory=dict)
    use_package: bool = True
    strict: bool = False
    _package_years: dict[int, bool] = field(default_factory=dict, init=False, repr=False)
    _fallback_years: set[int] = field(default_factory=set, init=False, repr=False)

    @classmethod
    def from_file(cls, path: Path | None = None, *, use_package: bool = True, strict: bool = False) -> WorkingDayCalendar:
        """The calendar with the override file at ``path`` (default: the shipped ``holidays-override.yaml``)."""
        return cls(overrides=load_overrides(path), use_package=use_package, strict=strict)

    # ---- where the answer comes from ----------------------------------------------------------

    def _package_covers(self, year: int) -> bool:
        if not self.use_package:
            return False
        if year not in self._package_years:
            try:
                chinese_calendar.is_workday(date(year, 1, 1))
            except NotImplementedError:
                self._package_years[year] = False
            else:
                self._package_years[year] = True
        return self._package_years[year]

    def source_for(self, year: int) -> CalendarSource:
        """Which source answers for ``year`` (an override year is reported as ``override`` even if the package has it)."""
        if year in self.overrides:
            return CalendarSource.OVERRIDE
        if self._package_covers(year):
            return CalendarSource.PACKAGE
        return CalendarSource.WEEKENDS_ONLY

    def coverage(self, years: Iterable[int]) -> dict[int, CalendarSource]:
        """The source of each year, e.g. for a readiness detail or an operator's check before a new year."""
        return {year: self.source_for(year) for year in years}

    @property
    def fallback_years(self) -> frozenset[int]:
        """Years for which an answer was given by the weekends-only fallback (empty when none was needed)."""
        return frozenset(self._fallback_years)

    @property
    def fallback_used(self) -> bool:
        return bool(self._fallback_years)

    # ---- questions ------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        day = _require_date(day)
        override = self.overrides.get(day.year)
        if override is not None:
            if day in override.holidays:
                return False
            if day in override.workdays:
                return True
        if self._package_covers(day.year):
            return bool(chinese_calendar.is_workday(day))
        if override is None:
            self._record_fallback(day.year)
        return day.weekday() < 5

    def _record_fallback(self, year: int) -> None:
        if self.strict:
            raise CalendarNotCovered(year)
        if year not in self._fallback_years:
            self._fallback_years.add(year)
            log.warning(
                "holiday schedule for %s is unknown; counting Monday–Friday as working days (add the year to %s)",
                year, OVERRIDE_FILE.name,
            )

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (before it when ``n`` < 0); ``day`` itself is never counted."""
        current = _require_date(day)
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative (the count in ``(end, start]``) when ``end`` < ``start``."""
        start, end = _require_date(start, "start"), _require_date(end, "end")
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def working_period_end(self, start: date, n: int) -> date:
        """Last day of a period of ``n`` ≥ 1 working days beginning on ``start`` (``start`` counts if working)."""
        if n < 1:
            raise ValueError("a period lasts at least one working day")
        return self.add_working_days(_require_date(start, "start") - timedelta(days=1), n)

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        day = _require_date(day)
        return day if self.is_working_day(day) else self.add_working_days(day, 1)
