"""A policy text is parsed without YAML aliases: a billion-laughs text (aliases nested ten times ten) is refused at
once with its line, not walked for ever (the what-if and the policy upload take texts from callers)."""

from __future__ import annotations

import time

import pytest

from funding.domain.policies import PolicyInvalid, load_policy_text


def test_a_policy_text_with_aliases_is_refused_at_once() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    started = time.monotonic()
    with pytest.raises(PolicyInvalid) as error:
        load_policy_text("\n".join(lines))
    assert time.monotonic() - started < 5
    assert "alias" in str(error.value.problems)
