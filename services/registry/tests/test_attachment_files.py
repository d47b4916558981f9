"""Attachments and the file store: a file written by an upload whose transaction then fails is removed again."""

from __future__ import annotations

from typing import Any

import pytest

from registry.application import attachments as attachment_use_case
from registry.main import create_app
from sihua_shared.errors import conflict
from sihua_shared.testing.harness import Stack, service_client

from .selection_kit import API, PDF, World


async def test_an_attachment_whose_transaction_fails_leaves_no_file(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = await stack.settings("registry")
    app_ = create_app(settings)

    async def failing_audit(*_: Any, **__: Any) -> None:
        raise conflict("audit_unavailable", "审计日志不可用", "the audit log is unavailable")

    async with service_client(app_) as client:
        w = World(stack, client)
        call = await w.open_call()
        org = await w.org()
        me = w.as_org(org)
        app = await w.draft(call, org, materials=False)
        monkeypatch.setattr(attachment_use_case, "audit", failing_audit)
        failed = await w.upload(app["id"], me, "business_licence", PDF)
        assert failed.status_code == 409, failed.text
        root = app_.state.runtime.files.root / "applications" / app["id"]
        assert [p for p in root.rglob("*") if p.is_file()] == [], "the failed upload left its file in the store"
        monkeypatch.undo()
        kept = await w.upload(app["id"], me, "business_licence", PDF)
        assert kept.status_code == 201, kept.text
        assert [a["id"] for a in (await client.get(f"{API}/applications/{app['id']}/attachments", headers=me)).json()] == [
            kept.json()["id"]]
        assert len([p for p in root.rglob("*") if p.is_file()]) == 1
