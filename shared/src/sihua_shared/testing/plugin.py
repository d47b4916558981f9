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


@pytest.fixture
async def stack(servers: Servers, tmp_path: Path) -> AsyncIterator[Stack]:
    test_stack = Stack(servers=servers, namespace=f"t{uuid.uuid4().hex[:10]}", data_dir=tmp_path / "data")
    yield test_stack
    if servers.embedded_nats is None:  # leave an external NATS as the test found it
        await delete_namespace_streams(servers.nats_url, test_stack.namespace)
