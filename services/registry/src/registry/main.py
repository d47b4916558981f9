"""The registry api: ``uvicorn registry.main:create_app --factory``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from sihua_shared.app import build_app
from sihua_shared.keys import SigningKey
from sihua_shared.settings import Settings, load_settings

from .adapters.external_issuers import ExternalIssuers
from .adapters.mailer import log_mail_state
from .api.jwks import router as jwks_router
from .spec import SPEC


def _own_keys(settings: Settings) -> list[dict[str, Any]]:
    # The registry is the issuer: it trusts its own signing key without fetching its JWKS.
    return [SigningKey.load_or_create(settings.service_data_dir / "keys").public_jwk()]


def create_app(settings: Settings | None = None, *, external_issuers: ExternalIssuers | None = None) -> FastAPI:
    """``external_issuers``: the identity providers trusted for token exchange; by default from the environment
    (``SIHUA_REGISTRY_EXTERNAL_ISSUERS`` or ``..._FILE``), read and validated now so that a bad one stops the start."""
    settings = settings or load_settings(SPEC.name)
    issuers = external_issuers if external_issuers is not None else ExternalIssuers.from_environment()

    def keep_key(app: FastAPI, _: object) -> None:
        app.state.signing_key = SigningKey.load_or_create(settings.service_data_dir / "keys")
        log_mail_state(settings)
        issuers.log_state()

    app = build_app(SPEC, settings, on_startup=keep_key, local_jwks=_own_keys)
    app.state.external_issuers = issuers
    app.include_router(jwks_router)  # at the root: /.well-known/jwks.json
    return app
