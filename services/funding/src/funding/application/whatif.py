"""What-if (issue 14 §7): a changed policy version (an uploaded YAML text, or a stored version id) run against the
live queue — applications submitted or reviewed under the same policy — without writing anything; the difference
per application, per enterprise and per fund source.

Read only; take a session and never commit. Each application is computed twice from the same inputs and facts
(the applicant's figures, the reviewer's official ones when reviewed, the facts funding keeps, the ledger's
priors): under its own version and under the changed one. Per fund source the amounts are split by the budgets'
shares for the measure and the current year (``unassigned`` where finance has set none).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.errors import DomainError, forbidden, invalid

from ..adapters.funding_tables import applications
from ..domain.policies import PolicyInvalid, PolicyVersion, load_policy_text
from .applications import _prepare, _priors
from .applications import _run as run_measure
from .policies import load_version, policy_problem
from .views import _shares, split_by_shares

QUEUE = ("submitted", "reviewed")


async def _changed(session: AsyncSession, yaml_text: str | None, version_id: str | None) -> PolicyVersion:
    if (yaml_text is None) == (version_id is None):
        raise invalid("body", "请提供政策文件文本或已存版本编号之一", "give either a policy text or a stored version id",
                      "one_policy_source")
    if version_id is not None:
        return await load_version(session, version_id)
    try:
        return load_policy_text(yaml_text or "")
    except PolicyInvalid as error:
        raise policy_problem(error) from None


async def what_if(session: AsyncSession, actor: Actor, *, yaml_text: str | None, version_id: str | None) -> dict[str, Any]:
    if not actor.has("city_officer", "finance", "auditor"):
        raise forbidden("政策测算由市级官员、财政部门或审计进行", "the city, finance and auditors run what-ifs")
    changed = await _changed(session, yaml_text, version_id)
    today = business_clock(session).today()
    queue = (await session.execute(select(applications).where(
        applications.c.state.in_(QUEUE), applications.c.policy_id == changed.document.policy_id)
        .order_by(applications.c.applied_on, applications.c.id))).mappings().all()
    items: list[dict[str, Any]] = []
    enterprises: dict[str, dict[str, Any]] = {}
    funds: dict[str, dict[str, Any]] = {}
    for row in map(dict, queue):
        current_version = await load_version(session, row["policy_version_id"])
        inputs, facts = await _prepare(session, row, None, None, today)
        priors = await _priors(session, row)
        item: dict[str, Any] = {"application_id": row["id"], "applicant_id": row["applicant_id"], "measure_id": row["measure_id"],
                                "state": row["state"], "policy_version_id": row["policy_version_id"]}
        item["current_fen"], item["current_status"] = _amount(current_version, row, inputs, facts, priors, today)
        item["changed_fen"], item["changed_status"] = _amount(changed, row, inputs, facts, priors, today)
        item["difference_fen"] = item["changed_fen"] - item["current_fen"]
        items.append(item)
        mine = enterprises.setdefault(row["applicant_id"], {"applicant_id": row["applicant_id"], "applications": 0,
                                                            "current_fen": 0, "changed_fen": 0, "difference_fen": 0})
        mine["applications"] += 1
        for key in ("current_fen", "changed_fen", "difference_fen"):
            mine[key] += item[key]
        shares = await _shares(session, row["measure_id"], today.year, row["district"])
        for key in ("current_fen", "changed_fen"):
            for source, part in split_by_shares(item[key], shares).items():
                fund = funds.setdefault(source, {"fund_source": source, "current_fen": 0, "changed_fen": 0, "difference_fen": 0})
                fund[key] += part
    for fund in funds.values():
        fund["difference_fen"] = fund["changed_fen"] - fund["current_fen"]
    return {"policy_id": changed.document.policy_id, "changed_version_id": changed.version_id, "as_of": today,
            "written": False, "items": items, "enterprises": sorted(enterprises.values(), key=lambda e: e["applicant_id"]),
            "funds": sorted(funds.values(), key=lambda f: f["fund_source"]),
            "total": {k: sum(i[k] for i in items) for k in ("current_fen", "changed_fen", "difference_fen")}}


def _amount(version: PolicyVersion, row: dict[str, Any], inputs: dict[str, Any], facts: dict[str, Any], priors: Any,
            today: Any) -> tuple[int, str]:
    if version.document.measure(row["measure_id"]) is None:
        return 0, "measure_removed"
    try:
        result = run_measure(version, row, inputs, facts, priors, today)
    except DomainError:
        return 0, "inputs_missing"
    if result.refusals:
        return 0, "refused:" + ",".join(r.code for r in result.refusals)
    return result.amount_fen, "computed"
