"""What every service's demo part uses: the in-process apis with one business calendar, the demo accounts signed
in, requests that fail loudly, waiting for the workers, and the record of what is loaded."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from ..clock import BusinessClock
from ..settings import SERVICES, load_settings

PREFIX = {service: f"/api/{service}/v1" for service in SERVICES}


class DemoError(RuntimeError):
    """A demo step did not get the answer it expected (the message carries the request and the answer)."""


class Demo:
    """In-process apis of the five services (their clocks pinned together), the demo accounts' tokens, named ids."""

    def __init__(self, data_dir: Path, passwords: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.passwords = passwords
        self.ids: dict[str, Any] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.clocks: dict[str, BusinessClock] = {}
        self._tokens: dict[str, str] = {}
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Demo:
        for service in SERVICES:
            app = importlib.import_module(f"{service}.main").create_app(load_settings(service))
            self.clocks[service] = app.state.clock
            await self._stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo", timeout=60)
            self.clients[service] = await self._stack.enter_async_context(client)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    # the business calendar: each service's part pins its own api's clock, so that parts of different services may
    # run side by side on different days
    def on(self, day: date, *services: str) -> date:
        for service in services or tuple(self.clocks):
            self.clocks[service].pin(day)
        return day

    def today(self, service: str) -> date:
        return self.clocks[service].today()

    async def token(self, username: str) -> str:
        if username not in self._tokens:
            answer = await self.clients["registry"].post(f"{PREFIX['registry']}/oauth/token", data={
                "grant_type": "password", "username": username, "password": self.passwords[username]})
            if answer.status_code != 200:
                raise DemoError(f"sign-in of {username}: {answer.status_code} {answer.text}")
            self._tokens[username] = answer.json()["access_token"]
        return self._tokens[username]

    async def request(self, service: str, method: str, path: str, as_: str | None = None, *, status: int | tuple[int, ...] = (200, 201),
                      if_match: Any = None, key: bool = False, raw: bool = False, **kwargs: Any) -> Any:
        """One request to a service's api as a demo account; ``if_match`` a resource (its ``version``) or an ETag."""
        headers: dict[str, str] = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers["Authorization"] = f"Bearer {await self.token(as_)}"
        if if_match is not None:
            headers["If-Match"] = if_match if isinstance(if_match, str) else f'"{if_match["version"]}"'
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        url = path if path.startswith("/api/") else f"{PREFIX[service]}{path}"
        answer = await self.clients[service].request(method, url, headers=headers, **kwargs)
        wanted = (status,) if isinstance(status, int) else status
        if answer.status_code not in wanted:
            raise DemoError(f"{method} {url} as {as_} on {self.today(service)}: {answer.status_code} {answer.text[:600]}")
        if raw:
            return answer
        return answer.json() if answer.content else None

    async def get(self, service: str, path: str, as_: str | None = None, **kwargs: Any) -> Any:
        return await self.request(service, "GET", path, as_, **kwargs)

    async def post(self, service: str, path: str, as_: str | None = None, **kwargs: Any) -> Any:
        return await self.request(service, "POST", path, as_, **kwargs)

    async def put(self, service: str, path: str, as_: str | None = None, **kwargs: Any) -> Any:
        return await self.request(service, "PUT", path, as_, **kwargs)

    async def current(self, service: str, path: str, as_: str) -> str:
        """The ETag of a resource, for a transition."""
        answer = await self.request(service, "GET", path, as_, raw=True)
        return str(answer.headers["etag"])

    async def until(self, what: str, check: Callable[[], Awaitable[Any]], timeout: float = 40.0) -> Any:
        """Wait for the running workers (a fact relayed, another service's reaction): poll ``check`` until truthy."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = await check()
            except DemoError as error:
                last = error
            if last and not isinstance(last, DemoError):
                return last
            await asyncio.sleep(0.25)
        raise DemoError(f"waited {timeout:.0f}s for {what}; last: {last}")


class Marker:
    """What is loaded: ``<data>/demo/loaded.json`` names each stage done, with the ids it made (never loaded again)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "demo" / "loaded.json"
        self.state: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {"stages": [], "ids": {}}

    @property
    def stages(self) -> list[str]:
        return list(self.state["stages"])

    def done(self, stage: str, ids: dict[str, Any]) -> None:
        self.state["stages"].append(stage)
        self.state["ids"] = ids
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.state, ensure_ascii=False, indent=2))
