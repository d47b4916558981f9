"""pytest fixtures over the harness; enabled by the repository's root ``conftest.py``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .harness import Servers, Stack, delete_namespace_streams


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    work = tmp_path_factory.mktemp("servers")
    started = Servers.start(work)
    try:
        started.prepare_templates()
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def secured_servers(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Servers whose NATS requires authentication: the shared ones, or (when the shared NATS is an
    external one without authentication) the same PostgreSQL with an embedded NATS of their own."""
    if servers.bus_auth is not None:
        yield servers
        return
    own = servers.with_own_secured_nats(tmp_path_factory.mktemp("secured"))
    try:
        yield own
    finally:
        own.stop_nats()


async def _stack(servers: Servers, tmp_path: Path) -> AsyncIterator[Stack]:
    test_stack = Stack(servers=servers, namespace=f"t{uuid.uuid4().hex[:10]}", data_dir=tmp_path / "data")
    await test_stack.open()
    try:
        yield test_stack
    finally:
        test_stack.close()
        if servers.embedded_nats is None:  # leave an external NATS as the test found it
            await delete_namespace_streams(servers, test_stack.namespace)


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[Stack]:
    async for test_stack in _stack(servers, tmp_path):
        yield test_stack


@pytest.fixture
async def secured_stack(secured_servers: Servers, tmp_path: Path) -> AsyncIterator[Stack]:
    """A stack on a NATS with authentication on, wherever the suite runs."""
    async for test_stack in _stack(secured_servers, tmp_path):
        yield test_stack
