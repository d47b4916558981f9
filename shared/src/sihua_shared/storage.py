"""File storage: a local folder by default, S3-compatible storage when an endpoint is configured.

Upload types are checked by content (magic bytes), never by the file name.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import filetype

from .errors import DomainError, Kind
from .settings import Settings

# What people attach: PDF, images, Office documents.
ATTACHMENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}
# The download of an attachment, as OpenAPI declares it: answered with the type found in the content.
ATTACHMENT_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "文件内容 / the file, with the type read from its content",
        "content": {mime: {"schema": {"type": "string", "format": "binary"}} for mime in dict.fromkeys(ATTACHMENT_TYPES.values())},
    }
}
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,300}$")


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str
    content_type: str


def sniff(data: bytes, allowed: dict[str, str] = ATTACHMENT_TYPES, *, field: str = "file") -> str:
    """The content type read from the bytes; an unsupported media type (415) when it is not an allowed kind."""
    kind = filetype.guess(data[:8192] if len(data) > 8192 else data)
    if kind is None and data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: legacy .doc/.xls
        return "application/msword"
    if kind is None or kind.extension not in allowed:
        found = kind.mime if kind else "unknown"
        raise DomainError(
            "unsupported_file_type",
            f"文件类型不被接受（按内容识别为 {found}），允许：{'、'.join(sorted(allowed))}",
            f"file type {found} (by content) is not allowed; allowed: {', '.join(sorted(allowed))}",
            field=field,
            kind=Kind.UNSUPPORTED_MEDIA_TYPE,
            detail=f"file content is {found}; allowed: {', '.join(sorted(allowed))}",
        )
    return allowed[kind.extension]


class FileStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> StoredFile: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


def _check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"unsafe storage key {key!r}")
    return key


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def put(self, key: str, data: bytes, content_type: str) -> StoredFile:
        path = self.root / _check_key(key)

        def _write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

        await asyncio.to_thread(_write)
        return StoredFile(key, len(data), hashlib.sha256(data).hexdigest(), content_type)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread((self.root / _check_key(key)).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread((self.root / _check_key(key)).unlink, True)


class S3FileStore:
    def __init__(self, settings: Settings) -> None:
        import boto3

        self.bucket = settings.s3_bucket
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            region_name=settings.s3_region,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> StoredFile:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self.bucket,
            Key=_check_key(key),
            Body=data,
            ContentType=content_type,
        )
        return StoredFile(key, len(data), hashlib.sha256(data).hexdigest(), content_type)

    async def get(self, key: str) -> bytes:
        response = await asyncio.to_thread(self._client.get_object, Bucket=self.bucket, Key=_check_key(key))
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=_check_key(key))


def build_file_store(settings: Settings) -> FileStore:
    if settings.s3_endpoint_url:
        return S3FileStore(settings)
    return LocalFileStore(settings.service_data_dir / "files")


# Files stored by a transaction that has not committed yet: (store, key) pairs in the session's ``info``.
_WRITTEN = "sihua.files_written"


async def store_in(session: Any, files: FileStore, key: str, data: bytes, content_type: str) -> StoredFile:
    """Store a file as part of ``session``'s transaction: should the transaction not commit, the unit of work
    that owns it (``files_of_failed_transactions_removed``) deletes the file again."""
    stored = await files.put(key, data, content_type)
    session.info.setdefault(_WRITTEN, []).append((files, stored.key))
    return stored


@asynccontextmanager
async def files_of_failed_transactions_removed(session: Any) -> AsyncIterator[None]:
    """Around a transaction (or savepoint) of ``session``: the files stored in it with ``store_in`` are deleted
    when it fails, its commit included; a file whose row never committed is no orphan in the store."""
    written: list[tuple[FileStore, str]] = session.info.setdefault(_WRITTEN, [])
    mark = len(written)
    try:
        yield
    except BaseException:
        for files, key in written[mark:]:
            with suppress(Exception):  # the failure that brought us here is the one to report
                await files.delete(key)
        del written[mark:]
        raise
