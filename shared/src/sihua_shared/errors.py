"""The one error type that domain and application code raise: ``DomainError``.

It says what went wrong, never how to answer it over HTTP: a stable machine ``code`` (snake_case), a message in
Chinese and in English, the ``field`` path of the offending input, structured ``details``, and a ``kind``. The edge
(``sihua_shared.problems``) derives the status from the kind and answers an RFC 9457 problem document, so a rule
raised here reads the same from a route, a consumer or a test. Imports nothing from a framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What sort of refusal it is; the edge maps each to one HTTP status."""

    INVALID = "invalid"  # the input breaks a rule (422)
    BAD_REQUEST = "bad_request"  # the request is malformed for its protocol, e.g. an OAuth grant (400)
    UNAUTHENTICATED = "unauthenticated"  # who is asking is not established (401)
    FORBIDDEN = "forbidden"  # the actor may not do or see this (403)
    NOT_FOUND = "not_found"  # the thing does not exist, or is not visible to the actor (404)
    CONFLICT = "conflict"  # the current state forbids it; it may succeed later or after another change (409)
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"  # a state machine refuses the step; lists the allowed ones (409)
    PRECONDITION_FAILED = "precondition_failed"  # the version the caller read is stale (412)
    TOO_LARGE = "too_large"  # a file or body exceeds its limit (413)
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # (415)
    TOO_MANY_REQUESTS = "too_many_requests"  # throttled; ``details["retry_after"]`` in seconds (429)
    UNAVAILABLE = "unavailable"  # what it needs is not configured or not reachable, e.g. no mail server (503)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong at one place: the field path, a stable code, and the message in Chinese and English."""

    field: str
    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}

    def at(self, prefix: str) -> Problem:
        """The same problem with its path placed under ``prefix`` (``answers.Q3`` → ``body.answers.Q3``); ``$`` or
        an empty path is the prefix itself."""
        if not prefix:
            return self
        return replace(self, field=prefix if self.field in ("", "$") else f"{prefix}.{self.field}")


class DomainError(Exception):
    """A rule was broken.

    ``field`` is the path of the offending input (``"uscc"``, ``"rubric.criteria[1].weight"``, ``"body.file"``) or
    ``None`` when the error concerns the whole object. ``problems`` lists every problem when there are several
    (each with its own path and code); otherwise the error is its own single problem. ``details`` are structured
    facts for the caller (never needed to understand the message); they become members of the problem document.
    ``detail`` is an English one-line summary when the messages are per problem.
    """

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        kind: Kind = Kind.INVALID,
        details: Mapping[str, Any] | None = None,
        problems: Iterable[Problem] | None = None,
        detail: str | None = None,
    ) -> None:
        listed = tuple(problems or ())
        # Logs and test failures show every problem, each with its path and code.
        lines = "; ".join(f"{p.field}: {p.message_en} [{p.code}]" for p in listed) or message_en
        super().__init__(f"{code}: {lines}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.kind = kind
        self.details: dict[str, Any] = dict(details or {})
        self.listed = listed
        self.detail = detail or message_en

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, each with its field path: the ``errors[]`` of the problem document."""
        if self.listed:
            return self.listed
        return (Problem(self.field or _DEFAULT_FIELD.get(self.kind, ""), self.code, self.message_zh, self.message_en),)

    def at(self, prefix: str) -> DomainError:
        """The error with its input paths placed in the request (``body``, ``query``): the domain names fields
        of its own objects, the use case knows where they came from. Only input errors move: a conflict or a
        refused transition concerns the stored state, not a field of the request."""
        if self.kind is not Kind.INVALID:
            return self
        moved = DomainError(
            self.code,
            self.message_zh,
            self.message_en,
            field=prefix if not self.field else f"{prefix}.{self.field}",
            kind=self.kind,
            details=self.details,
            problems=[p.at(prefix) for p in self.listed],
            detail=self.detail,
        )
        moved.__cause__ = self
        return moved

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, kind={self.kind.value!r}, field={self.field!r}, message_en={self.message_en!r})"


# Where an error without a field points: the part of the request or of the state it concerns.
_DEFAULT_FIELD = {
    Kind.FORBIDDEN: "authorization",
    Kind.UNAUTHENTICATED: "authorization",
    Kind.NOT_FOUND: "path.id",
    Kind.CONFLICT: "state",
    Kind.TRANSITION_NOT_ALLOWED: "state",
    Kind.PRECONDITION_FAILED: "header.If-Match",
    Kind.INVALID: "body",
    Kind.BAD_REQUEST: "body",
}


def invalid(field: str, zh: str, en: str, code: str = "validation_failed") -> DomainError:
    """The input at ``field`` (a full request path: ``body.file``, ``query.from``) breaks a rule."""
    return DomainError(code, zh, en, field=field)


def invalid_all(code: str, zh: str, en: str, problems: Iterable[Problem], *, detail: str | None = None) -> DomainError:
    """The input breaks several rules at once; every one is listed with its path, and ``problem_codes`` lists
    their codes for machines."""
    found = tuple(problems)
    return DomainError(code, zh, en, problems=found, details={"problem_codes": [p.code for p in found]}, detail=detail)


def combined(
    code: str, zh: str, en: str, errors: Iterable[DomainError], *, prefix: str = "", details: Mapping[str, Any] | None = None,
    detail: str | None = None,
) -> DomainError:
    """One error listing every problem of several checks, each placed under ``prefix`` (``body``) when given."""
    problems = [p for e in errors for p in (e.at(prefix) if prefix else e).problems]
    return DomainError(code, zh, en, problems=problems, details=details, detail=detail)


def not_found(entity: str, entity_id: str) -> DomainError:
    return DomainError(
        "not_found", f"{entity} 不存在", f"{entity} does not exist", field="path.id", kind=Kind.NOT_FOUND,
        detail=f"{entity} {entity_id} not found",
    )


def forbidden(zh: str = "无权访问该资源", en: str = "You may not access this resource", *, field: str = "authorization",
              code: str = "forbidden") -> DomainError:
    return DomainError(code, zh, en, field=field, kind=Kind.FORBIDDEN)


def conflict(code: str, zh: str, en: str, *, field: str = "state", detail: str | None = None, **details: Any) -> DomainError:
    return DomainError(code, zh, en, field=field, kind=Kind.CONFLICT, details=details, detail=detail)


def stale_version(entity_en: str, entity_zh: str) -> DomainError:
    """The version the caller read (its ``If-Match``) is no longer the current one."""
    return DomainError(
        "stale_version", f"{entity_zh}已被修改，请刷新后重试", "stale version", field="header.If-Match",
        kind=Kind.PRECONDITION_FAILED, detail=f"the {entity_en} changed meanwhile; reload it and try again",
    )


class TransitionNotAllowed(DomainError):
    """A state machine refuses ``action`` in ``state``; ``allowed`` lists the actions that are allowed there."""

    def __init__(self, state: str, action: str, allowed: Sequence[str], *, message_zh: str, message_en: str) -> None:
        super().__init__(
            "transition_not_allowed", message_zh, message_en, field="state", kind=Kind.TRANSITION_NOT_ALLOWED,
            details={"state": str(state), "action": str(action), "allowed": [str(a) for a in allowed]},
        )
        self.state = state
        self.action = action
        self.allowed = list(allowed)


def transition_not_allowed(entity: str, state: str, action: str, allowed: Sequence[str]) -> TransitionNotAllowed:
    """A refused step of a lifecycle kept in plain flags (a consent's revocation, an account's activation)."""
    listed = ", ".join(allowed) or "none"
    return TransitionNotAllowed(
        state, action, allowed,
        message_zh=f"当前状态（{state}）不允许执行“{action}”，允许的操作：{'、'.join(allowed) or '无'}",
        message_en=f"cannot {action} a {entity} that is {state}; allowed: {listed}",
    )
