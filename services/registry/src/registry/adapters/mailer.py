"""Sending e-mail through the configured SMTP server (``SIHUA_SMTP_HOST``); a no-op without one."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from sihua_shared.logging import get_logger
from sihua_shared.settings import Settings

log = get_logger("registry.mailer")


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def log_mail_state(settings: Settings) -> None:
    """Say at start-up whether mail goes out: without a server, password reset answers that it is unavailable."""
    if mail_configured(settings):
        log.info("mail.on", smtp_host=settings.smtp_host, smtp_port=settings.smtp_port)
    else:
        log.warning("mail.off", reason="SIHUA_SMTP_HOST is not set: no mail is sent and password reset is unavailable")


def _send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


async def send_mail(settings: Settings, to: str, subject: str, text: str) -> bool:
    """Send a plain-text UTF-8 mail; failures are logged, never raised (the caller has already answered)."""
    if not mail_configured(settings):
        log.warning("mail.not_configured", to=to, subject=subject)
        return False
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    try:
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("mail.failed", to=to, subject=subject, error=repr(exc))
        return False
    log.info("mail.sent", to=to, subject=subject)
    return True
