"""Money is integer fen end to end (issue 13, "Rules that hold everywhere"): a test fails on any float near money —
in the tables, the event payloads, the api's documents and the policy files."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import BigInteger, Float, Integer, Numeric

import funding.adapters.funding_tables  # noqa: F401  (registers the tables)
from funding.adapters.tables import metadata
from funding.domain.policies import PolicyInvalid, load_policy_text, shipped_texts
from funding.main import create_app
from sihua_shared.contracts import all_specs
from sihua_shared.settings import Settings

MONEY_WORDS = ("_fen", "amount", "fee", "cap", "investment", "interest")


def _moneyish(name: str) -> bool:
    return any(word in name for word in MONEY_WORDS)


def test_no_table_holds_money_as_anything_but_integer_fen() -> None:
    for table in metadata.sorted_tables:
        for column in table.columns:
            assert not isinstance(column.type, Float | Numeric), f"{table.name}.{column.name} is {column.type}"
            if _moneyish(column.name):
                assert column.name.endswith("_fen") and isinstance(column.type, BigInteger | Integer), f"{table.name}.{column.name}"


def _walk(schema: Any, path: str, found: list[str]) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "number" or schema.get("format") in ("float", "double"):
            found.append(path)
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    if name.endswith("_fen") and "integer" not in str(prop):
                        found.append(f"{path}.{name} (not integer)")
                    _walk(prop, f"{path}.{name}", found)
            else:
                _walk(value, f"{path}.{key}", found)
    elif isinstance(schema, list):
        for n, item in enumerate(schema):
            _walk(item, f"{path}[{n}]", found)


@pytest.mark.parametrize("spec", [s for s in all_specs() if s.service == "funding"], ids=lambda s: s.type)
def test_event_payloads_carry_money_as_integers(spec: Any) -> None:
    found: list[str] = []
    _walk(spec.payload.model_json_schema(), spec.type, found)
    assert found == []


def test_the_api_documents_money_as_integers() -> None:
    document = create_app(Settings(service="funding", database_url="postgresql+asyncpg://x/y")).openapi()
    found: list[str] = []
    _walk(document.get("components", {}).get("schemas", {}), "schemas", found)
    assert found == []


def test_policy_files_refuse_floats() -> None:
    text = next(t for t in shipped_texts("guangzhou") if "gz-s0-sihua-platforms" in t)
    assert "amount_fen: 500000000" in text
    with pytest.raises(PolicyInvalid) as error:
        load_policy_text(text.replace("amount_fen: 500000000", "amount_fen: 500000000.0", 1))
    assert "floats are not allowed" in str(error.value)
    for t in shipped_texts("guangzhou") + shipped_texts("zhongshan"):
        load_policy_text(t)
