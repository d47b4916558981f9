"""Routes for products (小快轻准 数字化产品和服务): drafts, change requests, versions, review steps, panel scores,
brochures and delisting. Thin: the use cases decide (application/)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import Uuid
from sihua_shared.runtime import Runtime, get_runtime
from sihua_shared.storage import ATTACHMENT_DOWNLOAD

from ..application import products as uc
from ..application import review
from ..domain.access import DELISTERS, EXPERTS, PANEL_READERS, PRODUCT_EDITORS, PRODUCT_READERS, STEP_TAKERS
from .schemas import DelistIn, FileOut, ProductIn, ProductOut, RecusalIn, ScoresIn, StepIn, VersionOut

router = APIRouter(prefix="/products", tags=["products 小快轻准产品"])


def _out(row: dict[str, Any]) -> dict[str, Any]:
    return ProductOut.model_validate(row).model_dump(mode="json")


def _answer(row: dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(_out(row), status_code=status, headers={"ETag": etag_for(row["version"]), **headers})


@router.post("", status_code=201, response_model=ProductOut, summary="新建产品（草稿）/ Create a product draft",
             description="A verified digital service provider describes a product: version 1, a draft until submitted. "
             "Prices are integer fen with a unit; scenes are ids of the diagnosis edition in force. Send Idempotency-Key.")
async def create(body: ProductIn, request: Request, actor: Actor = Depends(require_roles(*PRODUCT_EDITORS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.create_product(session, actor, body.model_dump(mode="json"))
        return _out(row), {"ETag": etag_for(row["version"]), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"product:{actor.id}", make)


@router.get("", response_model=Page[ProductOut], summary="产品列表 / List products",
            description="A provider its own products; an expert those whose panel they sit on; a district officer the "
            "district's providers'; city officers and auditors every one. Filter by review state or listing.")
async def index(
    state: str | None = Query(None, max_length=20, pattern=r"^[a-z_]+$", description="审核状态"),
    listing: str | None = Query(None, max_length=20, pattern=r"^[a-z_]+$", description="上架状态"),
    page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*PRODUCT_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[ProductOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_products(session, actor, state=state, listing=listing, limit=page.limit, offset=page.offset)
    return Page(items=[ProductOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/{product_id}", response_model=ProductOut, summary="产品详情 / Read a product",
            description="Its latest version's content and review state; the version in force is `admitted_version`; "
            "`adoption`: its adopters and outcomes (contracts, accepted / failed projects, acceptance rate).")
async def read(product_id: Uuid, actor: Actor = Depends(require_roles(*PRODUCT_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.read_product(session, actor, product_id)
    return _answer(row)


@router.put("/{product_id}/draft", response_model=ProductOut, summary="修改草稿 / Edit the open draft",
            description="The provider edits its draft or returned version (send If-Match).")
async def edit(product_id: Uuid, body: ProductIn, request: Request, actor: Actor = Depends(require_roles(*PRODUCT_EDITORS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_product(session, actor, product_id, lock=True)
        check_if_match(request, row["version"])
        after = await uc.edit_draft(session, actor, product_id, body.model_dump(mode="json"), row["version"])
    return _answer(after)


@router.post("/{product_id}/versions", status_code=201, response_model=ProductOut,
             summary="申请变更（新版本）/ Request a change", description="A change request of an admitted product: a new "
             "draft version (prices and packages included), reviewed again; the version in force stays until it is "
             "admitted. Send If-Match.")
async def change(product_id: Uuid, body: ProductIn, request: Request, actor: Actor = Depends(require_roles(*PRODUCT_EDITORS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_product(session, actor, product_id, lock=True)
        check_if_match(request, row["version"])
        after = await uc.request_change(session, actor, product_id, body.model_dump(mode="json"))
    return _answer(after, 201)


@router.get("/{product_id}/versions", response_model=list[VersionOut], summary="版本列表 / List versions",
            description="Every version, past ones included, with its review history.")
async def versions(product_id: Uuid, actor: Actor = Depends(require_roles(*PRODUCT_READERS)),
                   runtime: Runtime = Depends(get_runtime)) -> list[VersionOut]:
    async with runtime.uow() as session:
        return [VersionOut.model_validate(v) for v in await uc.list_versions(session, actor, product_id)]


@router.get("/{product_id}/versions/{number}", response_model=VersionOut, summary="读取某一版本 / Read a version",
            description="A past version stays readable.")
async def version(product_id: Uuid, number: Annotated[int, Path(ge=1, le=100_000, description="版本号")],
                  actor: Actor = Depends(require_roles(*PRODUCT_READERS)),
                  runtime: Runtime = Depends(get_runtime)) -> VersionOut:
    async with runtime.uow() as session:
        return VersionOut.model_validate(await uc.read_version(session, actor, product_id, number))


@router.post("/{product_id}/steps", response_model=ProductOut, summary="审核步骤 / Take a review step",
             description="The provider submits; a city officer starts and passes the formal check (the expert panel is "
             "drawn then), admits, returns for revision or rejects (reasons required for the last two). Send If-Match.")
async def step(product_id: Uuid, body: StepIn, request: Request, actor: Actor = Depends(require_roles(*STEP_TAKERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_product(session, actor, product_id, lock=True)
        check_if_match(request, row["version"])
        after = await review.take_step(session, actor, product_id, body.action, list(body.reasons))
    return _answer(after)


@router.get("/{product_id}/panel", summary="评审组与评分 / The review panel",
            description="The open version's panel, the rubric and the scores: officials every member's, an expert their own.")
async def panel(product_id: Uuid, actor: Actor = Depends(require_roles(*PANEL_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await review.panel_view(session, actor, product_id)


@router.put("/{product_id}/scores", summary="专家评分 / Score as a panel member",
            description="An expert on the panel scores every criterion of the rubric (integers 0..max); again until decided.")
async def scores(product_id: Uuid, body: ScoresIn, actor: Actor = Depends(require_roles(*EXPERTS)),
                 runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await review.score(session, actor, product_id, dict(body.scores), body.comment)


@router.post("/{product_id}/recusal", summary="专家回避 / Recuse from the panel",
             description="An expert on the panel declares a conflict of interest with the reason: the next eligible expert "
             "of the same recorded draw takes the seat; the other members and their scores stay.")
async def recusal(product_id: Uuid, body: RecusalIn, actor: Actor = Depends(require_roles(*EXPERTS)),
                  runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await review.recuse(session, actor, product_id, body.reason)


@router.post("/{product_id}/delist", response_model=ProductOut, summary="下架 / Delist a product",
             description="A city officer takes a listed or suspended product off the supply list, with the reason (If-Match).")
async def delist(product_id: Uuid, body: DelistIn, request: Request, actor: Actor = Depends(require_roles(*DELISTERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.get_product(session, actor, product_id, lock=True)
        check_if_match(request, row["version"])
        after = await uc.delist(session, actor, product_id, body.reason, row["version"])
    return _answer(after)


@router.post("/{product_id}/files", status_code=201, response_model=FileOut, summary="上传产品资料 / Attach a brochure",
             description="Multipart `file` (PDF, images, Office documents, checked by content) to the open draft.")
async def upload(product_id: Uuid, request: Request, file: UploadFile = File(..., description="产品资料"),
                 actor: Actor = Depends(require_roles(*PRODUCT_EDITORS)), runtime: Runtime = Depends(get_runtime)) -> Response:
    data = await file.read()

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.attach_brochure(session, runtime.files, actor, product_id, filename=file.filename or "", data=data)
        return FileOut.model_validate(row).model_dump(mode="json"), {"Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"product-file:{actor.id}", make)


@router.get("/{product_id}/files", response_model=list[FileOut], summary="产品资料列表 / List files",
            description="Brochures of every version and the evidence of its adaptation records.")
async def files(product_id: Uuid, actor: Actor = Depends(require_roles(*PRODUCT_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> list[FileOut]:
    async with runtime.uow() as session:
        return [FileOut.model_validate(f) for f in await uc.list_files(session, actor, product_id)]


@router.get("/{product_id}/files/{file_id}", summary="下载产品资料 / Download a file", response_class=Response,
            responses=ATTACHMENT_DOWNLOAD, description="The file as uploaded.")
async def download(product_id: Uuid, file_id: Uuid, actor: Actor = Depends(require_roles(*PRODUCT_READERS)),
                   runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        item = await uc.get_file(session, actor, product_id, file_id)
    data = await runtime.files.get(item["storage_key"])
    return Response(data, media_type=item["content_type"],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(item['filename'])}"})
