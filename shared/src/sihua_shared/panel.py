"""Conflict-aware, reproducible expert panels (遴选, S0 二(二): 公平、公正、公开) — pure code, shared by every service
that draws review panels (registry's call review, catalog's admission review) so both use the same algorithm.

Nothing here touches a database, a framework or the bus: callers build ``Expert`` / ``ApplicationRef`` /
``Relationship`` values from their own tables or read models and get a ``Panel`` value back to record.

**How the draw works.**

1. The pool is sorted by ``expert_id`` (so the order the caller passes does not matter), then shuffled by
   ``random.Random(seed)``: that is the *draw order* (``Panel.draw_order``), recorded with the seed.
2. Walking the draw order, each expert is either excluded (with an ``ExclusionReason``) or eligible:

   * ``SAME_ORGANISATION`` — the expert belongs to the applicant's own organisation;
   * ``RELATED_ORGANISATION`` — the expert's organisation is related to the applicant through declared
     relationships (shareholding, group membership, staff moving between them). Relationships form an undirected
     ``ConflictGraph``; by default **its transitive closure** counts (related at any distance — a subsidiary of
     the applicant's shareholder is as conflicted as the shareholder); ``ConflictGraph(..., transitive=False)``
     counts direct relations only;
   * ``DECLARED_CONFLICT`` — the expert's profile declares a conflict with the applicant or any organisation
     related to it;
   * ``DECLINED`` — the expert declared a conflict when assigned (recusal); they are replaced;
   * ``NO_FIELD_MATCH`` — with ``FieldMatching.REQUIRE``, the expert shares no field of expertise with the
     application (``PREFER`` puts matching experts first, keeping draw order within each part, and fills with
     the others; ``OFF`` ignores fields).
3. The panel is the first ``size`` eligible experts; the chair is the first member in draw order who may chair.
   Too few eligible experts: ``DomainError("not_enough_experts")`` (kind conflict); none may chair:
   ``no_chair_available``.

**Reproducible.** The same seed + pool + relationships + declined set (+ field matching) always gives the same
panel, in any process and any later version (the tests pin a draw). Because the order is drawn over the whole
pool, not over the eligible ones, a recusal (``replace_declined``) replaces that member by the next eligible expert
in the same order and every other member stays. ``panel_seed(call_seed, application_id)`` derives a stable
per-application seed from one recorded seed.

Usage::

    graph = ConflictGraph([Relationship("org-a", "org-b", RelationshipKind.SHAREHOLDING)])
    panel = assign_panel(ApplicationRef("app-1", "org-a", frozenset({"ai"})), experts, size=5,
                         seed=panel_seed(call_seed, "app-1"), graph=graph, field_matching=FieldMatching.PREFER)
    panel.members, panel.chair, panel.excluded   # record these with the seed
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import DomainError, Kind

__all__ = [
    "ApplicationRef",
    "ConflictGraph",
    "Exclusion",
    "ExclusionReason",
    "Expert",
    "FieldMatching",
    "Panel",
    "Relationship",
    "RelationshipKind",
    "assign_panel",
    "panel_seed",
    "replace_declined",
]


# ---- conflicts of interest ---------------------------------------------------------------------------------


class RelationshipKind(StrEnum):
    SHAREHOLDING = "shareholding"  # 股权关系
    GROUP_MEMBERSHIP = "group_membership"  # 同一集团
    STAFF_MOVE = "staff_move"  # 人员任职/流动


@dataclass(frozen=True, slots=True)
class Relationship:
    """A declared relationship between two organisations (direction does not matter)."""

    organisation_a: str
    organisation_b: str
    kind: RelationshipKind


class ConflictGraph:
    """Organisations and their declared relationships, as an undirected graph."""

    def __init__(self, relationships: Iterable[Relationship] = (), *, transitive: bool = True) -> None:
        self.transitive = transitive
        self._neighbours: dict[str, set[str]] = {}
        for r in relationships:
            if r.organisation_a == r.organisation_b:
                continue
            self._neighbours.setdefault(r.organisation_a, set()).add(r.organisation_b)
            self._neighbours.setdefault(r.organisation_b, set()).add(r.organisation_a)

    def related(self, organisation: str) -> frozenset[str]:
        """Organisations related to ``organisation`` (not including itself)."""
        if not self.transitive:
            return frozenset(self._neighbours.get(organisation, ()))
        seen = {organisation}
        frontier = [organisation]
        while frontier:
            current = frontier.pop()
            for other in self._neighbours.get(current, ()):
                if other not in seen:
                    seen.add(other)
                    frontier.append(other)
        seen.discard(organisation)
        return frozenset(seen)

    def conflicted(self, organisation_a: str, organisation_b: str) -> bool:
        return organisation_a == organisation_b or organisation_b in self.related(organisation_a)


# ---- assignment -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expert:
    expert_id: str
    organisation_id: str
    fields: frozenset[str] = frozenset()
    declared_conflicts: frozenset[str] = frozenset()  # organisation ids the expert declares a conflict with
    can_chair: bool = True


@dataclass(frozen=True, slots=True)
class ApplicationRef:
    """What assignment needs to know about an application."""

    application_id: str
    organisation_id: str
    fields: frozenset[str] = frozenset()


class FieldMatching(StrEnum):
    OFF = "off"
    PREFER = "prefer"
    REQUIRE = "require"


class ExclusionReason(StrEnum):
    SAME_ORGANISATION = "same_organisation"
    RELATED_ORGANISATION = "related_organisation"
    DECLARED_CONFLICT = "declared_conflict"
    DECLINED = "declined"
    NO_FIELD_MATCH = "no_field_match"

    @property
    def label_zh(self) -> str:
        return {
            "same_organisation": "与申报单位为同一单位",
            "related_organisation": "与申报单位存在关联关系",
            "declared_conflict": "专家已申明利益冲突",
            "declined": "专家申明回避",
            "no_field_match": "专业领域不匹配",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Exclusion:
    expert_id: str
    reason: ExclusionReason


@dataclass(frozen=True, slots=True)
class Panel:
    """The experts reviewing one application, with everything needed to reproduce and explain the draw."""

    application_id: str
    seed: int
    members: tuple[str, ...]  # in draw order
    chair: str
    excluded: tuple[Exclusion, ...]  # in draw order
    draw_order: tuple[str, ...]  # the whole pool in the order the seed drew it
    declined: frozenset[str] = field(default=frozenset())


def panel_seed(call_seed: int, application_id: str) -> int:
    """A per-application seed derived from the call's recorded seed (stable across processes and versions)."""
    digest = hashlib.sha256(f"{call_seed}:{application_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _exclusion(
    expert: Expert, application: ApplicationRef, related: frozenset[str], declined: Collection[str], matching: FieldMatching,
) -> ExclusionReason | None:
    if expert.expert_id in declined:
        return ExclusionReason.DECLINED
    if expert.organisation_id == application.organisation_id:
        return ExclusionReason.SAME_ORGANISATION
    if expert.organisation_id in related:
        return ExclusionReason.RELATED_ORGANISATION
    if expert.declared_conflicts & (related | {application.organisation_id}):
        return ExclusionReason.DECLARED_CONFLICT
    if matching is FieldMatching.REQUIRE and application.fields and not (expert.fields & application.fields):
        return ExclusionReason.NO_FIELD_MATCH
    return None


def assign_panel(
    application: ApplicationRef,
    experts: Iterable[Expert],
    *,
    size: int,
    seed: int,
    graph: ConflictGraph | None = None,
    declined: Collection[str] = (),
    field_matching: FieldMatching = FieldMatching.OFF,
) -> Panel:
    """Draw the panel for ``application`` from ``experts``; raises ``not_enough_experts`` if too few are eligible."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DomainError("panel_size_invalid", "评审专家人数须为正整数", "panel size is a positive integer", field="size")
    pool = sorted(experts, key=lambda e: e.expert_id)
    ids = [e.expert_id for e in pool]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DomainError("duplicate_expert", "专家库中存在重复专家", f"experts listed more than once: {duplicates}", field="experts")
    rng = random.Random(seed)
    rng.shuffle(pool)

    related = (graph or ConflictGraph()).related(application.organisation_id)
    eligible: list[Expert] = []
    excluded: list[Exclusion] = []
    for expert in pool:
        reason = _exclusion(expert, application, related, declined, field_matching)
        if reason is None:
            eligible.append(expert)
        else:
            excluded.append(Exclusion(expert.expert_id, reason))
    if field_matching is FieldMatching.PREFER and application.fields:
        eligible.sort(key=lambda e: not (e.fields & application.fields))  # stable: draw order kept within each part

    if len(eligible) < size:
        raise DomainError(
            "not_enough_experts",
            f"符合回避要求的专家不足：需要{size}名，仅有{len(eligible)}名",
            f"not enough eligible experts: {size} needed, {len(eligible)} available",
            field="experts", kind=Kind.CONFLICT, details={"needed": size, "eligible": len(eligible), "pool": len(pool)},
        )
    members = eligible[:size]
    chair = next((e for e in members if e.can_chair), None)
    if chair is None:
        raise DomainError("no_chair_available", "评审组中没有可担任组长的专家", "no member of the panel may chair it", field="experts",
                          kind=Kind.CONFLICT)
    return Panel(
        application_id=application.application_id,
        seed=seed,
        members=tuple(e.expert_id for e in members),
        chair=chair.expert_id,
        excluded=tuple(excluded),
        draw_order=tuple(e.expert_id for e in pool),
        declined=frozenset(declined),
    )


def replace_declined(
    panel: Panel,
    expert_id: str,
    application: ApplicationRef,
    experts: Iterable[Expert],
    *,
    graph: ConflictGraph | None = None,
    field_matching: FieldMatching = FieldMatching.OFF,
) -> Panel:
    """A member declared a conflict: the same draw without them (the others stay; the next eligible expert joins)."""
    if expert_id not in panel.members:
        raise DomainError("not_a_panel_member", "该专家不在本评审组中", f"{expert_id} is not on this panel", field="expert_id")
    return assign_panel(
        application, experts, size=len(panel.members), seed=panel.seed, graph=graph,
        declined=panel.declined | {expert_id}, field_matching=field_matching,
    )
