"""Routes for assessments (数字化水平评测): start, answers, submission, recomputation, lists."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params
from sihua_shared.inputs import JsonObject, Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application.assessments import (
    assessment_progress,
    fillable_assessment,
    list_assessments,
    load_assessment,
    save_answers,
    start_assessment,
)
from ..application.results import recompute_assessment
from ..application.submission import submit_assessment
from ..domain.access import FILLERS, OFFICIALS, READERS
from .schemas import (
    AssessmentOut,
    RecomputeIn,
    StartIn,
    SubmitIn,
    assessment_out,
    assessment_response,
)

router = APIRouter(prefix="/assessments", tags=["assessments 数字化水平评测"])

ANSWERS_EXAMPLE = {
    "answers": {"Q1": {"options": ["B", "C"]}, "Q2": {"inputs": {"total_devices": 120, "digital_devices": 50}}},
    "scenes": {"S01": 2, "S02": 1},
}


@router.post(
    "",
    status_code=201,
    response_model=AssessmentOut,
    summary="开始评测 / Start an assessment",
    description=(
        "An enterprise starts a self-assessment of itself; a provider or the third-party organisation starts one for an "
        "enterprise that consented (POST /consents). On-site assessments (现场评定) are started by an assessor of a "
        "consented third-party organisation or of the enterprise's assigned diagnosis provider. The assessment is pinned "
        "to the active version of the edition. A pilot enterprise's self-assessment is practice only: it is scored and "
        "reported but is not its official baseline/post-transformation record."
    ),
)
async def start(
    body: StartIn, request: Request, actor: Actor = Depends(require_roles(*FILLERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await start_assessment(session, actor, enterprise_id=body.enterprise_id, kind=body.kind,
                                         stage=body.stage, edition_id=body.edition_id)
            progress = await assessment_progress(session, row)
        out = assessment_out(row, detail=True, progress=progress).model_dump(mode="json")
        return out, {"ETag": etag_for(row["version"]), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"assessment:{actor.id}", create)


@router.get(
    "",
    response_model=Page[AssessmentOut],
    summary="评测列表 / List assessments",
    description=(
        "An enterprise sees its own; a provider or third party those it fills; officials and auditors submitted ones "
        "(district officers: their district); experts submitted ones of their district (an unbound expert: none)."
    ),
)
async def index(
    enterprise_id: Key | None = Query(None, description="企业 id"),
    state: Literal["draft", "submitted"] | None = Query(None, description="状态"),
    kind: Literal["self", "onsite"] | None = Query(None, description="评测方式"),
    stage: Literal["baseline", "post_transformation"] | None = Query(None, description="评测阶段"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Page[AssessmentOut]:
    filters = {"enterprise_id": enterprise_id, "state": state, "kind": kind, "stage": stage}
    async with runtime.uow() as session:
        items, total = await list_assessments(session, actor, filters=filters, limit=page.limit, offset=page.offset)
    return Page(items=[assessment_out(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/{assessment_id}",
    response_model=AssessmentOut,
    summary="查看评测 / Get an assessment",
    description="Answers saved so far (to resume), what is still missing, and the stored result once submitted.",
)
async def read(
    assessment_id: Uuid, actor: Actor = Depends(require_roles(*READERS)), runtime: Runtime = Depends(get_runtime)
) -> Response:
    async with runtime.read() as session:
        row = await load_assessment(session, actor, assessment_id)
        return assessment_response(row, progress=await assessment_progress(session, row))


@router.put(
    "/{assessment_id}/answers",
    response_model=AssessmentOut,
    summary="保存答卷 / Save answers (partially)",
    description=(
        "Merges the given items and scenes into the draft (`null` removes one); numeric inputs derive the option. Every "
        "problem (unknown option, two options on a single-choice item, 无 with others, negative counts, digital devices "
        "above total devices, a chosen option contradicting the inputs) answers 422 naming the item, and nothing is saved. "
        "If-Match is optional here (answers of different items merge); when sent it must match."
    ),
)
async def answers(
    assessment_id: Uuid,
    request: Request,
    body: JsonObject = Body(..., examples=[ANSWERS_EXAMPLE]),
    actor: Actor = Depends(require_roles(*FILLERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await fillable_assessment(session, actor, assessment_id)
        check_if_match(request, row["version"], required=False)
        row = await save_answers(session, actor, row, body)
        return assessment_response(row, progress=await assessment_progress(session, row))


@router.post(
    "/{assessment_id}/submit",
    response_model=AssessmentOut,
    summary="提交评测 / Submit with the authenticity commitment",
    description=(
        "Requires `authenticity_commitment: true` (真实性承诺) and complete answers; send If-Match with the ETag. Scores "
        "with the pinned edition (exact milli-points), stores the result, marks the edition used and publishes "
        "`assessment.submitted` and `assessment.completed`. The report follows from the worker."
    ),
)
async def submit(
    assessment_id: Uuid,
    body: SubmitIn,
    request: Request,
    actor: Actor = Depends(require_roles(*FILLERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await fillable_assessment(session, actor, assessment_id)
        check_if_match(request, row["version"])
        row = await submit_assessment(session, actor, row, commitment=body.authenticity_commitment)
        return assessment_response(row)


@router.post(
    "/{assessment_id}/recompute",
    summary="重算结果 / Recompute a result",
    description=(
        "Officials score the stored answers again — with the pinned edition (checks the stored result) or another "
        "version (shows what it would change) — and see the changed fields and a comparison. The stored result is kept."
    ),
)
async def recompute(
    assessment_id: Uuid,
    body: RecomputeIn | None = None,
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    async with runtime.uow() as session:
        row = await load_assessment(session, actor, assessment_id)
        return await recompute_assessment(session, row, body.edition_version if body else None)
