"""Password reset by an e-mailed one-time link (public: whoever forgot their password is not signed in)."""

from __future__ import annotations

import html

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.inputs import Text
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.settings import Settings

from ..adapters.mailer import mail_configured, send_mail
from ..application.password_reset import ResetMail, confirm_password_reset, request_password_reset, reset_mail_text

router = APIRouter(prefix="/password-reset", tags=["auth 认证"])
PATH = "/api/registry/v1/password-reset"


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    login: Text = Field(min_length=3, max_length=320, description="登录名或电子邮箱 / username or e-mail")


class ResetConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Text = Field(min_length=10, max_length=200, description="邮件链接中的令牌")
    new_password: Text = Field(min_length=1, max_length=200, description="新密码：至少 10 位，含字母和数字")


class Accepted(BaseModel):
    status: str
    message_zh: str
    message_en: str


async def _send_links(settings: Settings, mails: list[ResetMail]) -> None:
    for mail in mails:
        subject, text = reset_mail_text(mail, f"{settings.public_base_url}{PATH}?token={mail.token}")
        await send_mail(settings, mail.to, subject, text)


@router.post(
    "/request",
    status_code=202,
    summary="申请重置密码 / Ask for a password-reset link",
    description=(
        "Sends a one-time link (valid for 60 minutes) to the e-mail address of the account named by "
        "`login` (username or e-mail). Always answers 202, whether or not such an account exists. Without a mail "
        "server configured it answers 503 `mail_unavailable` and sends nothing."
    ),
    response_model=Accepted,
    responses={503: {"description": "邮件服务未配置 / no mail server is configured: reset is unavailable (`mail_unavailable`)"}},
)
async def request_reset(
    body: ResetRequestIn, background: BackgroundTasks, runtime: Runtime = Depends(get_runtime)
) -> Accepted:
    async with runtime.uow() as session:
        mails = await request_password_reset(session, body.login, mail_configured=mail_configured(runtime.settings))
    # Sent after the answer, so that its timing does not tell whether the account exists.
    background.add_task(_send_links, runtime.settings, mails)
    return Accepted(
        status="accepted",
        message_zh="如果该账号存在，重置链接已发送到其登记的电子邮箱。",
        message_en="If the account exists, a reset link has been sent to its e-mail address.",
    )


@router.post(
    "/confirm",
    summary="设置新密码 / Set a new password",
    description=(
        "Takes the token from the e-mailed link and the new password (at least 10 characters, letters and "
        "digits). The link works once; every session of the account ends and a login lock is lifted."
    ),
    response_model=Accepted,
)
async def confirm_reset(body: ResetConfirmIn, runtime: Runtime = Depends(get_runtime)) -> Accepted:
    async with runtime.uow() as session:
        await confirm_password_reset(session, body.token, body.new_password)
    return Accepted(status="done", message_zh="密码已更新，请使用新密码登录。", message_en="Password changed; sign in with it.")


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:28rem;margin:3rem auto">
<h1>{title}</h1>
<form id="f"><input type="hidden" name="token" value="{token}">
<label>新密码 / New password（至少 10 位，含字母和数字）<br>
<input type="password" name="new_password" minlength="10" required autocomplete="new-password"></label>
<p><button>提交 / Submit</button></p></form><p id="out"></p>
<script>
document.getElementById("f").onsubmit = async (e) => {{
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target));
  const r = await fetch("{post}", {{method: "POST", headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify(data)}});
  const j = await r.json();
  document.getElementById("out").textContent = r.ok ? j.message_zh + " " + j.message_en
    : (j.errors || []).map((x) => x.message_zh + " / " + x.message_en).join("; ");
}};
</script></body></html>"""


@router.get(
    "",
    summary="重置密码页面 / The page the e-mailed link opens",
    description="A minimal form that posts the token and the new password to `/password-reset/confirm`.",
    response_class=HTMLResponse,
)
async def reset_page(token: Text = Query("", max_length=200)) -> HTMLResponse:
    return password_page(token, title="重置密码 / Reset password", post=f"{PATH}/confirm")


def password_page(token: str, *, title: str, post: str) -> HTMLResponse:
    """The page a mailed one-time link opens: it posts the token and the new password to ``post``."""
    page = _PAGE.format(token=html.escape(token, quote=True), title=title, post=post)
    return HTMLResponse(page, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
