"""Routes for funding applications (奖补申请) and the award ledger (奖补台账)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import applications as uc
from ..domain.access import APPLICANTS, APPROVERS, READERS, REVIEWERS
from .schemas import ApplicationOut, AwardOut, ComputationOut, CreateIn, InputsIn, RejectIn, ReviewIn, State

router = APIRouter(tags=["applications 奖补申请"])


def _answer(row: dict[str, object], status: int = 200) -> Response:
    return versioned_json(ApplicationOut, row, status)


@router.post("/applications", status_code=201, response_model=ApplicationOut,
             summary="创建奖补申请 / Create an application (draft)",
             description=("The organisation entitled to apply drafts one application for one measure of a policy in force "
                          "today, with its inputs (money in integer fen), for a project id shared across measures; evidence "
                          "files follow (`POST …/evidence`). Send an Idempotency-Key."))
async def create(body: CreateIn, request: Request, actor: Actor = Depends(require_roles(*APPLICANTS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.create_application(
                session, actor, runtime.settings.jurisdiction, policy_id=body.policy_id, measure_id=body.measure_id,
                project_id=body.project_id, inputs=body.inputs)
        out = ApplicationOut.model_validate(row).model_dump(mode="json")
        return out, {"ETag": etag_for(int(row["version"])), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"funding_application:{actor.id}", make)


@router.get("/applications", response_model=Page[ApplicationOut], summary="奖补申请列表 / List applications",
            description="Applicants see their own; district officers their district; city officers, auditors and finance all.")
async def index(
    state: State | None = Query(None, description="状态"),
    measure_id: Key | None = Query(None, max_length=100, description="措施"),
    project_id: Key | None = Query(None, max_length=100, description="项目号"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*READERS)), runtime: Runtime = Depends(get_runtime),
) -> Page[ApplicationOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_applications(session, actor, state=state, measure_id=measure_id, project_id=project_id,
                                                  limit=page.limit, offset=page.offset)
    return Page(items=[ApplicationOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="查看奖补申请 / Get an application",
            description="Visible to the same actors as the list.")
async def read(application_id: Uuid, actor: Actor = Depends(require_roles(*READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return _answer(await uc.get_application(session, actor, application_id))


@router.get("/applications/{application_id}/computation", response_model=ComputationOut,
            summary="核算过程 / The computation and its trace",
            description=("Before a decision: a preview with today's ledger. After approval: the decision replayed from its "
                         "frozen inputs (policy version, facts, investment figures, prior awards) — the same trace."))
async def trace(application_id: Uuid, actor: Actor = Depends(require_roles(*READERS)),
                runtime: Runtime = Depends(get_runtime)) -> ComputationOut:
    async with runtime.uow() as session:
        app = await uc.get_application(session, actor, application_id)
        return ComputationOut.model_validate(await uc.computation(session, actor, app))


@router.put("/applications/{application_id}/inputs", response_model=ApplicationOut, summary="修改申报数据 / Edit a draft's inputs",
            description="The applicant replaces the inputs of its draft (money in integer fen). Send If-Match.")
async def edit(application_id: Uuid, body: InputsIn, request: Request, actor: Actor = Depends(require_roles(*APPLICANTS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        app = await uc.get_application(session, actor, application_id)
        uc.ensure_may(actor, app, "submit")
        check_if_match(request, app["version"])
        return _answer(await uc.edit_inputs(session, actor, app, body.inputs))


@router.post("/applications/{application_id}/submit", response_model=ApplicationOut, summary="提交申请 / Submit",
             description=("The applicant submits; the submission date selects the policy version in force (an expired policy "
                          "accepts none); one project is not funded twice. Send If-Match."))
async def submit(application_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*APPLICANTS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        app = await uc.get_application(session, actor, application_id)
        uc.ensure_may(actor, app, "submit")
        check_if_match(request, app["version"])
        return _answer(await uc.submit(session, actor, runtime.settings.jurisdiction, app, app["version"]))


@router.post("/applications/{application_id}/review", response_model=ApplicationOut, summary="审核 / Review",
             description=("A city officer or third-party reviewer reviews: sets the official figures (核定投入, the batch's "
                          "rate, a proposed amount with its reason) and attested facts; the amount is computed with its "
                          "trace. Send If-Match."))
async def review(application_id: Uuid, body: ReviewIn, request: Request, actor: Actor = Depends(require_roles(*REVIEWERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        app = await uc.get_application(session, actor, application_id)
        uc.ensure_may(actor, app, "review")
        check_if_match(request, app["version"])
        return _answer(await uc.review(session, actor, app, app["version"], official_inputs=body.inputs,
                                       official_facts=body.facts, note=body.note))


@router.post("/applications/{application_id}/approve", response_model=ApplicationOut, summary="审批 / Approve",
             description=("A city officer other than the reviewer approves: the amount is recomputed against the ledger under "
                          "locks, frozen with its inputs and entered in the ledger once. Send If-Match."))
async def approve(application_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*APPROVERS)),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        app = await uc.get_application(session, actor, application_id)
        uc.ensure_may(actor, app, "approve")
        check_if_match(request, app["version"])
        return _answer(await uc.approve(session, actor, app, app["version"]))


@router.post("/applications/{application_id}/reject", response_model=ApplicationOut, summary="不予通过 / Reject",
             description="At review (the reviewer) or at approval (a city officer other than the reviewer), with reasons. Send If-Match.")
async def reject(application_id: Uuid, body: RejectIn, request: Request,
                 actor: Actor = Depends(require_roles(*REVIEWERS)), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        app = await uc.get_application(session, actor, application_id)
        uc.ensure_may(actor, app, "reject")
        check_if_match(request, app["version"])
        return _answer(await uc.reject(session, actor, app, app["version"], list(body.reasons)))


@router.get("/awards", response_model=Page[AwardOut], summary="奖补台账 / The award ledger",
            description="Every approved amount by USCC, measure, award group, project and date; visible as applications are.")
async def ledger(
    measure_id: Key | None = Query(None, max_length=100, description="措施"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*READERS)), runtime: Runtime = Depends(get_runtime),
) -> Page[AwardOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_awards(session, actor, measure_id=measure_id, limit=page.limit, offset=page.offset)
    return Page(items=[AwardOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)
