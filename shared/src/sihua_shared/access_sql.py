"""A policy's ``Scope`` as a SQL condition, so lists are filtered by the same rule single reads are decided by."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from .access import Scope

# An attribute maps to a column (compared for equality) or to a function building the condition for a value
# (for example an EXISTS over an assignment table).
Attribute = ColumnElement[Any] | Callable[[Any], ColumnElement[bool]]


def where(scope: Scope, attributes: Mapping[str, Attribute]) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    if scope.nothing:
        return false()
    return or_(*(and_(true(), *(_condition(attributes[name], value) for name, value in clause)) for clause in scope.clauses))


def _condition(attribute: Attribute, value: Any) -> ColumnElement[bool]:
    if isinstance(attribute, ColumnElement):
        return attribute == value
    return attribute(value)
