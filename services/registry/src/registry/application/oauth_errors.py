"""OAuth 2.0 error answers (RFC 6749 §5.2) that are problem documents at the same time.

``error`` and ``error_description`` are what OAuth clients read; ``type``, ``code`` and ``errors`` (with
Chinese and English messages) are our problem-details convention.
"""

from __future__ import annotations

from sihua_shared.problems import ProblemError, field_error

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(
    status: int,
    error: str,
    description: str,
    *,
    field: str,
    zh: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemError:
    return ProblemError(
        status,
        code or error,
        description,
        errors=[field_error(field, zh, description)],
        headers={**NO_STORE, **(headers or {})},
        extra={"error": error, "error_description": description},
    )


def invalid_grant(description: str, zh: str, *, field: str = "body.password", code: str = "invalid_grant") -> ProblemError:
    return oauth_error(400, "invalid_grant", description, field=field, zh=zh, code=code)


def invalid_request(field: str, description: str, zh: str) -> ProblemError:
    return oauth_error(400, "invalid_request", description, field=field, zh=zh)


def invalid_client(*, basic: bool) -> ProblemError:
    headers = {"WWW-Authenticate": 'Basic realm="sihua"'} if basic else {}
    return oauth_error(
        401,
        "invalid_client",
        "client authentication failed",
        field="body.client_id",
        zh="客户端标识或密钥不正确",
        headers=headers,
    )


def too_many_attempts(retry_after: int, *, field: str, zh: str, description: str) -> ProblemError:
    return oauth_error(
        429,
        "invalid_grant",
        description,
        field=field,
        zh=zh,
        code="login_throttled",
        headers={"Retry-After": str(max(retry_after, 1))},
    )
