"""Assessments (数字化水平评测): who may start and fill one, its states, and which ones count as records.

Pure rules, no framework. Sources: S2 三(三), 五(四); the index handbook §3.3 (self-assessment with the
authenticity commitment; on-site assessment, 现场评定, for enterprises of the city pilot).

Decisions recorded here (the sources leave them open):

- A self-assessment is filled by the enterprise, or on its behalf by a provider or the third-party
  organisation the enterprise consented to.
- An on-site assessment is filled by an assessor of a third-party organisation the enterprise consented
  to, or of the diagnosis provider officials assigned to the enterprise (the assignment authorises it).
- A pilot enterprise may self-assess as practice: the result is scored and reported like any other, but it
  is not an *official record* — not the baseline or post-transformation record that funding's acceptance,
  the programme counts and the level-2 list use. For enterprises outside the pilot every submitted
  assessment is an official record. Pilot membership is read when the assessment is submitted.
- An enterprise that signed itself up and is not verified yet (or was rejected) takes *practice* assessments only
  (issue 10 §1): scored and reported, but they do not count — never an official record, never a basis for
  matching or money (``counts: false`` on the completed fact; catalog and funding ignore them). Once verified, its
  self-assessments count as self-assessments; a pilot enterprise's official record still comes from the on-site
  assessment. The verification status is read when the assessment is submitted.

What counts (tested in ``tests/domain/test_practice.py``):

===========================  ==========  ===============  ========================================
enterprise                   kind        counts           official record
===========================  ==========  ===============  ========================================
unverified / rejected        any         no (practice)    no
verified, not in the pilot   any         yes              yes
verified, in the pilot       self        yes              no (practice for the pilot's record)
verified, in the pilot       onsite      yes              yes
===========================  ==========  ===============  ========================================
"""

from __future__ import annotations

from typing import Literal

from sihua_shared.statemachine import Machine

Kind = Literal["self", "onsite"]
Stage = Literal["baseline", "post_transformation"]
State = Literal["draft", "submitted"]

KINDS: tuple[Kind, ...] = ("self", "onsite")
STAGES: tuple[Stage, ...] = ("baseline", "post_transformation")

STATES: tuple[State, ...] = ("draft", "submitted")
MACHINE: Machine[str, str] = Machine(
    "assessment", "评测", STATES,
    {("draft", "save_answers"): "draft", ("draft", "attach_evidence"): "draft", ("draft", "submit"): "submitted"},
    {"draft": "草稿", "submitted": "已提交"},
    {"save_answers": "保存答案", "attach_evidence": "上传佐证材料", "submit": "提交评测"},
)

LEVEL2 = 2

FILLER_ROLES = ("provider", "third_party")


def transition(state: str, action: str) -> str:
    """The assessment's state after ``action``; raises ``TransitionNotAllowed`` naming the allowed actions."""
    return MACHINE.step(state, action)


def counts(verification: str | None) -> bool:
    """Whether an enterprise's assessments count (are more than practice): unless it is unverified or rejected.
    An organisation no verification fact told about (registered before verification existed) counts."""
    return verification not in ("unverified", "rejected")


def official_record(kind: str, pilot: bool, counting: bool = True) -> bool:
    """Whether a submitted assessment is the enterprise's record (baseline / post-transformation)."""
    return counting and (kind == "onsite" or not pilot)


def onsite_filler_allowed(*, third_party: bool, consented: bool, assigned_provider: bool) -> bool:
    """An on-site assessment: a consented third-party organisation, or the assigned diagnosis provider."""
    return (third_party and consented) or assigned_provider


def self_filler_allowed(*, own_enterprise: bool, consented: bool) -> bool:
    """A self-assessment: the enterprise itself, or an organisation it consented to."""
    return own_enterprise or consented


def plan_lines(plan: str, *, limit: int = 60) -> tuple[str, ...]:
    """A transformation plan's text as report lines: non-empty lines, stripped, at most ``limit``."""
    lines = [line.strip().lstrip("-•*").strip() for line in plan.splitlines()]
    return tuple(line for line in lines if line)[:limit]
