"""Report PDFs and the file store: a PDF written by a report issue that then fails is removed again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from diagnosis.adapters.report_tables import reports
from diagnosis.application import reports as report_use_case
from diagnosis.main import create_app
from sihua_shared.contracts.diagnosis import AssessmentCompleted
from sihua_shared.db import create_engine, session_factory
from sihua_shared.storage import LocalFileStore
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import DAY, LEVEL1, assess, seed


async def test_a_report_issue_that_fails_after_writing_its_pdf_leaves_no_file(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = await stack.settings("diagnosis", business_date=DAY)
    await seed(settings.database_url, ("ent-a", "enterprise", "huangpu", "auto_parts"))
    ent = stack.issuer.headers(["enterprise"], org="ent-a")
    async with service_client(create_app(settings)) as client:
        done = await assess(client, ent, LEVEL1)
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    async with factory() as session, session.begin():
        await report_use_case.queue_first_report(session, None, AssessmentCompleted.model_construct(
            assessment_id=done["id"], enterprise_id="ent-a"))

    async def failing_audit(*_: Any, **__: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    store = LocalFileStore(tmp_path)
    try:
        monkeypatch.setattr(report_use_case, "audit", failing_audit)
        assert await report_use_case.issue_next_report(factory, store, settings)
        assert list(tmp_path.rglob("*.pdf")) == [], "the failed issue left its PDF in the store"
        [failed] = await rows(settings.database_url, select(reports.c.state, reports.c.attempts))
        assert (failed.state, failed.attempts) == ("pending", 1)
        monkeypatch.undo()
        assert await report_use_case.issue_next_report(factory, store, settings)
        [issued] = await rows(settings.database_url, select(reports.c.state, reports.c.pdf_key))
        assert issued.state == "issued" and [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf")] == [
            issued.pdf_key]
    finally:
        await engine.dispose()
