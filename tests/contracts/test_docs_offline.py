"""/docs and /redoc work on an isolated network (handbook §6): every script, stylesheet and icon they load is served
by the service itself, from installed packages, and answers 200; the OpenAPI document declares the conventions."""

from __future__ import annotations

import importlib
import json
import re
from urllib.parse import urlsplit

import pytest

from sihua_shared.jurisdiction import load_jurisdiction
from sihua_shared.settings import SERVICES, Settings
from sihua_shared.testing.harness import Stack, service_client

_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_local_assets(stack: Stack, page: str) -> None:
    settings = await stack.settings("registry")
    app = importlib.import_module("registry.main").create_app(settings)
    async with service_client(app) as client:
        html = await client.get(page)
        assert html.status_code == 200
        urls = [a or b for a, b in _ASSET.findall(html.text)]
        scripts = [u for u in urls if u.endswith(".js")]
        assert scripts, f"{page} loads no script: {html.text[:500]}"
        for url in urls:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc, f"{page} loads {url} from another host"
            asset = await client.get(url)
            assert asset.status_code == 200, (url, asset.status_code)
            assert asset.content, url
        assert "cdn" not in html.text.lower() and "fonts.googleapis" not in html.text


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_answer_is_declared_as_problem_details(service: str) -> None:
    document = importlib.import_module(f"{service}.main").create_app(Settings(service=service)).openapi()
    assert "ProblemDetails" in document["components"]["schemas"]
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs <= set(document["components"]["schemas"]), refs - set(document["components"]["schemas"])
    assert "HTTPValidationError" not in refs  # FastAPI's 422 body is never what we answer
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
            if path.startswith("/api/") and path not in ("/api/registry/v1/oauth/token", "/api/registry/v1/oauth/revoke"):
                responses = operation["responses"]
                if not any(p in path for p in ("/verify/", "/published", "/publicity/{call_id}", "/calls/open",
                                                  "/password-reset", "/sign-up", "/showcase/")):
                    assert {"401", "403"} <= set(responses), (method, path, sorted(responses))


def test_headers_problem_responses_and_enumerations_come_from_the_routes() -> None:
    document = importlib.import_module("registry.main").create_app(Settings(service="registry")).openapi()
    paths = document["paths"]

    def header(method: str, path: str, name: str) -> dict[str, object] | None:
        return next((p for p in paths[path][method].get("parameters", []) if p["name"] == name), None)

    # A state transition (If-Match checked in the route's shared helper) and a creating POST (Idempotency-Key).
    submit = "/api/registry/v1/applications/{application_id}/submit"
    assert header("post", submit, "If-Match") is not None
    assert "ETag" in paths[submit]["post"]["responses"]["200"]["headers"]
    assert {"404", "409", "412", "428"} <= set(paths[submit]["post"]["responses"])
    create = "/api/registry/v1/organisations"
    assert header("post", create, "Idempotency-Key") is not None and header("post", create, "If-Match") is None
    assert {"400", "409", "413", "422"} <= set(paths[create]["post"]["responses"])
    assert paths[create]["post"]["x-roles"] == ["city_officer", "district_officer"]
    assert header("get", create, "Idempotency-Key") is None and "409" not in paths[create]["get"]["responses"]
    assert "415" in paths["/api/registry/v1/organisations/import"]["post"]["responses"]
    # Enumerations: roles, kinds, and the configured jurisdiction's codes.
    schemas = document["components"]["schemas"]
    district = schemas["OrganisationIn"]["properties"]["district"]["anyOf"][0]
    assert "huangpu" in district["enum"] and "pattern" not in district
    assert "city_officer" in schemas["AccountOut"]["properties"]["roles"]["items"]["enum"]
    # title (and call) kinds are the jurisdiction's: the configured city's titles, in its file's order
    assert schemas["TitleOut"]["properties"]["kind"]["enum"] == list(load_jurisdiction("guangzhou").titles)
    assert "digital_workshop" in schemas["TitleOut"]["properties"]["kind"]["enum"]
    assert "industrial_internet" in schemas["CallIn"]["properties"]["category"]["anyOf"][0]["enum"]


def test_enumerations_follow_the_configured_jurisdiction() -> None:
    document = importlib.import_module("registry.main").create_app(
        Settings(service="registry", jurisdiction="zhongshan")
    ).openapi()
    district = document["components"]["schemas"]["OrganisationIn"]["properties"]["district"]["anyOf"][0]["enum"]
    assert "tianhe" not in district and "shiqi" in district
