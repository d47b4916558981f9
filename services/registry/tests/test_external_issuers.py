"""The configuration of trusted external issuers is data, validated when the api starts: only public keys of
asymmetric algorithms, exactly one source of keys, each issuer once; from the environment as JSON or a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.adapters.external_issuers import ENV_FILE, ENV_JSON, ExternalIssuerError, ExternalIssuers
from registry.main import create_app
from sihua_shared.keys import SigningKey
from sihua_shared.settings import Settings

KEY = SigningKey.generate()


def issuer(**overrides: Any) -> dict[str, Any]:
    return {"issuer": "https://id.example.gov.cn", "audience": "sihua-registry", "jwks": {"keys": [KEY.public_jwk()]},
            **overrides}


def test_a_valid_issuer_is_trusted_by_its_iss() -> None:
    trusted = ExternalIssuers.parse([issuer()])
    found = trusted.get("https://id.example.gov.cn")
    assert found is not None and found.config.uscc_claim == "uscc" and found.config.algorithms == ("RS256", "ES256")
    assert trusted.get("https://other.example.com") is None and trusted.get(None) is None
    assert ExternalIssuers.parse({"issuers": [issuer()]}).get("https://id.example.gov.cn") is not None
    assert not ExternalIssuers.none()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"algorithms": ["HS256"]}, "algorithms"),
        ({"algorithms": ["none"]}, "algorithms"),
        ({"algorithms": []}, "algorithms"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "shared"}]}}, "kty 'oct'"),
        ({"jwks": {"keys": [{**KEY.public_jwk(), "d": "AQAB"}]}}, "private key"),
        ({"jwks": {"keys": [{**KEY.public_jwk(), "alg": "RS512"}]}}, "alg 'RS512'"),
        ({"jwks": {"keys": []}}, "no signing key"),
        ({"jwks": {"nothing": 1}}, "list of keys"),
        ({"jwks_uri": "https://id.example.gov.cn/jwks"}, "exactly one of"),
        ({"jwks": None}, "exactly one of"),
        ({"jwks": None, "jwks_uri": "file:///etc/passwd"}, "jwks_uri"),
        ({"audience": ""}, "audience"),
        ({"leeway_seconds": 3600}, "leeway_seconds"),
        ({"organisation_kinds": ["agency"]}, "organisation_kinds"),
        ({"unknown_option": True}, "unknown_option"),
    ],
)
def test_an_unsafe_or_incomplete_issuer_stops_the_start(change: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ExternalIssuerError) as refused:
        ExternalIssuers.parse([issuer(**change)])
    assert complaint in str(refused.value)


def test_an_issuer_configured_twice_is_refused() -> None:
    with pytest.raises(ExternalIssuerError, match="twice"):
        ExternalIssuers.parse([issuer(), issuer()])


def test_keys_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [KEY.public_jwk()]}), encoding="utf-8")
    assert ExternalIssuers.parse([issuer(jwks=None, jwks_file=str(path))]).get("https://id.example.gov.cn") is not None
    with pytest.raises(ExternalIssuerError, match="cannot read"):
        ExternalIssuers.parse([issuer(jwks=None, jwks_file=str(tmp_path / "missing.json"))])


def test_from_the_environment(tmp_path: Path) -> None:
    assert not ExternalIssuers.from_environment({})
    assert ExternalIssuers.from_environment({ENV_JSON: json.dumps([issuer()])}).get("https://id.example.gov.cn")
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps({"issuers": [issuer()]}), encoding="utf-8")
    assert ExternalIssuers.from_environment({ENV_FILE: str(path)}).get("https://id.example.gov.cn")
    with pytest.raises(ExternalIssuerError, match="not both"):
        ExternalIssuers.from_environment({ENV_JSON: "[]", ENV_FILE: str(path)})
    with pytest.raises(ExternalIssuerError, match="not JSON"):
        ExternalIssuers.from_environment({ENV_JSON: "[{"})
    with pytest.raises(ExternalIssuerError, match="cannot read"):
        ExternalIssuers.from_environment({ENV_FILE: str(tmp_path / "missing.json")})


def test_the_api_does_not_start_with_a_bad_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_JSON, json.dumps([issuer(algorithms=["HS256"])]))
    with pytest.raises(ExternalIssuerError):
        create_app(Settings(service="registry"))
