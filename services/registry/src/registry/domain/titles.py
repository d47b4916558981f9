"""Titles granted on selection (e.g. 广州市四化赋能重点平台, S0 二(二)) and revoked on a poor evaluation (S0 二(六)).

* Number: rendered from the jurisdiction's ``title_number_format`` (Guangzhou: ``GZSH-KP-2026-0001``) with the
  jurisdiction's prefix, the kind's ``number_code``, the year of grant and a sequence per (kind, year).
* Validity: ``valid_from`` and ``valid_until`` are calendar dates in the jurisdiction's time zone, both inclusive.
  ``valid_until`` is the last day of a period of the kind's ``validity_months`` starting on ``valid_from``
  (2026-04-01 + 24 months → 2028-03-31; see ``period_end`` for month ends); a kind without ``validity_months``
  is valid until revoked (``valid_until = None``).
* Revocation takes effect on ``revoked_on``: the title is valid the day before and not on that day or after.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sihua_shared.errors import DomainError, Kind
from sihua_shared.jurisdiction import Jurisdiction, TitleConfig


class TitleStatus(StrEnum):
    PENDING = "pending"  # granted, not yet in force
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label_zh(self) -> str:
        return {"pending": "尚未生效", "valid": "有效", "expired": "已过期", "revoked": "已撤销"}[self.value]


def _title_config(jurisdiction: Jurisdiction, kind: str) -> TitleConfig:
    config = jurisdiction.title(kind)
    if config is None:
        raise DomainError(
            "title_kind_unknown", f"{jurisdiction.name_zh}未设立该类称号", f"{jurisdiction.code} grants no {kind!r} title", field="kind",
            details={"allowed": sorted(jurisdiction.titles)},
        )
    return config


def format_title_number(jurisdiction: Jurisdiction, kind: str, year: int, sequence: int) -> str:
    """The title number, e.g. ``GZSH-KP-2026-0001``."""
    config = _title_config(jurisdiction, kind)
    if not 1000 <= year <= 9999:
        raise DomainError("title_year_invalid", "年份无效", "the year has four digits", field="year")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise DomainError("title_sequence_invalid", "称号序号须为正整数", "the sequence is a positive integer", field="sequence")
    return jurisdiction.title_number_format.format(
        prefix=jurisdiction.title_number_prefix, code=config.number_code, year=year, seq=sequence,
    )


@dataclass(frozen=True, slots=True)
class TitleNumber:
    kind: str
    year: int
    sequence: int


def _number_pattern(jurisdiction: Jurisdiction) -> re.Pattern[str]:
    codes = "|".join(re.escape(t.number_code) for t in jurisdiction.titles.values())
    groups = {
        "prefix": re.escape(jurisdiction.title_number_prefix),
        "code": f"(?P<code>{codes})",
        "year": r"(?P<year>\d{4})",
        "seq": r"(?P<seq>\d+)",
    }
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(jurisdiction.title_number_format):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(groups[name])
    return re.compile("".join(parts))


def parse_title_number(jurisdiction: Jurisdiction, number: str) -> TitleNumber:
    """Take a title number apart (e.g. for the public verification page); raises ``title_number_invalid``."""
    match = _number_pattern(jurisdiction).fullmatch(number.strip())
    if match is None:
        raise DomainError(
            "title_number_invalid", "称号编号格式不正确", f"{number!r} is not a title number of {jurisdiction.code}", field="title_number",
        )
    kind = next(k for k, t in jurisdiction.titles.items() if t.number_code == match["code"])
    return TitleNumber(kind, int(match["year"]), int(match["seq"]))


def _month_end(year: int, month: int) -> int:
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return (next_month - timedelta(days=1)).day


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, _month_end(year, month0 + 1)))


def period_end(start: date, months: int) -> date:
    """Last day (inclusive) of a period of ``months`` months beginning on ``start``.

    The day before the same date ``months`` later (2026-04-01, 24 → 2028-03-31); when that month has no such date
    the period ends on its last day (2024-02-29, 12 → 2025-02-28; 2026-01-31, 1 → 2026-02-28).
    """
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    last = _month_end(year, month0 + 1)
    if start.day > last:
        return date(year, month0 + 1, last)
    return date(year, month0 + 1, start.day) - timedelta(days=1)


def validity_window(jurisdiction: Jurisdiction, kind: str, valid_from: date) -> tuple[date, date | None]:
    """``(valid_from, valid_until)`` for a title of ``kind`` coming into force on ``valid_from`` (both inclusive)."""
    config = _title_config(jurisdiction, kind)
    if config.validity_months is None:
        return valid_from, None
    if (valid_from.year * 12 + valid_from.month - 1 + config.validity_months) // 12 > date.max.year:
        # a computed date must exist: checked here, not left to an OverflowError from the calendar
        raise DomainError(
            "validity_out_of_range", "有效期的截止日期超出可表示的日期范围", f"a title valid from {valid_from} would end after year 9999",
            field="valid_from",
        )
    return valid_from, period_end(valid_from, config.validity_months)


def check_annual_quota(jurisdiction: Jurisdiction, kind: str, granted_this_year: int) -> None:
    """Refuse a grant beyond the kind's yearly cap (e.g. Zhongshan: ≤ 10 示范工厂 a year, S4 一(一))."""
    config = _title_config(jurisdiction, kind)
    if config.annual_quota is not None and granted_this_year >= config.annual_quota:
        raise DomainError(
            "title_annual_quota_reached",
            f"“{config.name_zh}”本年度认定数量已达上限（{config.annual_quota}个）",
            f"the yearly quota of {config.annual_quota} {kind} titles is reached",
            field="kind", kind=Kind.CONFLICT, details={"quota": config.annual_quota, "granted": granted_this_year},
        )


@dataclass(frozen=True, slots=True)
class Title:
    number: str
    kind: str
    name_zh: str
    organisation_id: str
    valid_from: date
    valid_until: date | None
    revoked_on: date | None = None
    revocation_reason: str | None = None
    revoked_by: str | None = None  # "city_officer" or "evaluation"

    def __post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise DomainError(
                "title_validity_inverted", "有效期截止日不能早于生效日", "valid_until cannot be before valid_from", field="valid_until",
            )

    def status_on(self, day: date) -> TitleStatus:
        if isinstance(day, datetime):
            raise TypeError("status_on takes a business date; use status_at for an instant")
        if self.revoked_on is not None and day >= self.revoked_on:
            return TitleStatus.REVOKED
        if day < self.valid_from:
            return TitleStatus.PENDING
        if self.valid_until is not None and day > self.valid_until:
            return TitleStatus.EXPIRED
        return TitleStatus.VALID

    def is_valid_on(self, day: date) -> bool:
        return self.status_on(day) is TitleStatus.VALID

    def status_at(self, instant: datetime, zone: ZoneInfo | str) -> TitleStatus:
        """Status at an instant, judged on the date it is in the jurisdiction's zone."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must be timezone-aware")
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        return self.status_on(instant.astimezone(tz).date())

    def is_valid_at(self, instant: datetime, zone: ZoneInfo | str) -> bool:
        return self.status_at(instant, zone) is TitleStatus.VALID

    def revoke(self, on: date, reason: str, by: str) -> Title:
        """The title revoked with effect from ``on``; refuses a second revocation and one after expiry."""
        if self.revoked_on is not None:
            raise DomainError(
                "title_already_revoked", "该称号已被撤销", f"title {self.number} was revoked on {self.revoked_on.isoformat()}",
                field="title",
            )
        if self.valid_until is not None and on > self.valid_until:
            raise DomainError(
                "title_expired", "该称号已过有效期，无需撤销", f"title {self.number} expired on {self.valid_until.isoformat()}",
                field="revoked_on",
            )
        if not reason.strip():
            raise DomainError("revocation_reason_required", "撤销称号须写明理由", "revoking a title needs a reason", field="reason")
        return replace(self, revoked_on=on, revocation_reason=reason.strip(), revoked_by=by)


def grant_title(
    jurisdiction: Jurisdiction,
    kind: str,
    organisation_id: str,
    *,
    year: int,
    sequence: int,
    valid_from: date,
) -> Title:
    """A new title: number, name and validity window from the jurisdiction's configuration."""
    config = _title_config(jurisdiction, kind)
    start, until = validity_window(jurisdiction, kind, valid_from)
    return Title(
        number=format_title_number(jurisdiction, kind, year, sequence),
        kind=kind,
        name_zh=config.name_zh,
        organisation_id=organisation_id,
        valid_from=start,
        valid_until=until,
    )


def check_in_programme(jurisdiction: Jurisdiction, valid_from: date) -> None:
    """A title comes into force within the programme period the jurisdiction configures (Guangzhou: 2024—2026)."""
    period = jurisdiction.programme_period
    if period is not None and not period.contains(valid_from):
        since = period.starts_on.isoformat() if period.starts_on else "…"
        raise DomainError(
            "valid_from_outside_programme", f"生效日期须在实施期内（{since} 至 {period.ends_on.isoformat()}）",
            f"valid_from must fall within the programme period {since} – {period.ends_on.isoformat()}", field="valid_from",
            details={"starts_on": period.starts_on.isoformat() if period.starts_on else None, "ends_on": period.ends_on.isoformat()},
        )


def check_holder_kind(jurisdiction: Jurisdiction, kind: str, organisation_kind: str) -> None:
    """Only an organisation of a kind the jurisdiction lets hold the title gets it (and applies for it)."""
    config = _title_config(jurisdiction, kind)
    if config.holders and organisation_kind not in config.holders:
        raise DomainError(
            "organisation_not_eligible", f"该类单位不能获得“{config.name_zh}”", f"an organisation of kind {organisation_kind} cannot hold "
            f"a {kind} title", field="organisation_id", details={"allowed": list(config.holders)},
        )


def _last_day_held(title: Title) -> date | None:
    """The last day a title is (or was) in force: its end, or the day before its revocation."""
    if title.revoked_on is not None:
        end = title.revoked_on - timedelta(days=1)
        return end if title.valid_until is None else min(end, title.valid_until)
    return title.valid_until


def check_one_valid_title(new: Title, held: Iterable[Title]) -> None:
    """One valid title of a kind per organisation: the new one may not overlap one it holds (revoked ones end the day before)."""
    for title in held:
        if title.kind != new.kind:
            continue
        last = _last_day_held(title)
        if (last is None or last >= new.valid_from) and (new.valid_until is None or title.valid_from <= new.valid_until):
            raise DomainError(
                "title_already_held", "该单位已持有同类有效称号", f"the organisation already holds title {title.number} of this kind",
                field="organisation_id", kind=Kind.CONFLICT, details={"title_number": title.number},
            )
