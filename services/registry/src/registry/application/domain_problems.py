"""The domain's errors as problem details: a broken rule is 422 at its field, a refused transition 409 with the
allowed actions, a rule about the moment (the call not open, too few eligible experts) 409."""

from __future__ import annotations

from typing import Any

from sihua_shared.problems import ProblemError, field_error

from ..domain.call_state import CallTransitionNotAllowed
from ..domain.errors import DomainError

# Codes that are about the current situation rather than the input: retrying later (or after a change) may succeed.
_CONFLICTS = frozenset({"call_not_open", "not_enough_experts", "no_chair_available", "scores_incomplete"})


def domain_problem(exc: DomainError, *, prefix: str = "body.") -> ProblemError:
    """``prefix`` places the domain's field path in the request (``body.``, ``query.``…)."""
    if exc.code == "transition_not_allowed" or isinstance(exc, CallTransitionNotAllowed):
        extra: dict[str, Any] = {"state": exc.details.get("state"), "allowed": exc.details.get("allowed", [])}
        return ProblemError(409, "transition_not_allowed", exc.message_en,
                            errors=[field_error("state", exc.message_zh, exc.message_en)], extra=extra)
    field = exc.field or ""
    if exc.code in _CONFLICTS:
        return ProblemError(409, exc.code, exc.message_en, errors=[field_error(field or "state", exc.message_zh, exc.message_en)],
                            extra={"details": exc.details} if exc.details else None)
    path = f"{prefix}{field}" if field else prefix.rstrip(".") or "body"
    return ProblemError(422, exc.code, exc.message_en, errors=[field_error(path, exc.message_zh, exc.message_en)],
                        extra={"details": exc.details} if exc.details else None)


def invalid(field: str, zh: str, en: str, code: str = "validation_failed") -> ProblemError:
    return ProblemError(422, code, en, errors=[field_error(field, zh, en)])
