"""Calls (征集): what is being called for, when applications are taken, how they are scored and cut.

* Kinds: a call is of the kind of the title it grants, a key of the jurisdiction's ``titles`` — ``key_platform`` in one
  of the platform categories (S0 二(一): five + 其他重点领域); ``traction_unit`` for one pilot sector (S2 三(一),
  五(二)); ``diagnosis_provider`` (S0 二(四)); ``third_party`` (S2 三(九)); and the recognitions (认定) such as
  Guangzhou's ``digital_workshop`` (S2 三(五)) or Zhongshan's ``demonstration_factory`` (S4 一(一)). Whether a kind's
  call names a category or a sector is the jurisdiction's data (``call_category``, ``call_sector``), as are the
  names, holders and yearly caps; never code.
* Intake window: from ``opens_on`` to ``closes_on`` inclusive, as calendar dates in the jurisdiction's time zone;
  ``closes_on = None`` is the year-round call of S0 二(一) (全年开放申报).
* Rubric: criteria such as 技术能力 / 规模实力 / 服务能力 (S0 二(二)), each with a weight (integer percent, the weights
  sum to 100) and the maximum points an expert may give. An expert's total is
  ``Σ score_c × weight_c / max_points_c`` — a score out of 100 whatever the scales — rounded half-up to 0.01 once,
  at the end. When ``max_points == weight`` for every criterion (the usual 评分表), that is the plain sum of points.
* Cut rule and ranking: ``domain.ranking``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import cast
from zoneinfo import ZoneInfo

from sihua_shared.errors import DomainError, Kind
from sihua_shared.jurisdiction import Jurisdiction

from .numbers import exact_decimal, round_hundredths
from .ranking import CutRule


class CallKind(StrEnum):
    """The kinds every jurisdiction's code knows by name; a call's kind is any title kind of its jurisdiction."""

    KEY_PLATFORM = "key_platform"
    TRACTION_UNIT = "traction_unit"
    DIAGNOSIS_PROVIDER = "diagnosis_provider"
    THIRD_PARTY = "third_party"


# ---- intake window ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntakeWindow:
    """Dates (inclusive) on which applications are accepted; ``closes_on = None`` means year-round."""

    opens_on: date
    closes_on: date | None = None

    def __post_init__(self) -> None:
        for name in ("opens_on", "closes_on"):
            value = getattr(self, name)
            if isinstance(value, datetime) or (value is not None and not isinstance(value, date)):
                raise DomainError("window_not_a_date", "申报时间须为日期", "window bounds are calendar dates", field=f"window.{name}")
        if self.closes_on is not None and self.closes_on < self.opens_on:
            raise DomainError(
                "window_inverted", "截止日期不能早于开始日期", "closes_on cannot be before opens_on", field="window.closes_on",
            )

    @property
    def year_round(self) -> bool:
        return self.closes_on is None

    def is_open_on(self, day: date) -> bool:
        """Open on this business date (in the jurisdiction's time zone)."""
        return self.opens_on <= day and (self.closes_on is None or day <= self.closes_on)

    def is_open_at(self, instant: datetime, zone: ZoneInfo | str) -> bool:
        """Open at this instant, judged by the date it is in ``zone`` (e.g. 23:30 UTC is already tomorrow in Shanghai)."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must be timezone-aware")
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        return self.is_open_on(instant.astimezone(tz).date())

    def require_open_at(self, instant: datetime, zone: ZoneInfo | str) -> None:
        """Raise ``call_not_open`` unless the call takes applications at ``instant``."""
        if not self.is_open_at(instant, zone):
            until = "长期" if self.closes_on is None else self.closes_on.isoformat()
            raise DomainError(
                "call_not_open",
                f"不在申报时间内（{self.opens_on.isoformat()} 至 {until}）",
                f"the call is not open (from {self.opens_on.isoformat()} to {self.closes_on or 'year-round'})",
                field="call", kind=Kind.CONFLICT,
                details={"opens_on": self.opens_on.isoformat(), "closes_on": self.closes_on.isoformat() if self.closes_on else None},
            )


# ---- rubric ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """One line of the scoring sheet: weight in percent of the total, and the points scale the expert uses."""

    code: str
    name_zh: str
    weight: int
    max_points: Decimal


@dataclass(frozen=True, slots=True)
class Rubric:
    """The scoring sheet of a call. Validated on construction: weights positive, summing to 100; max points > 0."""

    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        if not self.criteria:
            raise DomainError("rubric_empty", "评分标准至少包含一项指标", "a rubric needs at least one criterion", field="rubric.criteria")
        seen: set[str] = set()
        for i, c in enumerate(self.criteria):
            path = f"rubric.criteria[{i}]"
            if not c.code or c.code in seen:
                raise DomainError(
                    "criterion_code_duplicate", "指标代码不能为空或重复", f"criterion code {c.code!r} is empty or repeated",
                    field=f"{path}.code",
                )
            seen.add(c.code)
            if isinstance(c.weight, bool) or not isinstance(c.weight, int) or c.weight <= 0:
                raise DomainError(
                    "criterion_weight_invalid", "指标权重须为正整数（百分比）", "a criterion weight is a positive integer percent",
                    field=f"{path}.weight",
                )
            if exact_decimal(c.max_points, f"{path}.max_points") <= 0:
                raise DomainError(
                    "criterion_max_points_invalid", "指标满分须大于0", "a criterion's max points must be positive",
                    field=f"{path}.max_points",
                )
        total = sum(c.weight for c in self.criteria)
        if total != 100:
            raise DomainError(
                "rubric_weights_sum", f"指标权重合计应为100，实为{total}", f"criterion weights must sum to 100, got {total}",
                field="rubric.criteria", details={"sum": total},
            )

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.criteria)

    def check_scores(self, scores: Mapping[str, object], field: str = "scores") -> dict[str, Decimal]:
        """Every criterion scored once, each an exact number in 0..max_points (≤ 2 decimals); extras refused."""
        extra = sorted(set(scores) - set(self.codes))
        if extra:
            raise DomainError(
                "score_unknown_criterion", f"评分包含未知指标：{'、'.join(extra)}", f"scores for unknown criteria {extra}",
                field=field, details={"criteria": extra},
            )
        checked: dict[str, Decimal] = {}
        for c in self.criteria:
            path = f"{field}.{c.code}"
            if c.code not in scores:
                raise DomainError("score_missing", f"缺少指标“{c.name_zh}”的评分", f"no score for criterion {c.code!r}", field=path)
            value = exact_decimal(scores[c.code], path)
            if not Decimal(0) <= value <= c.max_points:
                raise DomainError(
                    "score_out_of_range",
                    f"指标“{c.name_zh}”的评分应在0至{c.max_points}之间",
                    f"the score for {c.code!r} must be within 0..{c.max_points}",
                    field=path, details={"max_points": str(c.max_points)},
                )
            checked[c.code] = value
        return checked

    def exact_total(self, scores: Mapping[str, object], field: str = "scores") -> Fraction:
        """The weighted total out of 100, exactly (before the one rounding)."""
        checked = self.check_scores(scores, field)
        return sum(
            (Fraction(checked[c.code]) * c.weight / Fraction(c.max_points) for c in self.criteria), start=Fraction(0)
        )

    def total(self, scores: Mapping[str, object], field: str = "scores") -> Decimal:
        """The weighted total out of 100, rounded half-up to 0.01: the figure on the expert's sheet."""
        return round_hundredths(self.exact_total(scores, field))


def key_platform_rubric_template() -> Rubric:
    """A starting sheet for key-platform calls with the three capabilities S0 二(二) names.

    The seed names the criteria, not their weights: 40/30/30 here is a template the officer edits when opening
    the call, not policy.
    """
    return Rubric(
        (
            Criterion("technical_capability", "技术能力", 40, Decimal(40)),
            Criterion("scale_strength", "规模实力", 30, Decimal(30)),
            Criterion("service_capability", "服务能力", 30, Decimal(30)),
        )
    )


# ---- the call -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallConfig:
    """Everything a call fixes when it opens."""

    kind: str  # a title kind of the jurisdiction (``validate_for``)
    title: str
    window: IntakeWindow
    rubric: Rubric
    cut_rule: CutRule
    experts_per_application: int
    category: str | None = None  # key_platform: platform category code
    sector: str | None = None  # traction_unit: pilot sector code

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise DomainError("call_title_missing", "请填写征集名称", "a call needs a title", field="title")
        n = self.experts_per_application
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DomainError(
                "experts_per_application_invalid", "每份申报的评审专家人数须为正整数",
                "experts_per_application is a positive integer", field="experts_per_application",
            )

    def validate_for(self, jurisdiction: Jurisdiction) -> None:
        """The call fits the jurisdiction: its kind is one of its titles, and category/sector are its own, as the kind asks."""
        title = jurisdiction.title(self.kind)
        if title is None:
            raise DomainError(
                "call_kind_not_in_jurisdiction",
                f"{jurisdiction.name_zh}未设立该类称号，不能发布此类征集",
                f"{jurisdiction.code} grants no {self.kind} title",
                field="kind", details={"allowed": sorted(jurisdiction.titles)},
            )
        if title.call_category == "required":
            if self.category is None or jurisdiction.platform_category(self.category) is None:
                raise DomainError(
                    "call_category_invalid", "请选择有效的平台类别",
                    f"a {self.kind} call needs a platform category of {jurisdiction.code}",
                    field="category", details={"allowed": [c.code for c in jurisdiction.platform_categories]},
                )
        elif self.category is not None:
            raise DomainError(
                "call_category_not_applicable", "此类征集不设平台类别", f"a {self.kind} call has no category", field="category",
            )
        cap = title.annual_quota
        if cap is not None and (self.cut_rule.quota is None or self.cut_rule.quota > cap):
            # a kind capped per year (Zhongshan: ≤ 10 示范工厂, S4 一(一)) selects no more than the cap in one call
            raise DomainError(
                "call_quota_above_annual_cap", f"“{title.name_zh}”每年认定不超过{cap}个，入选名额须设定且不超过该数",
                f"a {self.kind} call needs a quota of at most the yearly cap of {cap}", field="cut_rule.quota",
                details={"annual_quota": cap},
            )
        if title.call_sector == "none":
            if self.sector is not None:
                raise DomainError(
                    "call_sector_not_applicable", "此类征集不设试点行业", f"a {self.kind} call has no sector", field="sector",
                )
        elif (self.sector is None and title.call_sector == "required") or (
            self.sector is not None and jurisdiction.pilot_sector(self.sector) is None
        ):
            raise DomainError(
                "call_sector_invalid", "请选择有效的试点行业", f"a {self.kind} call needs a pilot sector of {jurisdiction.code}",
                field="sector", details={"allowed": [s.code for s in jurisdiction.pilot_sectors]},
            )


def rubric_from_rows(rows: Sequence[Mapping[str, object]]) -> Rubric:
    """A rubric from plain rows ``{code, name_zh, weight, max_points}`` (e.g. a stored JSON column; max_points may be a string)."""
    criteria = []
    for i, row in enumerate(rows):
        missing = [k for k in ("code", "name_zh", "weight", "max_points") if k not in row]
        if missing:
            raise DomainError(
                "criterion_incomplete", "评分指标信息不完整", f"criterion row lacks {missing}", field=f"rubric.criteria[{i}]",
            )
        max_points = row["max_points"]
        if isinstance(max_points, str):
            try:
                max_points = Decimal(max_points)
            except ArithmeticError:
                raise DomainError(
                    "not_exact_number", "须为精确数值", "max_points is not a number", field=f"rubric.criteria[{i}].max_points",
                ) from None
        criteria.append(Criterion(str(row["code"]), str(row["name_zh"]), cast(int, row["weight"]), cast(Decimal, max_points)))
    return Rubric(tuple(criteria))


def rubric_rows(rubric: Rubric) -> list[dict[str, object]]:
    """The inverse of ``rubric_from_rows``: JSON-ready rows (max points as exact strings)."""
    return [{"code": c.code, "name_zh": c.name_zh, "weight": c.weight, "max_points": str(c.max_points)} for c in rubric.criteria]
