"""The diagnosis api: ``uvicorn diagnosis.main:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from sihua_shared.app import build_app
from sihua_shared.runtime import Runtime
from sihua_shared.settings import Settings, load_settings

from .application.edition_cache import shipped_edition
from .spec import SPEC


def _load_shipped_edition(_: FastAPI, __: Runtime) -> None:
    """Parse the shipped edition before serving (about half a second), not in the first submission or read."""
    shipped_edition()


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or load_settings(SPEC.name), on_startup=_load_shipped_edition)
