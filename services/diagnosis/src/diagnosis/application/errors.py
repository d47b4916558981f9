"""Domain problems as RFC 9457 problem details: one ``errors`` entry per problem, with its field path."""

from __future__ import annotations

from collections.abc import Iterable

from sihua_shared.problems import ProblemError, field_error

from ..domain.problems import Problem


def problems_error(status: int, code: str, detail: str, problems: Iterable[Problem], *, prefix: str = "body.") -> ProblemError:
    """``answers.Q3`` becomes ``body.answers.Q3``: the path of the offending node in the request body."""
    found = list(problems)
    errors = [field_error(f"{prefix}{p.field}" if p.field != "$" else prefix.rstrip("."), p.message_zh, p.message_en) for p in found]
    return ProblemError(status, code, detail, errors=errors, extra={"problem_codes": [p.code for p in found]})


def unprocessable(code: str, field: str, zh: str, en: str) -> ProblemError:
    return ProblemError(422, code, en, errors=[field_error(field, zh, en)])
