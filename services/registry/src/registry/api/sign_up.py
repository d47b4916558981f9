"""The public sign-up (自主注册) and the activation of the contact's account (public: nobody is signed in yet)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.inputs import Text
from sihua_shared.jurisdiction import DistrictCode, SectorCode
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.settings import Settings

from ..adapters.mailer import mail_configured, send_mail
from ..application.sign_up import ACTIVATION_HOURS, SignUpMail, activate_account, sign_up, sign_up_mail_text
from .organisations import Employees, RevenueWan, TotalAssetsWan, Uscc
from .password_reset import PATH as RESET_PATH
from .password_reset import Accepted, ResetConfirmIn, password_page

router = APIRouter(prefix="/sign-up", tags=["sign-up 自主注册"])
PATH = "/api/registry/v1/sign-up"
SignUpKind = Literal["enterprise", "provider", "cluster_body", "third_party"]


class SignUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: Uscc
    name: Text = Field(min_length=2, max_length=300, description="单位名称")
    kind: SignUpKind = Field(
        description="类型：enterprise 企业、provider 数字化服务商、cluster_body 特色产业集群相关责任主体、third_party 第三方综合服务机构"
    )
    district: DistrictCode = Field(description="所在区 (code): its district's officers verify it")
    industry_code: Text = Field(min_length=1, max_length=20,
                                description="国民经济行业代码 GB/T 4754, e.g. C2110 (decides the size-class row)")
    sector: SectorCode | None = Field(default=None, description="试点行业 (code of the jurisdiction's pilot sectors)")
    employees: Employees | None = None
    revenue_wan: RevenueWan | None = None
    total_assets_wan: TotalAssetsWan | None = None
    contact_name: Text = Field(min_length=2, max_length=200, description="联系人姓名")
    contact_email: Text = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                description="联系人电子邮箱：激活链接发到这里，也是账号的登录名")


_SAME_ANSWER = Accepted(
    status="accepted",
    message_zh="注册申请已收到。如信息可以登记，激活链接已发送到联系人邮箱；单位由所在区主管部门核验。",
    message_en="Sign-up received. If it can be registered, an activation link has been mailed to the contact; "
               "the district's officers verify the organisation.",
)


async def _send(settings: Settings, mails: list[SignUpMail]) -> None:
    base = settings.public_base_url
    for mail in mails:
        subject, text = sign_up_mail_text(
            mail, f"{base}{PATH}/activate?token={mail.token}", f"{base}{RESET_PATH}?token={mail.token}",
            f"{base}{RESET_PATH}/request",
        )
        await send_mail(settings, mail.to, subject, text)


@router.post(
    "",
    status_code=202,
    summary="单位自主注册 / Sign an organisation up",
    description=(
        "Public, no sign-in (S2 五(一) 主动报备). An enterprise, digital service provider, cluster body or third-party "
        "organisation signs itself up: USCC (its check character is verified), name, kind, district, industry code, "
        "sector, the size-class inputs and the contact person. The organisation starts `unverified` "
        "(`organisation.registered` with `verification: unverified`) and the contact's account (role of the kind, "
        f"login = the e-mail address) is activated through a mailed link valid for {ACTIVATION_HOURS} hours. "
        "The answer is always the same 202, whether or not the USCC or the address is already registered; when it is, "
        "the registered contacts get a mail with the way to recover the account instead. Throttled per client address "
        "and per USCC (429 with `Retry-After`). Without a mail server it answers 503 `mail_unavailable` and stores nothing."
    ),
    response_model=Accepted,
    responses={
        429: {"description": "注册过于频繁 / too many sign-ups from this address or for this USCC (`sign_up_throttled`)"},
        503: {"description": "邮件服务未配置 / no mail server is configured: sign-up is unavailable (`mail_unavailable`)"},
    },
)
async def sign_up_route(
    body: SignUpIn, request: Request, background: BackgroundTasks, runtime: Runtime = Depends(get_runtime)
) -> Accepted:
    profile = body.model_dump(exclude={"contact_name", "contact_email"})
    address = request.client.host if request.client else "unknown"
    async with runtime.uow() as session:
        mails = await sign_up(session, profile, body.contact_name, body.contact_email, address=address,
                              mail_configured=mail_configured(runtime.settings), jurisdiction=runtime.jurisdiction)
    # Sent after the answer, so that its timing does not tell whether the organisation was known.
    background.add_task(_send, runtime.settings, mails)
    return _SAME_ANSWER


@router.post(
    "/activate",
    summary="激活账号 / Activate the contact's account",
    description=(
        "Takes the token of the mailed activation link and the first password (at least 10 characters, letters and "
        "digits). The link works once."
    ),
    response_model=Accepted,
)
async def activate(body: ResetConfirmIn, runtime: Runtime = Depends(get_runtime)) -> Accepted:
    async with runtime.uow() as session:
        await activate_account(session, body.token, body.new_password)
    return Accepted(status="done", message_zh="账号已激活，请使用新密码登录。", message_en="Account activated; sign in with your password.")


@router.get(
    "/activate",
    summary="激活账号页面 / The page the activation link opens",
    description="A minimal form that posts the token and the first password to `/sign-up/activate`.",
    response_class=HTMLResponse,
)
async def activation_page(token: Text = Query("", max_length=200)) -> HTMLResponse:
    return password_page(token, title="激活账号 / Activate your account", post=f"{PATH}/activate")
