"""The systems an enterprise says it runs (ERP, MES, PLM, WMS, ...), as codes with Chinese labels — data shipped
in ``enterprise_systems.json`` next to this module, validated when loaded. Pure: no framework, no database."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class SystemKind:
    code: str
    abbreviation: str
    name_zh: str

    @property
    def label_zh(self) -> str:
        return f"{self.abbreviation} {self.name_zh}"


@dataclass(frozen=True, slots=True)
class SystemCatalogue:
    edition: str
    source: str
    systems: tuple[SystemKind, ...]

    def get(self, code: str) -> SystemKind | None:
        return next((s for s in self.systems if s.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.systems)


def load_catalogue(resource: str = "enterprise_systems.json") -> SystemCatalogue:
    """Read and check the shipped list: codes snake_case and unique, every label given."""
    data: dict[str, Any] = json.loads(files(__package__).joinpath(resource).read_text(encoding="utf-8"))
    systems = tuple(SystemKind(str(s["code"]), str(s["abbreviation"]), str(s["name_zh"])) for s in data["systems"])
    codes = [s.code for s in systems]
    bad = [c for c in codes if not _CODE.match(c)]
    if bad or len(set(codes)) != len(codes) or not all(s.name_zh and s.abbreviation for s in systems):
        raise ValueError(f"{resource}: codes must be unique snake_case with labels (bad: {bad})")
    return SystemCatalogue(str(data["edition"]), str(data["source"]), systems)


SYSTEMS = load_catalogue()
