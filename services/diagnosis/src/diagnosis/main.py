"""The diagnosis api: ``uvicorn diagnosis.main:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from sihua_shared.app import build_app
from sihua_shared.settings import Settings, load_settings

from .spec import SPEC


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or load_settings(SPEC.name))
