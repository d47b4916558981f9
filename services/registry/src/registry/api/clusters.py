"""Routes for 特色产业集群: a cluster body names its cluster; the district recommends member enterprises, the city
approves them; members are removed with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Text, Uuid
from sihua_shared.jurisdiction import DistrictCode, SectorCode
from sihua_shared.runtime import Runtime, get_runtime

from ..application.clusters import (
    create_cluster,
    decide_member,
    get_cluster,
    get_member,
    list_clusters,
    list_members,
    recommend_member,
    remove_member,
)
from ..domain.access import CITY_ONLY, CLUSTER_CREATORS, CLUSTER_MEMBER_READERS, CLUSTER_READERS, OFFICIALS
from ..domain.alliances import ClusterMemberState
from .ecosystem import OptionalReasonIn, ReasonIn

router = APIRouter(tags=["clusters 特色产业集群"])


class ClusterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Text = Field(min_length=2, max_length=300, description="集群名称，如 白云区定制家居产业集群")
    district: DistrictCode = Field(description="集群所在区")
    sector: SectorCode = Field(description="试点行业")
    cluster_body_id: Uuid | None = Field(default=None, description="集群责任主体（默认为本单位）")


class ClusterOut(BaseModel):
    id: str
    cluster_body_id: str
    cluster_body_name: str | None = Field(description="特色产业集群相关责任主体名称")
    name: str
    district: str
    sector: str
    created_by: str
    version: int


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enterprise_id: Uuid = Field(description="推荐入群的企业（组织 id）")
    note: Text = Field(default="", max_length=1000, description="推荐说明")


class MemberOut(BaseModel):
    id: str
    cluster_id: str
    enterprise_id: str
    enterprise_name: str | None = Field(description="企业名称")
    district: str
    state: ClusterMemberState = Field(description="recommended 区级已推荐 / approved 市级已确认 / rejected 未通过 / removed 已移出")
    state_zh: str
    note: str
    recommended_by: str
    recommended_on: date
    decided_by: str | None
    approved_on: date | None
    rejected_on: date | None
    rejection_reason: str | None
    removed_by: str | None
    removed_on: date | None
    removal_reason: str | None
    version: int


def member_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "state_zh": ClusterMemberState(row["state"]).label_zh}


def _member(row: Mapping[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return versioned_json(MemberOut, member_view(row), status, **headers)


@router.post(
    "/clusters",
    status_code=201,
    summary="登记特色产业集群 / Name a cluster body's cluster",
    description=(
        "A cluster body's own accounts (role cluster_body; an organisation of kind cluster_body, 特色产业集群相关责任主体), "
        "or a city officer, name the body's cluster: name, district and pilot sector. One per body (409 after). "
        "Accepts `Idempotency-Key`."
    ),
    response_model=ClusterOut,
)
async def create(
    body: ClusterIn,
    request: Request,
    actor: Actor = Depends(require_roles(*CLUSTER_CREATORS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def created() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await create_cluster(session, actor, cluster_body_id=body.cluster_body_id, name=body.name,
                                       district=body.district, sector=body.sector, jurisdiction=runtime.jurisdiction)
        out = ClusterOut.model_validate(row).model_dump(mode="json")
        return out, {"Location": f"{request.url.path}/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"cluster:{actor.id}", created)


@router.get(
    "/clusters",
    summary="特色产业集群列表 / List clusters",
    description="Every signed-in caller: the clusters with their bodies, district and sector. Filters: district, sector.",
    response_model=Page[ClusterOut],
)
async def index(
    page: PageParams = Depends(page_params),
    district: DistrictCode | None = Query(None, description="所在区"),
    sector: SectorCode | None = Query(None, description="试点行业"),
    _: Actor = Depends(require_roles(*CLUSTER_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        found, total = await list_clusters(session, limit=page.limit, offset=page.offset, district=district, sector=sector)
    items = [ClusterOut.model_validate(r).model_dump(mode="json") for r in found]
    return JSONResponse({"items": items, "total": total, "limit": page.limit, "offset": page.offset})


@router.get(
    "/clusters/{cluster_id}",
    summary="查看特色产业集群 / Get a cluster",
    description="Every signed-in caller. The ETag is its version.",
    response_model=ClusterOut,
)
async def read(
    cluster_id: Uuid,
    _: Actor = Depends(require_roles(*CLUSTER_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await get_cluster(session, cluster_id)
    return versioned_json(ClusterOut, row)


@router.post(
    "/clusters/{cluster_id}/members",
    status_code=201,
    summary="推荐集群成员企业 / Recommend a member enterprise",
    description=(
        "A district officer of the cluster's district (由各区工信主管部门推荐), or a city officer, recommends an enterprise "
        "of that district as a member; the city then approves or rejects it. 409 when it is already recommended or a "
        "member. Accepts `Idempotency-Key`."
    ),
    response_model=MemberOut,
)
async def recommend(
    cluster_id: Uuid,
    body: MemberIn,
    request: Request,
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async def created() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await recommend_member(session, actor, cluster_id, body.enterprise_id, body.note)
        out = MemberOut.model_validate(member_view(row)).model_dump(mode="json")
        base = request.url.path.rsplit("/clusters/", 1)[0]
        return out, {"Location": f"{base}/cluster-members/{row['id']}", "ETag": etag_for(row["version"])}

    return await runtime.idempotency.run(request, f"cluster-member:{actor.id}", created)


@router.get(
    "/clusters/{cluster_id}/members",
    summary="集群成员企业列表 / List a cluster's members",
    description=(
        "The cluster body sees its cluster's members; an enterprise its own membership; a district officer those of "
        "the district; the city, auditors and services all. Filter: state."
    ),
    response_model=Page[MemberOut],
)
async def members_index(
    cluster_id: Uuid,
    page: PageParams = Depends(page_params),
    state: ClusterMemberState | None = Query(None, description="状态"),
    actor: Actor = Depends(require_roles(*CLUSTER_MEMBER_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    async with runtime.uow() as session:
        found, total = await list_members(session, actor, cluster_id, limit=page.limit, offset=page.offset,
                                          state=None if state is None else state.value)
    items = [MemberOut.model_validate(member_view(r)).model_dump(mode="json") for r in found]
    return JSONResponse({"items": items, "total": total, "limit": page.limit, "offset": page.offset})


@router.get(
    "/cluster-members/{member_id}",
    summary="查看集群成员记录 / Get a cluster membership",
    description="Visible as in the list. The ETag is its version.",
    response_model=MemberOut,
)
async def member_read(
    member_id: Uuid,
    actor: Actor = Depends(require_roles(*CLUSTER_MEMBER_READERS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await get_member(session, actor, member_id)
    return _member(row)


@router.post(
    "/cluster-members/{member_id}/approve",
    summary="确认集群成员 / Approve a member",
    description=(
        "A city officer approves a recommendation (经市工业和信息化局评审). Needs `If-Match`; 409 unless it is recommended. "
        "Publishes `cluster.member_approved`."
    ),
    response_model=MemberOut,
)
async def approve(
    member_id: Uuid,
    request: Request,
    actor: Actor = Depends(require_roles(*CITY_ONLY)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await decide_member(session, actor, member_id, approve=True,
                                  check_version=lambda version: check_if_match(request, version))
    return _member(row)


@router.post(
    "/cluster-members/{member_id}/reject",
    summary="不予确认集群成员 / Reject a recommendation",
    description="A city officer rejects a recommendation, optionally with the reason. Needs `If-Match`.",
    response_model=MemberOut,
)
async def reject(
    member_id: Uuid,
    body: OptionalReasonIn,
    request: Request,
    actor: Actor = Depends(require_roles(*CITY_ONLY)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await decide_member(session, actor, member_id, approve=False, reason=body.reason,
                                  check_version=lambda version: check_if_match(request, version))
    return _member(row)


@router.post(
    "/cluster-members/{member_id}/remove",
    summary="移出集群成员 / Remove a member",
    description=(
        "A city officer, or a district officer of the member's district, removes an approved member with the reason. "
        "Needs `If-Match`; 409 unless it is approved. Publishes `cluster.member_removed`."
    ),
    response_model=MemberOut,
)
async def remove(
    member_id: Uuid,
    body: ReasonIn,
    request: Request,
    actor: Actor = Depends(require_roles(*OFFICIALS)),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    async with runtime.uow() as session:
        row = await remove_member(session, actor, member_id, body.reason,
                                  check_version=lambda version: check_if_match(request, version))
    return _member(row)
