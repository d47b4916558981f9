"""The OAuth 2.0 token and revocation endpoints (public: the token endpoint is how one signs in)."""

from __future__ import annotations

import base64
import binascii
from typing import Literal
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from sihua_shared.errors import DomainError, Kind
from sihua_shared.inputs import Text
from sihua_shared.keys import SigningKey
from sihua_shared.problems import Problem, ProblemError, domain_problem
from sihua_shared.runtime import Runtime, get_runtime

from ..adapters.external_issuers import ExternalIssuers
from ..application.oauth_errors import invalid_request, oauth_error
from ..application.token_exchange import GRANT_TYPE as TOKEN_EXCHANGE
from ..application.token_exchange import check_exchange_request, token_exchange_grant, verify_subject_token
from ..application.tokens import (
    Outcome,
    client_credentials_grant,
    password_grant,
    refresh_grant,
    revoke_refresh_token,
)
from .jwks import signing_key

router = APIRouter(prefix="/oauth", tags=["auth 认证"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

GRANT_TYPES = ("password", "client_credentials", "refresh_token", TOKEN_EXCHANGE)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    refresh_token: str | None = None
    issued_token_type: str | None = None


def external_issuers(request: Request) -> ExternalIssuers:
    found: ExternalIssuers = getattr(request.app.state, "external_issuers", None) or ExternalIssuers.none()
    return found


class OAuthProblem(Problem):
    error: str
    error_description: str


_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": OAuthProblem, "description": "invalid_request, invalid_grant, invalid_target, unsupported_grant_type"},
    401: {"model": OAuthProblem, "description": "invalid_client"},
    429: {"model": OAuthProblem, "description": "too many failed logins; see Retry-After"},
}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def _refusal(error: DomainError, *, basic: bool = False) -> ProblemError:
    """The problem document with the headers OAuth asks for: never cached; Basic clients are challenged again."""
    challenge = {"WWW-Authenticate": 'Basic realm="sihua"'} if basic and error.kind is Kind.UNAUTHENTICATED else {}
    return domain_problem(error, headers={**NO_STORE, **challenge})


def _required(name: str, value: str | None) -> str:
    if not value:
        raise _refusal(invalid_request(f"body.{name}", f"{name} is required", f"缺少 {name}"))
    return value


@router.post(
    "/token",
    summary="获取令牌 / Token endpoint (OAuth 2.0)",
    description=(
        "`application/x-www-form-urlencoded`. `grant_type=password` (people: `username`, `password`), "
        "`client_credentials` (agencies: HTTP Basic or `client_id`/`client_secret`), `refresh_token` "
        "(rotates the refresh token), `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693: `subject_token` "
        "an ID token of a trusted external identity provider that vouches for a USCC, `subject_token_type` "
        "`urn:ietf:params:oauth:token-type:id_token` or `...:jwt`; answers an access token of the organisation's "
        "account with `issued_token_type`, no refresh token). Answers RS256 access tokens. Five failed logins lock an account for "
        "15 minutes (429 with `Retry-After`). Errors follow RFC 6749 (`error`, `error_description`) and carry "
        "the problem-details fields as well."
    ),
    response_model=TokenOut,
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def token(
    request: Request,
    grant_type: Text | None = Form(
        None, max_length=100, description="password | client_credentials | refresh_token | urn:ietf:params:oauth:grant-type:token-exchange"
    ),
    username: Text | None = Form(None, max_length=200),
    password: Text | None = Form(None, max_length=200),
    refresh_token: Text | None = Form(None, max_length=200),
    client_id: Text | None = Form(None, max_length=200),
    client_secret: Text | None = Form(None, max_length=200),
    scope: Text | None = Form(None, max_length=500, description="ignored: roles come from the account"),
    subject_token: Text | None = Form(None, max_length=16_000, description="token exchange: the external ID token"),
    subject_token_type: Text | None = Form(None, max_length=100, description="urn:ietf:params:oauth:token-type:id_token"),
    requested_token_type: Text | None = Form(None, max_length=100, description="urn:ietf:params:oauth:token-type:access_token"),
    audience: Text | None = Form(None, max_length=500, description="token exchange: sihua (the only one)"),
    actor_token: Text | None = Form(None, max_length=16_000, description="not supported (no delegation)"),
    runtime: Runtime = Depends(get_runtime),
    key: SigningKey = Depends(signing_key),
    issuers: ExternalIssuers = Depends(external_issuers),
) -> Response:
    settings = runtime.settings
    kind = _required("grant_type", grant_type)
    outcome: Outcome
    basic: tuple[str, str] | None = None
    if kind == "password":
        user, secret = _required("username", username), _required("password", password)
        address = request.client.host if request.client else "unknown"
        async with runtime.uow() as session:
            outcome = await password_grant(session, key, settings, user, secret, address)
    elif kind == "client_credentials":
        basic = _basic_credentials(request)
        given = basic or (_required("client_id", client_id), _required("client_secret", client_secret))
        async with runtime.uow() as session:
            outcome = await client_credentials_grant(session, key, settings, *given)
    elif kind == "refresh_token":
        presented = _required("refresh_token", refresh_token)
        async with runtime.uow() as session:
            outcome = await refresh_grant(session, key, settings, presented)
    elif kind == TOKEN_EXCHANGE:
        presented = _required("subject_token", subject_token)
        refused = check_exchange_request(
            settings, subject_token_type=_required("subject_token_type", subject_token_type),
            requested_token_type=requested_token_type, audience=audience, actor_token=actor_token,
        )
        identity = refused or await verify_subject_token(issuers, settings, presented)
        if isinstance(identity, DomainError):
            raise _refusal(identity)
        async with runtime.uow() as session:
            outcome = await token_exchange_grant(session, key, settings, identity)
    else:
        raise _refusal(oauth_error(
            Kind.BAD_REQUEST, "unsupported_grant_type", f"grant_type must be one of {', '.join(GRANT_TYPES)}",
            field="body.grant_type", zh="不支持的授权类型",
        ))
    # A refused grant is raised only now, after the transaction committed what it counted or revoked.
    if isinstance(outcome, DomainError):
        raise _refusal(outcome, basic=basic is not None)
    return JSONResponse(outcome.body(), headers=NO_STORE)


@router.post(
    "/revoke",
    summary="撤销令牌 / Revoke a refresh token (RFC 7009)",
    description=(
        "Signs out: revokes the refresh token and every token rotated from the same sign-in. Holding the "
        "token is the proof; the answer is 200 whether or not the token was known. Access tokens are "
        "short-lived and expire on their own."
    ),
    response_class=Response,
    responses={200: {"description": "撤销成功（无内容）/ revoked, or not known: no body"}, 400: {"model": OAuthProblem}},
)
async def revoke(
    token: Text | None = Form(None, max_length=200),
    token_type_hint: Text | None = Form(None, max_length=50),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    presented = _required("token", token)
    async with runtime.uow() as session:
        await revoke_refresh_token(session, presented)
    return Response(status_code=200, headers=NO_STORE)
