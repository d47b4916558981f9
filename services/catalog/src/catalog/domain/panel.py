"""The admission panel drawing, pure: random and reproducible, conflict-aware (the registry's rule, S0 二(二)).

The whole pool is shuffled by ``random.Random(seed)`` (the seed is recorded with the panel); the panel is the first
eligible experts in that order. Excluded: experts of the provider itself, of an organisation related to it through
declared relationships (transitively), and experts declaring a conflict with the provider or a related one.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass

from sihua_shared.errors import DomainError, Kind


@dataclass(frozen=True)
class PoolExpert:
    expert_id: str
    organisation_id: str | None
    declared_conflicts: frozenset[str] = frozenset()
    can_chair: bool = True


@dataclass(frozen=True)
class Drawn:
    members: tuple[str, ...]
    chair: str
    excluded: tuple[tuple[str, str], ...]  # (expert, reason)


def panel_seed(product_id: str, version: int) -> int:
    digest = hashlib.sha256(f"catalog:{product_id}:{version}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


def related(organisation: str, pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    neighbours: dict[str, set[str]] = {}
    for a, b in pairs:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    seen, frontier = {organisation}, [organisation]
    while frontier:
        for other in neighbours.get(frontier.pop(), ()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return frozenset(seen - {organisation})


def draw(provider: str, experts: Iterable[PoolExpert], pairs: Iterable[tuple[str, str]], *, size: int, seed: int) -> Drawn:
    pool = sorted(experts, key=lambda e: e.expert_id)
    random.Random(seed).shuffle(pool)
    near = related(provider, pairs)
    eligible: list[PoolExpert] = []
    excluded: list[tuple[str, str]] = []
    for expert in pool:
        if expert.organisation_id == provider:
            excluded.append((expert.expert_id, "same_organisation"))
        elif expert.organisation_id is not None and expert.organisation_id in near:
            excluded.append((expert.expert_id, "related_organisation"))
        elif expert.declared_conflicts & (near | {provider}):
            excluded.append((expert.expert_id, "declared_conflict"))
        else:
            eligible.append(expert)
    if len(eligible) < size:
        raise DomainError("not_enough_experts", f"符合回避要求的专家不足：需要{size}名，仅有{len(eligible)}名",
                          f"not enough eligible experts: {size} needed, {len(eligible)} available", field="experts",
                          kind=Kind.CONFLICT, details={"needed": size, "eligible": len(eligible)})
    members = eligible[:size]
    chair = next((e for e in members if e.can_chair), None)
    if chair is None:
        raise DomainError("no_chair_available", "评审组中没有可担任组长的专家", "no member of the panel may chair it",
                          field="experts", kind=Kind.CONFLICT)
    return Drawn(tuple(e.expert_id for e in members), chair.expert_id, tuple(excluded))
