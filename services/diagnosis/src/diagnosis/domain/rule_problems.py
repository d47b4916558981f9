"""Problem helpers shared by the edition checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from diagnosis.domain.problems import Problem


def problem(field: str, code: str, zh: str, en: str) -> Problem:
    return Problem(field, "edition." + code, zh, en)


def duplicates(field: str, ids: Iterable[str]) -> list[Problem]:
    counts = Counter(ids)
    return [
        problem(f"{field}.{i}", "duplicate_id", f"编号 {i} 重复出现 {n} 次", f"id {i} occurs {n} times") for i, n in counts.items() if n > 1
    ]
