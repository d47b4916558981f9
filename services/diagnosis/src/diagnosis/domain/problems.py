"""Problems found in an edition file or in an assessment's answers, and the errors that carry them.

A problem names a field path (``answers.Q3``, ``answers.Q3.inputs.digital_devices``, ``items.Q8.options.F``),
a stable machine code, and a message in Chinese and in English. The HTTP layer maps the list one to one
onto RFC 9457 ``errors: [{field, message_zh, message_en}]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


class DomainError(Exception):
    """A rule of the diagnosis domain was broken; ``problems`` says every way in which it was."""

    code = "domain_error"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "; ".join(f"{p.field}: {p.message_en} [{p.code}]" for p in self.problems)
        super().__init__(f"{self.code}: {lines}")


class EditionInvalid(DomainError):
    """The edition file is broken; it must not be loaded."""

    code = "edition_invalid"


class AnswersInvalid(DomainError):
    """The answers do not fit the edition; nothing was scored."""

    code = "answers_invalid"
