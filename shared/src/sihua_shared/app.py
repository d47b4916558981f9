"""The api of a service: one FastAPI app per ``ServiceSpec`` with the shared conventions wired in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from .asyncapi import build_asyncapi
from .clock import BusinessClock
from .health import health_router
from .http import BodyGuardMiddleware, RequestContextMiddleware, ServerErrorMiddleware
from .jurisdiction import load_jurisdiction
from .logging import configure_logging, get_logger
from .openapi import install_openapi
from .problems import install_problem_handlers
from .revocation import DeactivatedAccounts, RevokedBefore
from .runtime import Runtime
from .service import ServiceSpec
from .settings import Settings

Hook = Callable[[FastAPI, Runtime], Any]
log = get_logger("sihua.app")


def build_app(
    spec: ServiceSpec,
    settings: Settings,
    *,
    on_startup: Hook | None = None,
    local_jwks: Callable[[Settings], list[dict[str, Any]]] | None = None,
) -> FastAPI:
    """The FastAPI app; the engine and clients are built in the lifespan, never at import. The business clock is
    made with the app (``app.state.clock``), so that a test can pin it before the lifespan starts."""
    clock = BusinessClock.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format, service=spec.name)
        runtime = Runtime.build(settings, local_jwks=local_jwks(settings) if local_jwks else None, clock=clock)
        app.state.runtime = runtime
        app.state.verifier = runtime.verifier
        app.state.spec = spec
        await runtime.verifier.refresh()
        await _keep_deactivated_accounts(runtime, spec)
        runtime.connect_nats_in_background(f"{spec.name}-api")  # as the api user: lag metrics only
        if on_startup is not None:
            result = on_startup(app, runtime)
            if hasattr(result, "__await__"):
                await result
        try:
            yield
        finally:
            await runtime.close()

    # /docs and /redoc load Swagger UI and ReDoc from the installed fastapi-offline package (served under
    # /static-offline-docs), never from a CDN: government networks are often isolated.
    app = FastAPIOffline(
        title=f"Sihua {spec.name} — {spec.title}",
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_tags=[{"name": "operations", "description": "健康检查、就绪、指标 / health, readiness, metrics"}],
    )
    install_openapi(app, lambda: load_jurisdiction(settings.jurisdiction))
    app.state.clock = clock
    # Innermost first: the body guard checks input before any route; server errors are answered inside CORS (so
    # that a browser can read them) and inside the request context (so that they carry the correlation id).
    app.add_middleware(
        BodyGuardMiddleware, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes
    )
    app.add_middleware(ServerErrorMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID", "Location"],
        )
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    app.include_router(health_router(spec))
    for router in spec.routers:
        app.include_router(router, prefix=spec.api_prefix)

    document = build_asyncapi(spec, nats_host=settings.nats_address)

    @app.get(
        "/asyncapi.json",
        tags=["operations"],
        summary="AsyncAPI 3.0 document",
        description="事件契约 / the events this service sends and receives, generated from their models.",
    )
    async def asyncapi() -> dict[str, Any]:
        return document

    return app


async def _keep_deactivated_accounts(runtime: Runtime, spec: ServiceSpec) -> None:
    """Read the deactivated accounts (the withdrawn experts, the accounts whose password was reset) before serving
    (briefly: a database that is away must not stop the start), then keep re-reading them in the background; the
    verifier refuses their tokens (drops the role ``expert`` from a withdrawn expert's; refuses those issued before
    a password reset)."""
    verifier = runtime.verifier
    verifier.deactivated = runtime.deactivated = await _kept_ids(runtime, DeactivatedAccounts(spec.deactivated_accounts))
    verifier.withdrawn_experts = await _kept_ids(runtime, DeactivatedAccounts(spec.withdrawn_experts))
    verifier.revoked_before = await _kept_ids(runtime, RevokedBefore(spec.revoked_before))


Kept = TypeVar("Kept", bound=DeactivatedAccounts)


async def _kept_ids(runtime: Runtime, ids: Kept) -> Kept:
    query = ids.query
    try:
        await asyncio.wait_for(ids.refresh(runtime.factory), timeout=5.0)
    except Exception as exc:
        log.warning("revocation.first_read_failed", error=repr(exc))
    if query is not None:
        interval = runtime.settings.revocation_refresh_seconds
        runtime.start_background(lambda stop: ids.keep_fresh(runtime.factory, interval, stop))
    return ids
