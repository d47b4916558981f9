"""产业生态联合体 and 特色产业集群 as lifecycles (pure: no framework, no database).

**Ecosystem alliance.** A traction unit (数字化牵引单位) declares a provider as a partner of its alliance
(``declared``); the partner confirms (``confirmed``: the fact other services act on) or declines (``declined``).
Either side, or a city officer, ends a declared or confirmed membership with a reason (``ended``).

**Cluster members.** A district officer recommends an enterprise of the district as a member of a cluster body's
characteristic industrial cluster (``recommended``, S2 四 3: 由各区工信主管部门推荐); a city officer approves
(``approved``: the fact) or rejects it (``rejected``, 经市工业和信息化局评审); an approved member is removed with a
reason (``removed``).
"""

from __future__ import annotations

from enum import StrEnum

from sihua_shared.statemachine import Machine


class EcosystemState(StrEnum):
    DECLARED = "declared"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    ENDED = "ended"

    @property
    def label_zh(self) -> str:
        return {"declared": "待确认", "confirmed": "已确认", "declined": "已谢绝", "ended": "已终止"}[self.value]


class EcosystemAction(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    END = "end"

    @property
    def label_zh(self) -> str:
        return {"confirm": "确认加入", "decline": "谢绝加入", "end": "终止成员关系"}[self.value]


ECOSYSTEM_MACHINE: Machine[EcosystemState, EcosystemAction] = Machine(
    "ecosystem membership", "生态联合体成员关系", tuple(EcosystemState),
    {
        (EcosystemState.DECLARED, EcosystemAction.CONFIRM): EcosystemState.CONFIRMED,
        (EcosystemState.DECLARED, EcosystemAction.DECLINE): EcosystemState.DECLINED,
        (EcosystemState.DECLARED, EcosystemAction.END): EcosystemState.ENDED,
        (EcosystemState.CONFIRMED, EcosystemAction.END): EcosystemState.ENDED,
    },
    {s: s.label_zh for s in EcosystemState}, {a: a.label_zh for a in EcosystemAction},
)
OPEN_ECOSYSTEM_STATES = (EcosystemState.DECLARED.value, EcosystemState.CONFIRMED.value)


class ClusterMemberState(StrEnum):
    RECOMMENDED = "recommended"
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"

    @property
    def label_zh(self) -> str:
        return {"recommended": "区级已推荐", "approved": "市级已确认", "rejected": "未通过", "removed": "已移出"}[self.value]


class ClusterMemberAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REMOVE = "remove"

    @property
    def label_zh(self) -> str:
        return {"approve": "确认入群", "reject": "不予确认", "remove": "移出集群"}[self.value]


CLUSTER_MEMBER_MACHINE: Machine[ClusterMemberState, ClusterMemberAction] = Machine(
    "cluster member", "集群成员", tuple(ClusterMemberState),
    {
        (ClusterMemberState.RECOMMENDED, ClusterMemberAction.APPROVE): ClusterMemberState.APPROVED,
        (ClusterMemberState.RECOMMENDED, ClusterMemberAction.REJECT): ClusterMemberState.REJECTED,
        (ClusterMemberState.APPROVED, ClusterMemberAction.REMOVE): ClusterMemberState.REMOVED,
    },
    {s: s.label_zh for s in ClusterMemberState}, {a: a.label_zh for a in ClusterMemberAction},
)
OPEN_MEMBER_STATES = (ClusterMemberState.RECOMMENDED.value, ClusterMemberState.APPROVED.value)

# Who may be a partner of an ecosystem alliance: providers of digital services, not enterprises being transformed,
# agencies or cluster bodies.
PARTNER_KINDS = frozenset({"platform", "traction_unit", "diagnosis_provider", "third_party", "provider"})
