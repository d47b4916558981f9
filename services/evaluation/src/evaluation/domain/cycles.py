"""Annual evaluation cycles (with quarterly progress checks) for key platforms and traction units. Pure."""

from __future__ import annotations

from datetime import date, timedelta

from sihua_shared.statemachine import Machine

STATES = ("open", "closed")
MACHINE: Machine[str, str] = Machine(
    "evaluation cycle", "评价周期", STATES, {("open", "close"): "closed"},
    {"open": "进行中", "closed": "已结束"}, {"close": "结束周期"},
)


def transition(state: str, action: str) -> str:
    return MACHINE.step(state, action)


def quarter_end(year: int, quarter: int) -> date:
    """The last day of a quarter: a progress check counts the facts up to it."""
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, quarter * 3 + 1, 1) - timedelta(days=1)


def current_quarter(year: int, today: date) -> int:
    """The quarter of the cycle's year a progress check on ``today`` covers (4 after the year)."""
    if today.year > year:
        return 4
    if today.year < year:
        return 1
    return (today.month - 1) // 3 + 1
