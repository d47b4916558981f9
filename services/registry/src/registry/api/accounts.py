"""Routes for accounts of people (账号) and agencies' client credentials (接入凭证).

Creating an account or a client answers its generated password or secret once. These POSTs take no
``Idempotency-Key`` on purpose: a replayed answer would have to keep the secret in plain text. A retry
is safe anyway: the username is unique (409), and a client made twice can be left unused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, Role, current_actor, require_roles
from sihua_shared.errors import DomainError, Kind
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import Key, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.accounts import (
    create_account,
    create_client,
    deactivate_client,
    list_accounts,
    read_account,
    read_client,
    set_account_active,
)
from ..application.credentials import generate_password
from ..domain.access import ACCOUNT_MANAGERS, ACCOUNT_READERS, CITY_ONLY, CLIENT_READERS

router = APIRouter(tags=["accounts 账号"])

# cluster_body: accounts of a 特色产业集群相关责任主体; finance: the finance bureau's officers. Banks and the finance
# bureau's systems are clients with the ``service`` role.
PersonRole = Literal[
    "enterprise", "provider", "expert", "district_officer", "city_officer", "third_party", "cluster_body", "finance", "auditor",
]
ClientRole = Literal["service", "third_party", "auditor"]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(pattern=r"^[A-Za-z0-9._@-]{3,100}$", description="登录名（不区分大小写）")
    display_name: Text = Field(min_length=1, max_length=200, description="姓名")
    email: Text = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="电子邮箱（用于重置密码）")
    roles: list[PersonRole] = Field(min_length=1, max_length=9, description="角色")
    organisation_id: Uuid | None = Field(default=None, description="所属单位（企业、服务商）")
    district: DistrictCode | None = Field(default=None, description="所在区（区级账号）")


class AccountOut(BaseModel):
    id: str
    organisation_id: str | None
    username: str
    display_name: str
    email: str
    roles: list[Role]
    district: DistrictCode | None
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    version: int
    created_at: datetime


class AccountCreated(AccountOut):
    initial_password: str = Field(description="初始密码，只显示这一次 / shown this once only")


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text = Field(min_length=2, max_length=200, description="接入机构名称")
    roles: list[ClientRole] = Field(min_length=1, max_length=3, description="角色")
    organisation_id: Uuid | None = Field(default=None, description="所属单位")


class ClientOut(BaseModel):
    client_id: str
    name: str
    roles: list[Role]
    organisation_id: str | None
    active: bool
    created_by: str
    created_at: datetime
    version: int


class ClientCreated(ClientOut):
    client_secret: str = Field(description="密钥，只显示这一次 / shown this once only")


class ClientDeactivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=2, max_length=1000, description="停用理由（如密钥泄露、机构停止接入）")


def _answer(body: BaseModel, status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


@router.post(
    "/accounts",
    status_code=201,
    summary="创建账号 / Create an account",
    description=(
        "A city officer creates any account; a district officer enterprise, provider and district-officer "
        "accounts of their own district; an enterprise or provider account colleagues of its own "
        "organisation with its own role (never officials). The generated initial password is answered once."
    ),
    response_model=AccountCreated,
)
async def create(
    body: AccountIn,
    request: Request,
    actor: Actor = Depends(require_roles(*ACCOUNT_MANAGERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    password = generate_password()
    async with runtime.uow() as session:
        account = await create_account(session, actor, body.model_dump(), password)
    out = AccountCreated(**account, initial_password=password)
    location = f"{request.url.path}/{account['id']}"
    return _answer(out, 201, Location=location, ETag=etag_for(account["version"]), **{"Cache-Control": "no-store"})


@router.get(
    "/accounts/me",
    summary="我的账号 / My account",
    description="The signed-in person's own account.",
    response_model=AccountOut,
    responses={404: {"description": "令牌属于接入机构而非个人账号 / the token is an agency client's, not a person's"}},
)
async def me(actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        try:
            account = await read_account(session, actor, actor.id)
        except DomainError as exc:
            if exc.kind is not Kind.NOT_FOUND:
                raise
            raise DomainError(
                "not_an_account", "该令牌属于接入机构，不是个人账号", "the token is not a person's", field="authorization",
                kind=Kind.NOT_FOUND, detail="the token belongs to an agency client, not to a person's account",
            ) from exc
    return _answer(AccountOut(**account), ETag=etag_for(account["version"]))


@router.get(
    "/accounts",
    summary="账号列表 / List accounts",
    description="City officers and auditors see every account; a district officer the accounts of their district.",
    response_model=Page[AccountOut],
)
async def index(
    page: PageParams = Depends(page_params),
    role: PersonRole | None = Query(None, description="按角色筛选"),
    organisation_id: Uuid | None = Query(None, description="按单位筛选"),
    actor: Actor = Depends(require_roles(*ACCOUNT_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[AccountOut]:
    async with runtime.uow() as session:
        found, total = await list_accounts(
            session, actor, limit=page.limit, offset=page.offset, role=role, organisation_id=organisation_id
        )
    return Page(items=[AccountOut(**a) for a in found], total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/accounts/{account_id}",
    summary="查看账号 / Get an account",
    description="Readable by the account itself, by whoever may manage it and by auditors. The ETag is its version.",
    response_model=AccountOut,
)
async def read(
    account_id: Uuid, actor: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.uow() as session:
        account = await read_account(session, actor, account_id)
    return _answer(AccountOut(**account), ETag=etag_for(account["version"]))


async def _set_active(request: Request, actor: Actor, runtime: Runtime, account_id: str, active: bool) -> Response:
    async with runtime.uow() as session:
        account = await set_account_active(
            session, actor, account_id, active, lambda version: check_if_match(request, version)
        )
    return _answer(AccountOut(**account), ETag=etag_for(account["version"]))


@router.post(
    "/accounts/{account_id}/deactivate",
    summary="停用账号 / Deactivate an account",
    description="Needs `If-Match` with the account's ETag. Ends the account's sessions (refresh tokens).",
    response_model=AccountOut,
)
async def deactivate(
    account_id: Uuid,
    request: Request,
    actor: Actor = Depends(require_roles(*ACCOUNT_MANAGERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return await _set_active(request, actor, runtime, account_id, False)


@router.post(
    "/accounts/{account_id}/activate",
    summary="重新启用账号 / Activate an account again",
    description="Needs `If-Match` with the account's ETag.",
    response_model=AccountOut,
)
async def activate(
    account_id: Uuid,
    request: Request,
    actor: Actor = Depends(require_roles(*ACCOUNT_MANAGERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return await _set_active(request, actor, runtime, account_id, True)


@router.post(
    "/clients",
    status_code=201,
    summary="创建接入凭证 / Create client credentials for an agency",
    description=(
        "City officers give an integrating agency a `client_id` and a secret for the client-credentials "
        "grant. The secret is answered once and stored only as an argon2 hash."
    ),
    response_model=ClientCreated,
)
async def new_client(
    body: ClientIn,
    actor: Actor = Depends(require_roles(*CITY_ONLY)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        client, secret = await create_client(session, actor, body.name, list(body.roles), body.organisation_id)
    out = ClientCreated(**client, client_secret=secret)
    return _answer(out, 201, **{"Cache-Control": "no-store", "ETag": etag_for(client["version"])})


@router.get(
    "/clients/{client_id}",
    summary="查看接入凭证 / Get an agency client",
    description="City officers and auditors. Never the secret. The ETag is its version.",
    response_model=ClientOut,
)
async def get_client(
    client_id: Key, actor: Actor = Depends(require_roles(*CLIENT_READERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.uow() as session:
        client = await read_client(session, client_id)
    return _answer(ClientOut(**client), ETag=etag_for(client["version"]))


@router.post(
    "/clients/{client_id}/deactivate",
    summary="停用接入凭证 / Deactivate an agency client",
    description=(
        "A city officer, with a reason and `If-Match` (the client's ETag). Final: the client-credentials grant refuses "
        "it at once and every service refuses its live access tokens within seconds (`account.deactivated`)."
    ),
    response_model=ClientOut,
)
async def deactivate_agency_client(
    client_id: Key,
    body: ClientDeactivateIn,
    request: Request,
    actor: Actor = Depends(require_roles(*CITY_ONLY)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        client = await deactivate_client(session, actor, client_id, body.reason, lambda v: check_if_match(request, v))
    return _answer(ClientOut(**client), ETag=etag_for(client["version"]))
