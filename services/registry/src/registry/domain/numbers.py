"""Exact numbers of the review: scores and marks are ints or fixed-point ``Decimal``s, rounded once, half-up to 0.01."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sihua_shared.errors import DomainError

HUNDREDTH = Decimal("0.01")
HUNDRED = Decimal(100)


def exact_decimal(value: object, field: str, *, places: int = 2) -> Decimal:
    """An int or a finite ``Decimal`` with at most ``places`` decimals, as ``Decimal``; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise DomainError(
            "not_exact_number", "须为精确数值（整数或定点小数）", f"must be an int or a Decimal, not {type(value).__name__}",
            field=field,
        )
    number = Decimal(value)
    if not number.is_finite():
        raise DomainError("not_finite", "数值无效", "must be a finite number", field=field)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise DomainError(
            "too_many_decimals", f"最多保留{places}位小数", f"at most {places} decimal places are allowed", field=field,
        )
    return number


def round_hundredths(value: Fraction | Decimal) -> Decimal:
    """Half-up (away from zero) to 0.01 — the one rounding the review does, done exactly."""
    if isinstance(value, Decimal):
        return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    magnitude = abs(value) * 100
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return (Decimal(whole if value >= 0 else -whole) / 100).quantize(HUNDREDTH)
