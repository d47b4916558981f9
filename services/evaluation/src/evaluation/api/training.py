"""Routes for training (培训, S2 三(八)): programmes, sessions with attendance, person-times."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.inputs import BusinessDate, Code, Key, Text, Uuid
from sihua_shared.jurisdiction import DistrictCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application import training as use
from ..domain.access import TRAINERS, TRAINING_READERS, programme_district
from .schemas import ProgrammeOut, SessionOut, TrainingSummary

router = APIRouter(prefix="/training", tags=["training 培训"])


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text = Field(min_length=2, max_length=300, description="培训项目名称")


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_key: Key = Field(description="参训人员标识（账号或证件号摘要）")
    name: Text = Field(min_length=1, max_length=100, description="姓名")
    enterprise_id: Key | None = Field(None, description="所在企业 id")


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: BusinessDate = Field(description="培训日期")
    topic: Text = Field(min_length=2, max_length=300, description="培训主题")
    district: DistrictCode | None = Field(None, description="所在区")
    sector: Annotated[Code, Field(max_length=50)] | None = Field(None, description="面向的细分行业")
    attendees: list[Attendee] = Field(max_length=2000, description="签到名单（每人每场计一人次）")


@router.post("/programmes", status_code=201, response_model=ProgrammeOut, summary="创建培训项目 / Create a programme",
             description="The third-party organisation or a provider organises a training programme.")
async def create_programme(body: ProgrammeIn, request: Request, actor: Actor = Depends(require_roles(*TRAINERS)),
                           runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await use.create_programme(session, actor, body.title)
        return ProgrammeOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"training_programme:{actor.id}", create)


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut, summary="查看培训项目 / Get a programme",
            description="Its organiser, officials and auditors see a programme and its sessions.")
async def read_programme(programme_id: Uuid, actor: Actor = Depends(require_roles(*TRAINING_READERS)),
                         runtime: Runtime = Depends(get_runtime)) -> ProgrammeOut:
    async with runtime.uow() as session:
        return ProgrammeOut.model_validate(await use.get_programme(session, actor, programme_id))


@router.post("/programmes/{programme_id}/sessions", status_code=201, response_model=SessionOut,
             summary="登记培训场次及签到 / Record a session with its attendance",
             description="The organiser records a session and who attended; each person counts one person-time. "
                         "Publishes `training.recorded`.")
async def record_session(programme_id: Uuid, body: SessionIn, request: Request,
                         actor: Actor = Depends(require_roles(*TRAINERS)), runtime: Runtime = Depends(get_runtime)) -> Response:
    async def create() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            programme = await use.get_programme(session, actor, programme_id)
            row = await use.record_session(session, actor, programme, held_on=body.held_on, topic=body.topic,
                                           district=body.district, sector=body.sector,
                                           attendees=[a.model_dump() for a in body.attendees])
        return SessionOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"training_session:{actor.id}", create)


@router.get("/summary", response_model=TrainingSummary, summary="培训人次汇总 / Person-times against the target",
            description="Person-times in all, by district and sector, against S2 二's 2,000 (a district officer: theirs).")
async def summary(actor: Actor = Depends(require_roles(*TRAINING_READERS)),
                  runtime: Runtime = Depends(get_runtime)) -> TrainingSummary:
    async with runtime.uow() as session:
        return TrainingSummary.model_validate(await use.summary(session, district=programme_district(actor)
                                                               if actor.has("district_officer") else None))
