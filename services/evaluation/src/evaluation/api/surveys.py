"""Routes for satisfaction surveys (客户满意度)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, page_params, versioned_json
from sihua_shared.inputs import Key, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import surveys as use
from ..domain.access import AGGREGATE_READERS, READERS, SURVEY_TAKERS
from ..domain.surveys import questionnaire
from .schemas import QuestionnaireOut, SatisfactionOut, SurveyOut

router = APIRouter(tags=["satisfaction surveys 客户满意度"])
QuestionId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,19}$")]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[QuestionId, Annotated[int, Field(ge=0, le=10)]] = Field(max_length=50, description="每题得分（1–5）")


@router.get("/questionnaire", response_model=QuestionnaireOut, summary="满意度问卷 / The questionnaire",
            description="The questions, as data.")
async def read_questionnaire(actor: Actor = Depends(require_roles(*READERS, *SURVEY_TAKERS))) -> QuestionnaireOut:
    return QuestionnaireOut.model_validate(questionnaire().model_dump())


@router.get("/surveys", response_model=Page[SurveyOut], summary="本企业的满意度调查 / My surveys",
            description="An enterprise sees the surveys of the services it received (one per diagnosis project).")
async def index(state: Literal["open", "answered"] | None = Query(None, description="状态"),
                page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*SURVEY_TAKERS)),
                runtime: Runtime = Depends(get_runtime)) -> Page[SurveyOut]:
    async with runtime.uow() as session:
        items, total = await use.list_surveys(session, actor, state=state, limit=page.limit, offset=page.offset)
    return Page(items=[SurveyOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/surveys/{survey_id}", response_model=SurveyOut, summary="查看满意度调查 / Get a survey",
            description="Only the enterprise served sees its survey.")
async def read(survey_id: Uuid, actor: Actor = Depends(require_roles(*SURVEY_TAKERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(SurveyOut, await use.get_survey(session, actor, survey_id))


@router.post("/surveys/{survey_id}/answer", response_model=SurveyOut, summary="填写满意度调查 / Answer a survey",
             description="The enterprise served answers every question once. Publishes `survey.answered` (no answers, "
                         "no enterprise). If-Match.")
async def answer(survey_id: Uuid, body: AnswerIn, request: Request, actor: Actor = Depends(require_roles(*SURVEY_TAKERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        survey = await use.get_survey(session, actor, survey_id)
        check_if_match(request, survey["version"])
        return versioned_json(SurveyOut, await use.answer(session, actor, survey, dict(body.answers)))


@router.get("/providers/{provider_id}/satisfaction", response_model=SatisfactionOut,
            summary="满意度汇总 / A provider's satisfaction aggregates",
            description="Counts and means only, never who answered what; a provider sees the figures from three answers.")
async def satisfaction(provider_id: Key, actor: Actor = Depends(require_roles(*AGGREGATE_READERS)),
                       runtime: Runtime = Depends(get_runtime)) -> SatisfactionOut:
    async with runtime.uow() as session:
        return SatisfactionOut.model_validate(await use.aggregates(session, actor, provider_id))
