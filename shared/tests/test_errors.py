"""One DomainError, one edge mapper, one state-machine helper (handbook architecture §5)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from sihua_shared.errors import (
    DomainError,
    Kind,
    Problem,
    TransitionNotAllowed,
    combined,
    conflict,
    forbidden,
    invalid,
    invalid_all,
    not_found,
    stale_version,
    transition_not_allowed,
)
from sihua_shared.problems import STATUS, domain_problem
from sihua_shared.statemachine import Machine

STATUSES = [
    (invalid("body.name", "名称无效", "bad name"), 422, "validation_failed", "body.name"),
    (not_found("call", "c1"), 404, "not_found", "path.id"),
    (forbidden(), 403, "forbidden", "authorization"),
    (conflict("call_not_open", "未开放", "not open"), 409, "call_not_open", "state"),
    (transition_not_allowed("consent", "revoked", "revoke", []), 409, "transition_not_allowed", "state"),
    (stale_version("assessment", "评测"), 412, "stale_version", "header.If-Match"),
    (DomainError("file_too_large", "文件过大", "too large", field="body.file", kind=Kind.TOO_LARGE), 413, "file_too_large", "body.file"),
    (DomainError("unsupported_file_type", "类型", "type", kind=Kind.UNSUPPORTED_MEDIA_TYPE), 415, "unsupported_file_type", ""),
    (DomainError("invalid_grant", "错误", "wrong", field="body.password", kind=Kind.BAD_REQUEST), 400, "invalid_grant", "body.password"),
    (DomainError("invalid_client", "错误", "wrong", kind=Kind.UNAUTHENTICATED), 401, "invalid_client", "authorization"),
]


@pytest.mark.parametrize(("error", "status", "code", "field"), STATUSES, ids=[s[2] + f"-{s[1]}" for s in STATUSES])
def test_the_edge_derives_the_status_from_the_kind(error: DomainError, status: int, code: str, field: str) -> None:
    problem = domain_problem(error)
    assert (problem.status, problem.code) == (status, code)
    assert [e.field for e in problem.errors] == [field]
    assert problem.errors[0].message_zh and problem.errors[0].message_en


def test_every_kind_has_a_status() -> None:
    assert set(STATUS) == set(Kind)


def test_details_are_members_but_never_replace_the_documents_own() -> None:
    error = DomainError("tie_break_recorded", "已记录", "recorded", kind=Kind.CONFLICT,
                        details={"tie_break_id": "t1", "status": 200, "code": "x"})
    problem = domain_problem(error)
    assert problem.extra == {"tie_break_id": "t1"}
    assert (problem.status, problem.code) == (409, "tie_break_recorded")


def test_a_refused_transition_lists_the_allowed_actions() -> None:
    problem = domain_problem(transition_not_allowed("account", "active", "activate", ["deactivate"]))
    assert (problem.extra["state"], problem.extra["allowed"]) == ("active", ["deactivate"])


def test_retry_after_is_a_header_not_a_member() -> None:
    problem = domain_problem(DomainError("login_throttled", "稍后", "later", kind=Kind.TOO_MANY_REQUESTS, details={"retry_after": 0}))
    assert problem.headers == {"Retry-After": "1"} and "retry_after" not in problem.extra


def test_input_paths_move_into_the_request_but_state_errors_stay() -> None:
    assert invalid("uscc", "无效", "bad").at("body").problems[0].field == "body.uscc"
    assert DomainError("rubric_empty", "空", "empty").at("body").problems[0].field == "body"
    assert conflict("call_not_open", "未开放", "not open", field="call").at("body").problems[0].field == "call"
    many = invalid_all("answers_invalid", "答案有误", "bad answers", [Problem("$", "a", "甲", "a"), Problem("answers.Q3", "b", "乙", "b")])
    moved = many.at("body")
    assert [p.field for p in moved.problems] == ["body", "body.answers.Q3"]
    assert moved.details["problem_codes"] == ["a", "b"] and moved.__cause__ is many
    assert str(many) == "answers_invalid: $: a [a]; answers.Q3: b [b]"


def test_combined_lists_every_problem_of_several_checks() -> None:
    errors = [invalid("uscc", "无效", "bad uscc", "uscc_invalid"), DomainError("employees_negative", "负数", "negative")]
    found = combined("validation_failed", "无效", "invalid", errors, prefix="body", details={"reasons": ["x"]})
    assert [(p.field, p.code) for p in found.problems] == [("body.uscc", "uscc_invalid"), ("body", "employees_negative")]
    assert domain_problem(found).extra == {"reasons": ["x"]}


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    BROKEN = "broken"


def _needs_reason(*, reason: str = "", **_: object) -> None:
    if not reason.strip():
        raise invalid("reason", "须写明理由", "a reason is required", "reason_required")


LIGHTS: Machine[Light, str] = Machine(
    "light", "信号灯", tuple(Light),
    {(Light.RED, "go"): Light.GREEN, (Light.GREEN, "stop"): Light.RED, (Light.RED, "break"): Light.BROKEN,
     (Light.GREEN, "break"): Light.BROKEN},
    {Light.RED: "红灯", Light.GREEN: "绿灯", Light.BROKEN: "故障"},
    guards={"break": _needs_reason},
)

STEPS = [
    ("red", "go", Light.GREEN),
    (Light.GREEN, "stop", Light.RED),
    ("green", "break", Light.BROKEN),
]


@pytest.mark.parametrize(("state", "action", "target"), STEPS)
def test_a_machine_takes_the_steps_of_its_table_from_enum_members_or_their_values(state: str, action: str, target: Light) -> None:
    assert LIGHTS.step(state, action, reason="灯泡烧坏") is target


REFUSED = [("red", "stop", ["go", "break"]), ("green", "go", ["stop", "break"]), ("broken", "go", []), ("red", "fly", ["go", "break"])]


@pytest.mark.parametrize(("state", "action", "allowed"), REFUSED)
def test_a_refused_step_names_the_allowed_ones_in_table_order(state: str, action: str, allowed: list[str]) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        LIGHTS.step(state, action)
    error = refused.value
    assert (error.kind, error.state, error.action, error.allowed) == (Kind.TRANSITION_NOT_ALLOWED, state, action, allowed)
    assert error.details["allowed"] == allowed
    assert "信号灯当前状态为“" in error.message_zh and repr(action) in error.message_en
    assert domain_problem(error).status == 409


def test_a_guard_refuses_a_step_the_table_allows() -> None:
    with pytest.raises(DomainError) as refused:
        LIGHTS.step("red", "break", reason=" ")
    assert refused.value.code == "reason_required" and not isinstance(refused.value, TransitionNotAllowed)


def test_a_table_naming_an_unknown_state_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="unknown states"):
        Machine("light", "信号灯", ("red",), {("red", "go"): "green"})
