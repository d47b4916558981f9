"""pytest fixtures over the harness; enabled by the repository's root ``conftest.py``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import Servers, Stack


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
def stack(servers: Servers, tmp_path: Path) -> Stack:
    return Stack(servers=servers, namespace=f"t{uuid.uuid4().hex[:10]}", data_dir=tmp_path / "data")
