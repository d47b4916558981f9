"""The one error type of the registry's domain: a stable machine code plus a message in Chinese and English.

The HTTP layer maps a ``DomainError`` to an RFC 9457 problem (``code``; ``errors: [{field, message_zh, message_en}]``);
``TransitionNotAllowed`` maps to 409 with the allowed actions. Domain code never imports the framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A rule of the programme was broken.

    ``code`` is stable and machine-readable (snake_case); ``field`` is the path of the offending input
    (``"uscc"``, ``"rubric.criteria[1].weight"``) or ``None`` when the error concerns the whole object;
    ``details`` carries structured facts for the caller (never needed to understand the message).
    """

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.details: dict[str, Any] = dict(details or {})

    def as_field_error(self) -> dict[str, str | None]:
        """The ``errors[]`` entry of a problem-details response."""
        return {"field": self.field, "message_zh": self.message_zh, "message_en": self.message_en}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message_en={self.message_en!r})"
