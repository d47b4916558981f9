"""Settings for every service: the common ``SIHUA_*`` ones and the service's own ``SIHUA_<NAME>_*``.

Nothing is read at import time; ``load_settings`` reads the environment when an entrypoint asks.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .bus import DUPLICATE_WINDOW_SECONDS, Credentials, user_name

SERVICES: tuple[str, ...] = ("registry", "diagnosis", "catalog", "funding", "evaluation")
DEFAULT_PORTS: dict[str, int] = {
    "registry": 8101,
    "diagnosis": 8102,
    "catalog": 8103,
    "funding": 8104,
    "evaluation": 8105,
}


class Settings(BaseSettings):
    """Everything a service's api and worker need; one instance per process."""

    model_config = SettingsConfigDict(env_prefix="SIHUA_", extra="ignore")

    service: str = ""
    database_url: str = ""
    nats_url: str = "nats://127.0.0.1:4222"
    # Prefix for stream names and subjects; empty in production, unique per test.
    nats_namespace: str = ""
    nats_stream_replicas: int = 1
    # NATS credentials: a folder of NKey seeds named <user>.nk (``registry-api.nk``, ``registry-worker.nk``:
    # each process reads only its own), created by devrun or ``python -m sihua_shared.nats_auth init``, or
    # mounted from secrets. Unset: ``<data_dir>/nats``. No seed there: the connection is anonymous, which
    # only a server without authentication accepts.
    nats_credentials_dir: Path | None = None
    data_dir: Path = Path(".data")
    jurisdiction: str = "guangzhou"
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    host: str = "127.0.0.1"
    port: int = 0

    # The business clock (clock.BusinessClock): real time unless pinned to a date (tests, loading history on a
    # given day) or shifted by an ISO 8601 duration (``-P400D``: the calendar runs 400 days behind). Stored
    # timestamps and token expiry always use the real time.
    business_date: date | None = None
    business_offset: timedelta = timedelta(0)

    # Auth: the registry issues tokens; the others verify with its JWKS.
    jwt_issuer: str = "sihua-registry"
    jwt_audience: str = "sihua"
    jwks_url: str = ""
    jwks_json: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 7
    # How often each api re-reads the accounts the registry deactivated: a deactivated account is refused
    # everywhere within about this long plus the event's delivery (revocation.py).
    revocation_refresh_seconds: float = 2.0

    # HTTP conventions
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 20 * 1_048_576

    # Storage: local folder unless an S3 endpoint is configured.
    s3_endpoint_url: str = ""
    s3_bucket: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    # Funding: the Fernet key (urlsafe base64, 32 bytes) that encrypts payees' bank accounts at rest
    # (SIHUA_PAYEE_ACCOUNT_KEY, mounted from secrets). Unset: payment orders are refused.
    payee_account_key: str = ""

    # Delivery tuning
    relay_batch_size: int = 200
    relay_poll_seconds: float = 1.0
    relay_max_backoff_seconds: float = 10.0
    consumer_batch_size: int = 100
    consumer_ack_wait_seconds: float = 30.0
    consumer_max_deliver: int = 5
    consumer_nak_delay_seconds: float = 1.0

    # Retention: published outbox rows, inbox rows and idempotency keys older than this are pruned by the
    # worker, a bounded batch per transaction, every interval.
    retention_seconds: float = 7 * 24 * 3600.0
    prune_interval_seconds: float = Field(600.0, gt=0)
    prune_batch_size: int = Field(1000, ge=1)

    # SMTP for notifications (optional)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "noreply@sihua.local"
    # Where people reach this service (for links in e-mails); http://<host>:<port> when empty. Never taken
    # from a request's Host header, which a caller controls.
    public_url: str = ""

    @field_validator("retention_seconds")
    @classmethod
    def _outlives_duplicate_window(cls, value: float) -> float:
        # Within the window JetStream drops a fact published again; after it only the inbox catches it, so
        # the inbox must remember longer than the window, or a re-published fact would be applied twice.
        if value <= DUPLICATE_WINDOW_SECONDS:
            raise ValueError(
                f"retention_seconds must be longer than the JetStream duplicate window ({DUPLICATE_WINDOW_SECONDS:g} s)"
            )
        return value

    @model_validator(mode="after")
    def _one_way_to_move_the_calendar(self) -> Settings:
        if self.business_date is not None and self.business_offset:
            raise ValueError("set SIHUA_BUSINESS_DATE or SIHUA_BUSINESS_OFFSET, not both")
        return self

    @property
    def public_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def service_data_dir(self) -> Path:
        return self.data_dir / self.service

    def nats_credentials(self, role: str) -> Credentials | None:
        """The credentials of this service's ``role`` process (``api`` or ``worker``), when present."""
        user = user_name(self.service, role, self.nats_namespace)
        path = (self.nats_credentials_dir or self.data_dir / "nats") / f"{user}.nk"
        if path.exists():
            return Credentials(user, path)
        if self.nats_credentials_dir is not None:
            raise FileNotFoundError(f"no NATS seed for {user} in {self.nats_credentials_dir}")
        return None

    @property
    def nats_address(self) -> str:
        """host:port of the (first) NATS server, as the AsyncAPI document names it."""
        first = self.nats_url.split(",")[0].strip()
        return urlsplit(first if "://" in first else f"nats://{first}").netloc.rpartition("@")[2]


def load_settings(service: str, **overrides: object) -> Settings:
    """Read the environment for ``service``: ``SIHUA_<NAME>_DATABASE_URL`` and ``SIHUA_<NAME>_PORT``
    win over the common ``SIHUA_DATABASE_URL`` / ``SIHUA_PORT``."""
    prefix = f"SIHUA_{service.upper()}_"
    values: dict[str, object] = {"service": service}
    for key in ("DATABASE_URL", "PORT", "DATA_DIR"):
        if (value := os.environ.get(prefix + key)) is not None:
            values[key.lower()] = value
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    if not settings.port:
        settings.port = DEFAULT_PORTS.get(service, 0)
    return settings
