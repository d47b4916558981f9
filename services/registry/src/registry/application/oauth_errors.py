"""OAuth 2.0 refusals (RFC 6749 §5.2) as domain errors that become problem documents at the same time.

``error`` and ``error_description`` (in ``details``, so members of the problem document) are what OAuth clients
read; ``code`` and the Chinese and English messages are our problem-details convention. The token route adds the
HTTP headers OAuth asks for (``Cache-Control: no-store``, ``WWW-Authenticate``).
"""

from __future__ import annotations

from sihua_shared.errors import DomainError, Kind


def oauth_error(
    kind: Kind,
    error: str,
    description: str,
    *,
    field: str,
    zh: str,
    code: str | None = None,
    **details: object,
) -> DomainError:
    return DomainError(
        code or error, zh, description, field=field, kind=kind,
        details={"error": error, "error_description": description, **details},
    )


def invalid_grant(description: str, zh: str, *, field: str = "body.password", code: str = "invalid_grant") -> DomainError:
    return oauth_error(Kind.BAD_REQUEST, "invalid_grant", description, field=field, zh=zh, code=code)


def invalid_request(field: str, description: str, zh: str) -> DomainError:
    return oauth_error(Kind.BAD_REQUEST, "invalid_request", description, field=field, zh=zh)


def invalid_client() -> DomainError:
    return oauth_error(Kind.UNAUTHENTICATED, "invalid_client", "client authentication failed", field="body.client_id",
                       zh="客户端标识或密钥不正确")


def too_many_attempts(retry_after: int, *, field: str, zh: str, description: str) -> DomainError:
    return oauth_error(Kind.TOO_MANY_REQUESTS, "invalid_grant", description, field=field, zh=zh, code="login_throttled",
                       retry_after=max(retry_after, 1))
