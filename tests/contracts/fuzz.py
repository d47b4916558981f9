"""The schemathesis run over one service's app: every operation, as each role that may call it, a fixed number of
derandomised examples, against a real PostgreSQL database seeded with one resource of each kind per role.

Cases are generated first (hypothesis, derandomised: the same cases every run) and then sent through schemathesis'
in-process ASGI client, so the app runs with its lifespan as it does in production. Most cases of an operation
take their path ids from the seeds (so they reach the handler rather than stopping at 404 or 403) and send
``If-Match: *``; the rest keep the generated ids and headers, to exercise malformed and unknown ones.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sihua_shared.openapi import OperationFacts, operation_facts

SEEDED_EXAMPLES = 8  # per operation and role, with the seeded ids
FREE_EXAMPLES = 3  # per operation and role, with generated ids
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# State changes that would take later cases' seeds away run last (within an operation's cases order is kept).
_LAST = ("DELETE",)


@dataclass
class Seeds:
    """Who calls (bearer headers per role) and which existing ids each role's cases use, by path parameter name."""

    headers: dict[str, dict[str, str]]
    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # parameter -> role ("*" for any) -> id

    def path_parameters(self, role: str | None, names: tuple[str, ...]) -> dict[str, str] | None:
        values = {}
        for name in names:
            by_role = self.ids.get(name, {})
            value = by_role.get(role or "*", by_role.get("*"))
            if value is None:
                return None
            values[name] = value
        return values


@dataclass
class Outcome:
    service: str
    operations: int = 0
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def success_share(self) -> float:
        ok = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        return ok / self.cases if self.cases else 0.0

    def never_succeeded(self) -> list[str]:
        """Operations none of whose cases reached a 2xx, with the statuses they got instead."""
        return [f"{label} {dict(statuses)}" for label, statuses in sorted(self.by_operation.items())
                if not any(200 <= status < 300 for status in statuses)]

    def summary(self) -> str:
        return (
            f"schemathesis {self.service}: {self.operations} operations, {self.cases} cases, "
            f"{self.success_share:.0%} reached a 2xx, {len(self.failures)} operations failing, {self.seconds:.0f} s"
        )


def _draw(strategy: Any, count: int, label: str) -> list[Any]:
    cases: list[Any] = []

    # Derandomised, with a fixed seed per operation, role and kind of case: the same cases every run, different
    # ones for each role.
    @hypothesis.seed(zlib.crc32(label.encode()))
    @hypothesis.given(strategy)
    @hypothesis.settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def collect(case: Any) -> None:
        cases.append(case)

    collect()
    return cases[:count]


def _order(item: tuple[tuple[str, str], OperationFacts]) -> tuple[int, str, str]:
    (method, path), _ = item
    return (1 if method in _LAST else 0, path, method)


def run_schemathesis(
    service: str,
    app: FastAPI,
    seeds: Seeds,
    *,
    skip: Callable[[OperationFacts], bool] = lambda _: False,
) -> Outcome:
    outcome = Outcome(service)
    started = time.monotonic()
    facts = operation_facts(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        with asgi.get_client(app) as client:
            for (method, path), fact in sorted(facts.items(), key=_order):
                if skip(fact):
                    continue
                operation = schema[path][method]
                label = f"{method} {path}"
                outcome.operations += 1
                for role in sorted(fact.roles) or [None]:
                    headers = seeds.headers[role] if role is not None else {}
                    fixed = seeds.path_parameters(role, fact.path_params)
                    planned: list[tuple[Any, dict[str, str]]] = []
                    if fixed is not None:
                        extra = {"If-Match": "*"} if fact.if_match else {}
                        seeded = _draw(operation.as_strategy(path_parameters=fixed), SEEDED_EXAMPLES, f"{label} {role} seeded")
                        planned += [(case, {**headers, **extra}) for case in seeded]
                    free = _draw(operation.as_strategy(), FREE_EXAMPLES if fixed is not None else SEEDED_EXAMPLES, f"{label} {role}")
                    planned += [(case, headers) for case in free]
                    for case, sent in planned:
                        _send(outcome, client, case, sent, label, role or "anonymous")
    finally:
        asgi.shutdown_lifespans()
    outcome.seconds = time.monotonic() - started
    return outcome


def _send(outcome: Outcome, client: Any, case: Any, headers: dict[str, str], label: str, role: str) -> None:
    outcome.cases += 1
    try:
        response = case.call(session=client, headers=headers)
    except Exception as exc:  # the app raised through the transport: a server error by another name
        outcome.failures.setdefault(label, []).append(f"as {role}: raised {exc!r}")
        return
    outcome.statuses[response.status_code] += 1
    outcome.by_operation.setdefault(label, Counter())[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        found = outcome.failures.setdefault(label, [])
        if len(found) < 3:
            found.append(f"as {role}: {response.status_code} {response.content[:300]!r}: " + "; ".join(
                f"{f.title}: {str(getattr(f, 'message', ''))[:300]}" for f in group.exceptions
            ) + f"\n      {case.as_curl_command(headers=headers)[:600]}")
