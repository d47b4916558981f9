"""Test data that passes the same validation real data does."""

from __future__ import annotations

_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_uscc(n: int, *, region: str = "440101") -> str:
    """A well-formed 统一社会信用代码 (GB 32100-2015) numbered ``n``: 91 + region + 9-char body + check."""
    body = f"MA{n:07d}"
    first17 = f"91{region}{body}"
    total = sum(_CHARSET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHARSET[(31 - total % 31) % 31]
