"""Operational endpoints: liveness, readiness (the database decides; NATS is a detail) and metrics."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from .consumer import consumer_lag
from .outbox import outbox_backlog
from .retention import retention_figures
from .runtime import Runtime
from .service import ServiceSpec
from .tables import dead_letters


async def _database_ok(runtime: Runtime) -> tuple[bool, str]:
    try:
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:
        return False, repr(exc)[:300]


def _revocation_detail(runtime: Runtime) -> dict[str, Any]:
    """How many accounts this api refuses, and how fresh that knowledge is (a detail: readiness is the database's)."""
    age = runtime.deactivated.age_seconds
    return {"count": len(runtime.deactivated), "age_seconds": None if age is None else round(age, 1)}


def _nats_detail(runtime: Runtime) -> str:
    if runtime.nats is None:
        return "not connected yet"
    return "connected" if runtime.nats.is_connected else "reconnecting"


async def delivery_figures(runtime: Runtime, spec: ServiceSpec) -> dict[str, Any]:
    async with runtime.factory() as session:
        backlog = await outbox_backlog(session)
        dead = (
            await session.execute(
                select(dead_letters.c.consumer, func.count())
                .where(dead_letters.c.replayed_at.is_(None))
                .group_by(dead_letters.c.consumer)
            )
        ).all()
    lag: dict[str, int | None] = {}
    if runtime.nats is not None and runtime.nats.is_connected:
        js = runtime.nats.jetstream()
        for sub in spec.subscriptions:
            try:
                lag[sub.durable] = await consumer_lag(
                    js, sub.producer, sub.durable, runtime.settings.nats_namespace
                )
            except Exception:
                lag[sub.durable] = None
    return {"outbox_backlog": backlog, "dead_letters": {c: int(n) for c, n in dead}, "consumer_lag": lag}


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    service: str
    checks: dict[str, Any] = Field(description="database, nats, outbox_backlog, dead_letters")


def health_router(spec: ServiceSpec) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness", description="进程存活 / the process is up.")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @router.get(
        "/readyz",
        response_model=Readiness,
        summary="Readiness",
        description="就绪检查：数据库不可用时失败（503，同样的内容）；NATS 状态仅作说明 / fails with 503 and the same body "
        "when the database is unreachable.",
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        ok, db_detail = await _database_ok(runtime)
        body: dict[str, Any] = {
            "status": "ready" if ok else "not_ready",
            "service": spec.name,
            "checks": {"database": db_detail, "nats": _nats_detail(runtime),
                       "deactivated_accounts": _revocation_detail(runtime)},
        }
        if ok:
            figures = await delivery_figures(runtime, spec)
            body["checks"]["outbox_backlog"] = figures["outbox_backlog"]
            body["checks"]["dead_letters"] = sum(figures["dead_letters"].values())
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        summary="Prometheus metrics",
        description="Prometheus 指标 / outbox backlog, consumer lag, dead letters, retention (rows pruned and overdue).",
    )
    async def metrics(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        registry = CollectorRegistry()
        up = Gauge("sihua_database_up", "1 when the database answers", ["service"], registry=registry)
        ok, _ = await _database_ok(runtime)
        up.labels(spec.name).set(1 if ok else 0)
        nats_up = Gauge("sihua_nats_connected", "1 when connected to NATS", ["service"], registry=registry)
        nats_up.labels(spec.name).set(1 if runtime.nats is not None and runtime.nats.is_connected else 0)
        age = Gauge("sihua_deactivated_accounts_age_seconds", "seconds since the deactivated accounts were last read",
                    ["service"], registry=registry)
        age.labels(spec.name).set(runtime.deactivated.age_seconds if runtime.deactivated.age_seconds is not None else -1)
        if ok:
            figures = await delivery_figures(runtime, spec)
            backlog = Gauge("sihua_outbox_backlog", "events committed, not yet published", ["service"], registry=registry)
            backlog.labels(spec.name).set(figures["outbox_backlog"])
            labels = ["service", "consumer"]
            dl = Gauge("sihua_dead_letters", "dead letters not yet replayed", labels, registry=registry)
            for sub in spec.subscriptions:
                dl.labels(spec.name, sub.durable).set(figures["dead_letters"].get(sub.durable, 0))
            lag = Gauge("sihua_consumer_lag", "messages pending or unacknowledged", labels, registry=registry)
            for name, value in figures["consumer_lag"].items():
                if value is not None:
                    lag.labels(spec.name, name).set(value)
            by_table = ["service", "table"]
            pruned = Counter("sihua_pruned_rows", "rows pruned by the retention job", by_table, registry=registry)
            overdue = Gauge(
                "sihua_retention_overdue_rows", "rows past the retention not yet pruned", by_table, registry=registry
            )
            last_run = Gauge(
                "sihua_retention_last_run_timestamp_seconds", "when the retention job last ran", by_table, registry=registry
            )
            async with runtime.factory() as session:
                retention = await retention_figures(session, runtime.settings.retention_seconds)
            for table, kept in retention.items():
                pruned.labels(spec.name, table).inc(kept["pruned"])
                overdue.labels(spec.name, table).set(kept["overdue"])
                if kept["last_run_at"] is not None:
                    last_run.labels(spec.name, table).set(kept["last_run_at"].timestamp())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
