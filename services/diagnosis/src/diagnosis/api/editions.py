"""Routes for editions of the index (指标版本): list, read, upload, activate, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from sihua_shared.auth import Actor, current_actor, require_roles
from sihua_shared.http import Page, PageParams, page_params
from sihua_shared.problems import ProblemError, field_error
from sihua_shared.runtime import Runtime, get_runtime

from ..application.editions import (
    activate_edition,
    delete_edition,
    edition_text,
    get_edition,
    list_editions,
    upload_edition,
)
from ..domain.access import EDITION_MANAGERS
from .schemas import EditionId, EditionVersion

router = APIRouter(prefix="/editions", tags=["editions 指标版本"])
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


class EditionOut(BaseModel):
    version_id: str
    edition_id: str
    content_hash: str
    title: str
    shipped: bool
    used: bool
    active: bool
    uploaded_by: str
    uploaded_at: datetime
    summary: dict[str, Any] | None = None


def _out(row: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(EditionOut.model_validate(row).model_dump(mode="json"), status_code=status)


@router.post(
    "",
    status_code=201,
    response_model=EditionOut,
    summary="上传指标版本 / Upload an edition (YAML)",
    description=(
        "City officers upload an edition as YAML (`Content-Type: application/yaml`). It is checked on load (maxima add "
        "up, options fit their items, exclusive options, scenes complete, ladder monotone): a broken file answers 422 "
        "listing every problem with its path. The version is the content: the same YAML answers 200 with the stored "
        "version. An edition id already used by assessments is frozen (409): a corrected edition needs a new id. "
        "The upload does not activate the version."
    ),
    openapi_extra={"requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}}},
    responses={200: {"model": EditionOut, "description": "已有相同内容的版本 / the same YAML was stored before: that version"}},
)
async def upload(
    request: Request, actor: Actor = Depends(require_roles(*EDITION_MANAGERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in YAML_TYPES:
        raise ProblemError(415, "unsupported_media_type", f"send the edition as YAML, not {media or 'nothing'}",
                           errors=[field_error("header.Content-Type", "请以 YAML 格式上传（application/yaml）", "send application/yaml")])
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(422, "edition_invalid", "the edition is not UTF-8 text",
                           errors=[field_error("body", "文件须为 UTF-8 编码", "the file must be UTF-8")]) from exc
    async with runtime.uow() as session:
        row, created = await upload_edition(session, actor, text)
    response = _out(row, 201 if created else 200)
    response.headers["Location"] = f"{request.url.path}/{row['version_id']}"
    return response


@router.get("", response_model=Page[EditionOut], summary="指标版本列表 / List editions",
            description="Every stored version, the shipped 2024 edition included, with its active and used flags.")
async def index(
    edition_id: EditionId | None = Query(None),
    page: PageParams = Depends(page_params),
    _: Actor = Depends(current_actor),
    runtime: Runtime = Depends(get_runtime),
) -> Page[EditionOut]:
    async with runtime.uow() as session:
        items, total = await list_editions(session, edition_id=edition_id, limit=page.limit, offset=page.offset)
    return Page(items=[EditionOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{version_id}", response_model=EditionOut, summary="查看指标版本 / Get an edition",
            description="The version's flags and a summary: items, scenes, levels, level-rule mode and provenance.")
async def read(version_id: EditionVersion, _: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return _out(await get_edition(session, version_id))


@router.get("/{version_id}/yaml", summary="下载指标版本 YAML / The edition's YAML", response_class=Response,
            description="The file exactly as shipped or uploaded.", responses={200: {"content": {"application/yaml": {}}}})
async def yaml_text(version_id: EditionVersion, _: Actor = Depends(current_actor), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        text = await edition_text(session, version_id)
    return Response(text, media_type="application/yaml; charset=utf-8")


@router.post("/{version_id}/activate", response_model=EditionOut, summary="启用指标版本 / Activate a version",
             description="City officers choose the version new assessments of this edition id are pinned to. "
             "Assessments already started keep theirs.")
async def activate(
    version_id: EditionVersion, actor: Actor = Depends(require_roles(*EDITION_MANAGERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.uow() as session:
        return _out(await activate_edition(session, actor, version_id))


@router.delete("/{version_id}", status_code=204, summary="删除指标版本 / Delete an unused version",
               description="Only a version never shipped, activated, used or pinned by an assessment (409 otherwise).")
async def remove(
    version_id: EditionVersion, actor: Actor = Depends(require_roles(*EDITION_MANAGERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.uow() as session:
        await delete_edition(session, actor, version_id)
    return Response(status_code=204)
