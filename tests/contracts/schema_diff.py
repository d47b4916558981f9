"""Classify the difference between two JSON Schemas of an event payload: compatible or breaking.

Compatible: a new optional property, a looser constraint we do not track. Breaking: a removed
property, a property becoming required, a changed type, a narrowed enum.
"""

from __future__ import annotations

from typing import Any


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return dict(schema.get("$defs", {}).get(ref.split("/")[-1], {}))
    return node


def _types(node: dict[str, Any]) -> set[str]:
    if "type" in node:
        return {node["type"]} if isinstance(node["type"], str) else set(node["type"])
    found: set[str] = set()
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, []):
            found |= _types(option) or {option.get("$ref", "any")}
    return found


def _enum(node: dict[str, Any]) -> set[Any] | None:
    if "enum" in node:
        return set(map(str, node["enum"]))
    if "const" in node:
        return {str(node["const"])}
    for key in ("anyOf", "oneOf"):
        values: set[Any] = set()
        for option in node.get(key, []):
            sub = _enum(option)
            if sub is None and option.get("type") != "null":
                return None
            values |= sub or set()
        if node.get(key):
            return values
    return None


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}{name}: removed")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{path}{name}: became required" if name in old_props else f"{path}{name}: new required field")
    for name, old_node in old_props.items():
        if name not in new_props:
            continue
        o, n = _resolve(old, old_node), _resolve(new, new_props[name])
        if _types(o) and _types(n) and not _types(o) <= _types(n):
            problems.append(f"{path}{name}: type {sorted(_types(o))} -> {sorted(_types(n))}")
        old_enum, new_enum = _enum(o), _enum(n)
        if old_enum is not None and new_enum is not None and not old_enum <= new_enum:
            problems.append(f"{path}{name}: values removed {sorted(old_enum - new_enum)}")
        if "properties" in o or "properties" in n:
            problems += breaking_changes({**o, "$defs": old.get("$defs", {})}, {**n, "$defs": new.get("$defs", {})}, f"{path}{name}.")
    return problems
