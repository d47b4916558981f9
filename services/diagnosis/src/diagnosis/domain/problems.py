"""Problems found in an edition file or in an assessment's answers, and the errors that carry them.

A problem (``sihua_shared.errors.Problem``) names a field path (``answers.Q3``, ``answers.Q3.inputs.digital_devices``,
``items.Q8.options.F``), a stable machine code, and a message in Chinese and in English. Every check collects all
of them and raises once, so the person fixing the file or the answers sees every problem at the same time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sihua_shared.errors import DomainError, Problem


class _ProblemsFound(DomainError):
    """Every problem a check found, each with its path; ``problem_codes`` lists their codes for machines."""

    CODE = ""
    WHAT_ZH = ""
    WHAT_EN = ""

    def __init__(self, problems: Iterable[Problem]) -> None:
        found = tuple(problems)
        super().__init__(
            self.CODE, f"{self.WHAT_ZH}有 {len(found)} 处问题", f"{self.WHAT_EN} has {len(found)} problem(s)",
            problems=found, details={"problem_codes": [p.code for p in found]},
        )


class EditionInvalid(_ProblemsFound):
    """The edition file is broken; it must not be loaded."""

    CODE, WHAT_ZH, WHAT_EN = "edition_invalid", "指标版本文件", "the edition"


class AnswersInvalid(_ProblemsFound):
    """The answers do not fit the edition; nothing was scored."""

    CODE, WHAT_ZH, WHAT_EN = "answers_invalid", "答案", "the answers"


def problem(field: str, code: str, zh: str, en: str) -> Problem:
    """A problem of the edition file: its code in the ``edition.`` family."""
    return Problem(field, "edition." + code, zh, en)


def duplicates(field: str, ids: Iterable[str]) -> list[Problem]:
    counts = Counter(ids)
    return [
        problem(f"{field}.{i}", "duplicate_id", f"编号 {i} 重复出现 {n} 次", f"id {i} occurs {n} times") for i, n in counts.items() if n > 1
    ]
