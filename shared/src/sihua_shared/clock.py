"""Time: real time for when something was written or expires, one business clock for business dates.

* ``now_utc()`` is the real time: stored timestamps (``created_at``, ``published_at``…), token and lock expiry,
  throttling. Security never runs on a movable clock.
* ``BusinessClock`` is the calendar the programme lives by — intake windows, publicity periods, title validity,
  deadlines, reminders, "within three years", "per year" — as dates in the jurisdiction's time zone
  (Asia/Shanghai by default, handbook §6 "Time"). It reads the real time unless the settings pin it
  (``SIHUA_BUSINESS_DATE=2025-09-15``: every business date is that day) or shift it
  (``SIHUA_BUSINESS_OFFSET=-P400D``: the calendar runs, 400 days behind), so that tests pin dates and the demo loads
  history "in the past".

Each process builds one clock from its settings (``BusinessClock.from_settings``); the api's runtime and the worker
hold it, and every session their factories open carries it (``business_clock(session)``), so routes, use cases,
reactions and background jobs read the same calendar. A test or the demo loader moves it with ``pin`` and
``advance``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .settings import Settings

DEFAULT_TZ = "Asia/Shanghai"
SESSION_KEY = "sihua.business_clock"


def now_utc() -> datetime:
    """The real time (timezone-aware UTC), for stored timestamps and expiry — never for business dates."""
    return datetime.now(UTC)


class BusinessClock:
    """The business calendar of one service: real, pinned to a date, or shifted by an offset."""

    def __init__(self, time_zone: str = DEFAULT_TZ, *, pinned: date | None = None,
                 offset: timedelta = timedelta(0)) -> None:
        if pinned is not None and offset:
            raise ValueError("a business clock is pinned to a date or shifted by an offset, not both")
        self.zone = ZoneInfo(time_zone)
        self._pinned = pinned
        self._offset = offset

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessClock:
        from .jurisdiction import load_jurisdiction

        zone = load_jurisdiction(settings.jurisdiction).time_zone
        return cls(zone, pinned=settings.business_date, offset=settings.business_offset)

    @property
    def pinned(self) -> date | None:
        return self._pinned

    def now(self) -> datetime:
        """The business instant (UTC): the real one shifted by the offset, or the real time of day on the pinned
        date in the jurisdiction's zone."""
        real = datetime.now(self.zone)
        if self._pinned is not None:
            return datetime.combine(self._pinned, real.timetz()).astimezone(UTC)
        return (real + self._offset).astimezone(UTC)

    def today(self) -> date:
        """Today's business date where the programme runs, not where the server runs."""
        if self._pinned is not None:
            return self._pinned
        return (datetime.now(self.zone) + self._offset).date()

    def pin(self, day: date) -> date:
        """Stand the calendar still on ``day`` (tests, loading history)."""
        self._pinned, self._offset = day, timedelta(0)
        return day

    def advance(self, days: int) -> date:
        """Move the calendar ``days`` forward (or back): the pinned date, or the offset of a running clock."""
        if self._pinned is not None:
            self._pinned += timedelta(days=days)
        else:
            self._offset += timedelta(days=days)
        return self.today()

    def __repr__(self) -> str:
        state = f"pinned={self._pinned}" if self._pinned else f"offset={self._offset}"
        return f"BusinessClock({self.zone.key}, {state})"


def business_clock(session: Any) -> BusinessClock:
    """The clock a session was opened with (``db.session_factory(..., clock=)``); the real calendar of the default
    zone for a bare session, such as a test's or a migration's."""
    clock = session.info.get(SESSION_KEY)
    return clock if isinstance(clock, BusinessClock) else BusinessClock()
