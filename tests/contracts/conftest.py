"""Prints the schemathesis outcome of each service (cases, share reaching a 2xx) in the terminal summary."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from .test_schemathesis import OUTCOMES

    if OUTCOMES:
        terminalreporter.section("schemathesis")
        for line in OUTCOMES:
            terminalreporter.write_line(line)
