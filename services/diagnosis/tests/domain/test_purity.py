"""Domain code imports no framework (handbook architecture §5: "domain/ pure Python ... imports no framework")."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import diagnosis.domain

ALLOWED = {"pydantic", "yaml", "diagnosis"}
# The shared library's framework-free modules the access policy is built from.
SHARED_PURE = {"sihua_shared.access", "sihua_shared.actor"}
MODULES = sorted(Path(diagnosis.domain.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_domain_module_imports_only_stdlib_pydantic_and_yaml(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module not in SHARED_PURE}
    foreign = {r for r in roots if r not in sys.stdlib_module_names and r not in ALLOWED}
    assert not foreign, f"{path.name} imports {sorted(foreign)}"
    assert "diagnosis" not in roots or all(
        node.module.startswith("diagnosis.domain")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("diagnosis")
    )


@pytest.mark.parametrize("module", sorted(SHARED_PURE))
def test_the_shared_modules_a_policy_uses_import_no_framework(module: str) -> None:
    import importlib

    source = Path(importlib.import_module(module).__file__ or "").read_text(encoding="utf-8")
    tree = ast.parse(source)
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    assert roots <= set(sys.stdlib_module_names), roots
