"""Business dates: calendar dates in the jurisdiction's time zone (Asia/Shanghai by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def now_utc() -> datetime:
    return datetime.now(UTC)


def today(tz: str = DEFAULT_TZ) -> date:
    """Today's date where the programme runs, not where the server runs."""
    return datetime.now(ZoneInfo(tz)).date()
