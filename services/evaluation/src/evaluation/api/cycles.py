"""Routes for indicator models, cycles, progress checks, samples, submissions, findings and the outcome ranking."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Key, Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import audits, cycles
from ..application.common import get_cycle, model_row
from ..domain.access import (
    FINDING_READERS,
    READERS,
    RESULT_READERS,
    RUNNERS,
    SAMPLE_READERS,
    SUBMITTERS,
)
from .schemas import CycleOut, FindingOut, ModelDetail, ModelOut, RankingOut, ResultOut, SampleOut, SubmissionOut

router = APIRouter(tags=["evaluation cycles 评价周期"])
Evidence = Annotated[list[Annotated[Text, Field(min_length=2, max_length=500)]], Field(min_length=1, max_length=50)]


class ModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: Text = Field(min_length=10, max_length=200_000, description="指标模型 YAML 全文")


class CycleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["key_platform", "traction_unit"] = Field(description="评价对象：重点平台 / 牵引单位")
    year: int = Field(ge=2020, le=2099, description="评价年度")
    model_version: Key | None = Field(None, max_length=100, description="指标模型版本（缺省：该对象最新的模型）")
    seed: str | None = Field(None, pattern=r"^[0-9a-f]{16,128}$", description="公开的抽样种子（十六进制；缺省随机生成）")


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: Key = Field(description="被评价单位 id")
    indicator_id: Key = Field(max_length=50, description="报送类指标 id")
    value: Decimal = Field(ge=0, le=Decimal("999999999"), max_digits=12, decimal_places=3, description="指标值")
    evidence: Evidence = Field(description="佐证材料（文件编号、链接或说明），至少一项")


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: Key = Field(description="被评价单位 id")
    enterprise_id: Key | None = Field(None, description="抽样企业 id（须在抽样名单中）")
    severity: Literal["minor", "major", "serious"] = Field(description="严重程度：一般 / 较重 / 严重")
    summary: Text = Field(min_length=2, max_length=4000, description="发现的问题")
    evidence: Evidence = Field(description="佐证材料，至少一项")


@router.get("/models", response_model=list[ModelOut], summary="指标模型列表 / List indicator models",
            description="The shipped models (this deployment's reading) and every uploaded version.")
async def models_index(actor: Actor = Depends(require_roles(*READERS)),
                       runtime: Runtime = Depends(get_runtime)) -> list[ModelOut]:
    async with runtime.uow() as session:
        return [ModelOut.model_validate(r) for r in await cycles.list_models(session)]


@router.get("/models/{version_id}", response_model=ModelDetail, summary="查看指标模型 / Get an indicator model",
            description="The model version's YAML text: indicators, weights, sources, thresholds, tiers, parameters.")
async def models_read(version_id: Annotated[str, Field(max_length=100)], actor: Actor = Depends(require_roles(*READERS)),
                      runtime: Runtime = Depends(get_runtime)) -> ModelDetail:
    async with runtime.uow() as session:
        return ModelDetail.model_validate(await model_row(session, version_id))


@router.post("/models", status_code=201, response_model=ModelOut, summary="上传指标模型 / Upload an indicator model",
             description="City officers replace the shipped reading with a new version (validated on upload).")
async def models_upload(body: ModelIn, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                        runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await cycles.upload_model(session, actor, body.content)
        return ModelOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"indicator_model:{actor.id}", create)


@router.post("/cycles", status_code=201, response_model=CycleOut, summary="开启评价周期 / Open an evaluation cycle",
             description="City officers open the annual cycle of key platforms or traction units with its model and "
                         "the published sampling seed. Publishes `cycle.opened`.")
async def cycles_open(body: CycleIn, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                      runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await cycles.open_cycle(session, actor, kind=body.kind, year=body.year,
                                          model_version=body.model_version, seed=body.seed)
        return CycleOut.model_validate(row).model_dump(mode="json"), {"ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"evaluation_cycle:{actor.id}", create)


@router.get("/cycles", response_model=Page[CycleOut], summary="评价周期列表 / List evaluation cycles",
            description="Every cycle, newest year first.")
async def cycles_index(page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*READERS)),
                       runtime: Runtime = Depends(get_runtime)) -> Page[CycleOut]:
    async with runtime.uow() as session:
        items, total = await cycles.list_cycles(session, limit=page.limit, offset=page.offset)
    return Page(items=[CycleOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/cycles/{cycle_id}", response_model=CycleOut, summary="查看评价周期 / Get an evaluation cycle",
            description="The cycle with its seed and last progress check.")
async def cycles_read(cycle_id: Uuid, actor: Actor = Depends(require_roles(*READERS)),
                      runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(CycleOut, await get_cycle(session, cycle_id))


@router.post("/cycles/{cycle_id}/compute", response_model=list[ResultOut],
             summary="计算指标（季度进度检查）/ Compute the results (a progress check)",
             description="City officers compute every provider's indicators from the facts up to the end of a quarter (the "
                         "quarterly progress check; default the current one); results in due process stay as they are.")
async def cycles_compute(cycle_id: Uuid, quarter: int | None = Query(None, ge=1, le=4, description="截至季度（缺省：当前季度）"),
                         actor: Actor = Depends(require_roles(*RUNNERS)),
                         runtime: Runtime = Depends(get_runtime)) -> list[ResultOut]:
    async with runtime.uow() as session:
        cycle = await get_cycle(session, cycle_id, lock=True)
        return [ResultOut.model_validate(r) for r in await cycles.compute_cycle(session, actor, cycle, quarter)]


@router.post("/cycles/{cycle_id}/samples", response_model=list[SampleOut], summary="抽样 / Draw the audit samples",
             description="City officers draw each provider's sample: its served enterprises ranked by "
                         "HMAC-SHA256(seed, enterprise id), the first n. Publishes `sample.drawn` once per provider.")
async def samples_draw(cycle_id: Uuid, actor: Actor = Depends(require_roles(*RUNNERS)),
                       runtime: Runtime = Depends(get_runtime)) -> list[SampleOut]:
    async with runtime.uow() as session:
        cycle = await get_cycle(session, cycle_id, lock=True)
        return [SampleOut.model_validate(r) for r in await cycles.draw_samples(session, actor, cycle)]


@router.get("/cycles/{cycle_id}/samples", response_model=list[SampleOut], summary="抽样名单 / The audit samples",
            description="The third party, city officers and auditors see the samples drawn.")
async def samples_index(cycle_id: Uuid, actor: Actor = Depends(require_roles(*SAMPLE_READERS)),
                        runtime: Runtime = Depends(get_runtime)) -> list[SampleOut]:
    async with runtime.uow() as session:
        return [SampleOut.model_validate(r) for r in await cycles.list_samples(session, await get_cycle(session, cycle_id))]


@router.post("/cycles/{cycle_id}/submissions", status_code=201, response_model=SubmissionOut,
             summary="报送指标值 / Submit an indicator value with evidence",
             description="The party the model names (the provider, or the third party) submits a value of a submitted "
                         "indicator with its evidence; the latest counts.")
async def submissions_create(cycle_id: Uuid, body: SubmissionIn, request: Request,
                             actor: Actor = Depends(require_roles(*SUBMITTERS)),
                             runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await audits.submit_value(session, actor, await get_cycle(session, cycle_id), provider_id=body.provider_id,
                                            indicator_id=body.indicator_id, value=body.value, evidence=body.evidence)
        return SubmissionOut.model_validate({**row, "value": str(row["value"])}).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"indicator_submission:{actor.id}", create)


@router.post("/cycles/{cycle_id}/findings", status_code=201, response_model=FindingOut,
             summary="记录抽样评估发现 / Record an audit finding",
             description="The third-party organisation records a finding with evidence about a sampled enterprise; "
                         "it deducts the model's points. Publishes `finding.recorded`.")
async def findings_create(cycle_id: Uuid, body: FindingIn, request: Request,
                          actor: Actor = Depends(require_roles("third_party")),
                          runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await audits.record_finding(session, actor, await get_cycle(session, cycle_id),
                                              provider_id=body.provider_id, enterprise_id=body.enterprise_id,
                                              severity=body.severity, summary=body.summary, evidence=body.evidence)
        return FindingOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"audit_finding:{actor.id}", create)


@router.get("/cycles/{cycle_id}/findings", response_model=list[FindingOut], summary="抽样评估发现 / Audit findings",
            description="A provider sees the findings about itself; the third party, city officers and auditors all.")
async def findings_index(cycle_id: Uuid, actor: Actor = Depends(require_roles(*FINDING_READERS)),
                         runtime: Runtime = Depends(get_runtime)) -> list[FindingOut]:
    async with runtime.uow() as session:
        return [FindingOut.model_validate(r) for r in await audits.list_findings(session, actor, await get_cycle(session, cycle_id))]


@router.post("/cycles/{cycle_id}/close", response_model=CycleOut, summary="结束评价周期 / Close a cycle",
             description="City officers close a cycle once every verdict is issued; traction units' tiers are "
                         "published (`tier.assigned`, funding pays them). Send If-Match with the cycle's ETag.")
async def cycles_close(cycle_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*RUNNERS)),
                       runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        cycle = await get_cycle(session, cycle_id, lock=True)
        check_if_match(request, cycle["version"])
        return versioned_json(CycleOut, await cycles.close_cycle(session, actor, cycle))


@router.get("/cycles/{cycle_id}/ranking", response_model=RankingOut,
            summary="按成效排名 / Outcome-based ranking of a closed cycle",
            description="Providers ranked by adjusted uplift with n and the interval; those with fewer enterprises than "
                        "the model's minimum listed apart. Key platforms' rankings are also public: "
                        "`GET /published/rankings/{cycle_id}`.")
async def cycles_ranking(cycle_id: Uuid, actor: Actor = Depends(require_roles(*RESULT_READERS)),
                         runtime: Runtime = Depends(get_runtime)) -> RankingOut:
    async with runtime.uow() as session:
        return RankingOut.model_validate(await cycles.ranking(session, cycle_id))


@router.get("/published/rankings/{cycle_id}", response_model=RankingOut,
            summary="重点平台成效排名（公开） / Public outcome ranking of key platforms after a closed cycle",
            description="Public without sign-in (handbook §6: the ranking of key platforms after a closed cycle): the "
                        "same ranking as `/cycles/{cycle_id}/ranking`, for closed key-platform cycles only; any other "
                        "cycle answers 404.")
async def published_ranking(cycle_id: Uuid, runtime: Runtime = Depends(get_runtime)) -> RankingOut:
    async with runtime.uow() as session:
        return RankingOut.model_validate(await cycles.ranking(session, cycle_id, public=True))
