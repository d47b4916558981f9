"""File storage: local folder and S3-compatible (a real local S3 server from moto), type by content."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from sihua_shared.embedded import free_port
from sihua_shared.errors import DomainError
from sihua_shared.problems import domain_problem
from sihua_shared.settings import Settings
from sihua_shared.storage import (
    LocalFileStore,
    S3FileStore,
    build_file_store,
    files_of_failed_transactions_removed,
    sniff,
    store_in,
)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_sniff_accepts_documents_by_content(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize("data", [b"MZ\x90\x00" + b"\x00" * 60, b"just text, named report.pdf", b"#!/bin/sh\nrm -rf /\n"])
def test_sniff_refuses_other_content_whatever_the_name(data: bytes) -> None:
    with pytest.raises(DomainError) as caught:
        sniff(data, field="body.file")
    problem = domain_problem(caught.value)
    assert problem.status == 415
    assert problem.errors[0].field == "body.file" and problem.errors[0].message_zh


async def test_local_store_round_trip(tmp_path: Path) -> None:
    store = build_file_store(Settings(service="registry", data_dir=tmp_path))
    assert isinstance(store, LocalFileStore)
    stored = await store.put("applications/a1/report.pdf", PDF, "application/pdf")
    assert stored.size == len(PDF) and len(stored.sha256) == 64
    assert await store.get("applications/a1/report.pdf") == PDF
    assert (tmp_path / "registry" / "files" / "applications" / "a1" / "report.pdf").exists()
    await store.delete("applications/a1/report.pdf")
    with pytest.raises(FileNotFoundError):
        await store.get("applications/a1/report.pdf")
    with pytest.raises(ValueError):
        await store.put("../escape.pdf", PDF, "application/pdf")


@pytest.fixture
def s3_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def test_s3_store_round_trip(s3_server: str) -> None:
    settings = Settings(
        service="registry", s3_endpoint_url=s3_server, s3_bucket="sihua-files", s3_access_key="test-key", s3_secret_key="test-secret"
    )
    boto3.client(
        "s3", endpoint_url=s3_server, aws_access_key_id="test-key", aws_secret_access_key="test-secret", region_name="us-east-1"
    ).create_bucket(Bucket="sihua-files")
    store = build_file_store(settings)
    assert isinstance(store, S3FileStore)
    await store.put("applications/a1/photo.png", PNG, "image/png")
    assert await store.get("applications/a1/photo.png") == PNG
    await store.delete("applications/a1/photo.png")
    with pytest.raises(Exception, match="NoSuchKey"):
        await store.get("applications/a1/photo.png")


class _Session:
    """What the helpers need of a session: its ``info``."""

    def __init__(self) -> None:
        self.info: dict[str, object] = {}


async def test_files_of_a_failed_transaction_are_removed(tmp_path: Path) -> None:
    store, session = LocalFileStore(tmp_path), _Session()
    with pytest.raises(RuntimeError):
        async with files_of_failed_transactions_removed(session):
            await store_in(session, store, "a/failed.pdf", PDF, "application/pdf")
            assert (tmp_path / "a/failed.pdf").exists()
            raise RuntimeError("the insert after the write failed")
    assert not (tmp_path / "a/failed.pdf").exists(), "an orphan file stayed in the store"

    async with files_of_failed_transactions_removed(session):
        await store_in(session, store, "a/kept.pdf", PDF, "application/pdf")
    assert (tmp_path / "a/kept.pdf").read_bytes() == PDF


async def test_a_savepoint_that_succeeded_loses_its_files_when_the_transaction_fails(tmp_path: Path) -> None:
    store, session = LocalFileStore(tmp_path), _Session()
    with pytest.raises(RuntimeError):
        async with files_of_failed_transactions_removed(session):  # the transaction (an idempotency key's)
            async with files_of_failed_transactions_removed(session):  # the use case's savepoint
                await store_in(session, store, "b/inner.png", PNG, "image/png")
            with pytest.raises(ValueError):
                async with files_of_failed_transactions_removed(session):  # a second savepoint fails alone
                    await store_in(session, store, "b/second.png", PNG, "image/png")
                    raise ValueError("rolled back to the savepoint")
            assert (tmp_path / "b/inner.png").exists() and not (tmp_path / "b/second.png").exists()
            raise RuntimeError("the commit failed")
    assert list(tmp_path.rglob("*.png")) == []
