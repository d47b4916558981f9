"""Policy files loaded and validated, their versions, and which version is in force on a date.

A version is its content: ``<policy_id>@<first 12 hex of the SHA-256 of the file>``. The shipped files are in
``funding/policies/<jurisdiction>/``; officials upload new versions through the API. On a date, each policy's
version in force is the latest-taking-effect one (``effective_from``, default ``valid_from``) that has started;
its status that day is ``draft`` or ``in_force`` as the file says, or ``expired`` after ``valid_until``. An
expired policy accepts no new application; one filed while in force is processed to the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from .policy_schema import PolicyDocument


class PolicyInvalid(Exception):
    """A policy file that does not load: each problem as (path, message)."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class PolicyVersion:
    version_id: str
    content_hash: str
    document: PolicyDocument
    text: str

    @property
    def policy_id(self) -> str:
        return self.document.policy_id


class _NoAliases(yaml.SafeLoader):
    """YAML without aliases: a text from a caller can not expand into a billion nodes (billion laughs)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        return super().compose_node(parent, index)


def load_policy_text(text: str) -> PolicyVersion:
    """Parse and validate one policy file; ``PolicyInvalid`` names every problem with its path."""
    try:
        tree = yaml.load(text, Loader=_NoAliases)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "$"
        raise PolicyInvalid([(where, f"not YAML: {getattr(error, 'problem', error)}")]) from None
    if not isinstance(tree, dict):
        raise PolicyInvalid([("$", "a policy file is a mapping")])
    _no_floats(tree, "$")
    try:
        document = PolicyDocument.model_validate(tree)
    except ValidationError as error:
        raise PolicyInvalid(
            [(".".join(str(p) for p in e["loc"]) or "$", e["msg"]) for e in error.errors()[:30]]
        ) from None
    digest = hashlib.sha256(text.encode()).hexdigest()
    return PolicyVersion(f"{document.policy_id}@{digest[:12]}", digest, document, text)


def _no_floats(node: Any, path: str) -> None:
    """Money and rates are exact: a float anywhere in a policy file is refused (write ``"30%"``, integer fen)."""
    if isinstance(node, float):
        raise PolicyInvalid([(path, "floats are not allowed: money is integer fen, rates are 'N%' or 'P/Q'")])
    if isinstance(node, dict):
        for key, value in node.items():
            _no_floats(value, f"{path}.{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            _no_floats(value, f"{path}[{n}]")


def shipped_texts(jurisdiction: str) -> list[str]:
    """The shipped policy files of a jurisdiction, in file-name order."""
    folder = resources.files("funding.policies").joinpath(jurisdiction)
    if not folder.is_dir():
        return []
    return [f.read_text("utf-8") for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".yaml")]


def shipped_policies(jurisdiction: str) -> list[PolicyVersion]:
    return [load_policy_text(text) for text in shipped_texts(jurisdiction)]


def status_on(document: PolicyDocument, on: date) -> str:
    """``draft``, ``in_force`` or ``expired`` on a date (``not_yet`` before it starts)."""
    if on < document.valid_from:
        return "not_yet"
    if document.status == "expired" or (document.valid_until is not None and on > document.valid_until):
        return "expired"
    return document.status


def in_force(versions: Iterable[tuple[PolicyVersion, int]], policy_id: str, on: date) -> PolicyVersion | None:
    """The version of ``policy_id`` in force on ``on``: among versions that have started (``effective_from``),
    the latest to take effect, ties to the later upload (``versions`` pairs each with its upload sequence)."""
    started = [(v, seq) for v, seq in versions if v.policy_id == policy_id and v.document.starts <= on]
    if not started:
        return None
    return max(started, key=lambda pair: (pair[0].document.starts, pair[1]))[0]
