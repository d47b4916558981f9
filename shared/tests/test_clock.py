"""The business clock: real by default, pinned or shifted by settings, moved by tests; carried by sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from sihua_shared.clock import BusinessClock, business_clock, now_utc
from sihua_shared.db import create_engine, session_factory
from sihua_shared.settings import Settings


def test_the_real_clock_reads_the_jurisdiction_s_calendar() -> None:
    clock = BusinessClock("Asia/Shanghai")
    assert clock.today() == datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert abs(clock.now() - now_utc()) < timedelta(seconds=5)


def test_a_pinned_clock_stands_on_its_day_and_keeps_the_time_of_day() -> None:
    clock = BusinessClock("Asia/Shanghai", pinned=date(2025, 9, 15))
    assert clock.today() == date(2025, 9, 15)
    expected = datetime.combine(date(2025, 9, 15), datetime.now(ZoneInfo("Asia/Shanghai")).timetz())
    assert abs(clock.now() - expected) < timedelta(seconds=5) and clock.now().tzinfo == UTC
    assert clock.advance(17) == date(2025, 10, 2) and clock.today() == date(2025, 10, 2)
    assert clock.pin(date(2024, 2, 29)) == date(2024, 2, 29) and clock.pinned == date(2024, 2, 29)


def test_a_shifted_clock_runs_behind_the_real_one() -> None:
    clock = BusinessClock("Asia/Shanghai", offset=timedelta(days=-400))
    real = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert clock.today() in {(real - timedelta(days=400)).date(), (real - timedelta(days=399)).date()}
    assert abs(clock.now() - (now_utc() - timedelta(days=400))) < timedelta(seconds=5)
    clock.advance(400)
    assert clock.pinned is None and abs(clock.now() - now_utc()) < timedelta(seconds=5)


def test_settings_pin_or_shift_the_clock_in_the_jurisdiction_s_zone() -> None:
    pinned = BusinessClock.from_settings(Settings(business_date=date(2026, 3, 10)))  # type: ignore[call-arg]
    assert (pinned.today(), pinned.zone.key) == (date(2026, 3, 10), "Asia/Shanghai")
    shifted = BusinessClock.from_settings(Settings(business_offset="-P30D"))  # type: ignore[call-arg]
    assert shifted.pinned is None and shifted.now() < now_utc() - timedelta(days=29)
    with pytest.raises(ValidationError, match="not both"):
        Settings(business_date=date(2026, 3, 10), business_offset="P1D")  # type: ignore[call-arg]


def test_the_late_evening_in_guangzhou_is_already_tomorrow() -> None:
    """The business date is Guangzhou's: 23:30 UTC on 9 March is 07:30 on 10 March in Asia/Shanghai."""
    instant = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    clock = BusinessClock("Asia/Shanghai", offset=instant - now_utc())
    assert clock.today() == date(2026, 3, 10)


def test_sessions_carry_the_clock_of_their_factory() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # no connection is made
    clock = BusinessClock(pinned=date(2026, 3, 10))
    assert business_clock(session_factory(engine, clock=clock)()) is clock
    bare = business_clock(session_factory(engine)())
    assert bare is not clock and bare.pinned is None and bare.zone.key == "Asia/Shanghai"
