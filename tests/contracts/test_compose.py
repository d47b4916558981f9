"""Container and deployment files, read as data (no Docker, no cluster, no servers).

- docker-compose.yml is valid against the Compose Specification schema (as vendored by the
  check-jsonschema package from PyPI);
- each service has its migrate, api and worker with the agreed commands, and the api and worker start only
  after the migrations completed;
- the gateway (deploy/gateway/nginx.conf) sends /api/<service>/ and the service's documents to that service;
- no password is written into the compose file, .env.example, the Dockerfile or the Kubernetes manifests;
- NATS runs with authentication from generated configuration, and each api and worker gets its own NKey
  seed from a secret (never a seed written into a file here);
- every Kubernetes manifest parses and names itself, is valid (strictly) against the Kubernetes schemas that
  the kubernetes-validate package (PyPI) ships, and the scale-out shape is the one deploy/README.md
  describes;
- NATS runs as a three-node cluster in compose (three nodes, own volumes and names, routes to each other; the
  apps know all three and ask for three stream replicas), as it does in Kubernetes;
- the image does not run as root.

Each check is a function returning the problems it finds; ``test_checks_catch_faults`` feeds each one a broken
input, so that none of them can pass vacuously.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
# The Compose Specification's JSON Schema as the check-jsonschema package (PyPI) vendors it.
SCHEMA = Path(str(importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"))
NGINX_CONF = ROOT / "deploy" / "gateway" / "nginx.conf"
K8S = ROOT / "deploy" / "k8s"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
NATS_CONF = ROOT / "deploy" / "nats" / "nats.conf"
GITIGNORE = ROOT / ".gitignore"
CREDENTIALS = "./deploy/nats/credentials/"

# The same five as sihua_shared.settings.SERVICES; spelled out so that this test needs only PyYAML and jsonschema.
SERVICES = ("registry", "diagnosis", "catalog", "funding", "evaluation")
DOCUMENTS = ("docs", "openapi.json", "asyncapi.json")


def commands(name: str) -> dict[str, list[str]]:
    return {
        "migrate": ["python", "-m", "sihua_shared.migrate", name],
        "api": ["uvicorn", f"{name}.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"],
        "worker": ["python", "-m", f"{name}.worker"],
    }


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def load_manifests() -> dict[str, list[Any]]:
    files = sorted([*K8S.glob("*.yaml"), *K8S.glob("*.yml")])
    assert files, f"no manifests in {K8S}"
    return {f.name: list(yaml.safe_load_all(f.read_text(encoding="utf-8"))) for f in files}


# ---------------------------------------------------------------------------------------------- compose schema

_VALIDATORS: dict[str, type[Any]] = {
    "json-schema.org/draft-07/schema": jsonschema.Draft7Validator,
    "json-schema.org/draft/2019-09/schema": jsonschema.Draft201909Validator,
    "json-schema.org/draft/2020-12/schema": jsonschema.Draft202012Validator,
}


def validator_class(schema: dict[str, Any]) -> type[Any]:
    """The validator for the schema's own ``$schema`` (written with https and without '#', which
    ``jsonschema.validators.validator_for`` does not recognise)."""
    declared = str(schema.get("$schema", ""))
    key = re.sub(r"^https?://", "", declared).rstrip("#")
    if key not in _VALIDATORS:
        raise AssertionError(f"unexpected $schema {declared!r} in {SCHEMA.name}")
    return _VALIDATORS[key]


def schema_errors(compose: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    cls = validator_class(schema)
    validator = cls(schema)  # no format_checker: formats are not asserted
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose)]


# ----------------------------------------------------------------------------------- processes and start order


def _argv(command: Any) -> list[str]:
    if isinstance(command, str):
        return shlex.split(command)
    return [str(part) for part in command or []]


def process_problems(compose: dict[str, Any]) -> list[str]:
    services = compose.get("services") or {}
    problems = []
    for name in SERVICES:
        for role, expected in commands(name).items():
            entry = services.get(f"{name}-{role}")
            if entry is None:
                problems.append(f"{name}-{role}: missing")
                continue
            if _argv(entry.get("command")) != expected:
                problems.append(f"{name}-{role}: command {entry.get('command')!r}, expected {expected!r}")
            url = (entry.get("environment") or {}).get(f"SIHUA_{name.upper()}_DATABASE_URL", "")
            if not re.fullmatch(rf"postgresql\+asyncpg://sihua:\$\{{POSTGRES_PASSWORD:\?[^}}]*\}}@postgres:5432/{name}", url):
                problems.append(f"{name}-{role}: SIHUA_{name.upper()}_DATABASE_URL is {url!r}")
    return problems


def start_order_problems(compose: dict[str, Any]) -> list[str]:
    services = compose.get("services") or {}
    problems = []
    for name in SERVICES:
        if f"{name}-migrate" not in services:
            problems.append(f"{name}-migrate: missing, so nothing runs the migrations first")
        for role in ("api", "worker"):
            depends = (services.get(f"{name}-{role}") or {}).get("depends_on") or {}
            condition = depends.get(f"{name}-migrate", {}).get("condition") if isinstance(depends, dict) else None
            if condition != "service_completed_successfully":
                problems.append(f"{name}-{role}: waits for {name}-migrate with condition {condition!r}")
    return problems


# ------------------------------------------------------------------------------------------------------ gateway
# A small model of how nginx picks a location and builds the upstream request, enough for nginx.conf.

_TOKEN = re.compile(r"""\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)""")


def parse_nginx(text: str) -> list[tuple[str, list[str], Any]]:
    """Directives as ``(name, args, children or None)``."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read nginx.conf at offset {pos}")
        pos = m.end()
        for group in m.groups():
            if group is not None:
                tokens.append(group)
                break

    def block(i: int) -> tuple[list[tuple[str, list[str], Any]], int]:
        items: list[tuple[str, list[str], Any]] = []
        words: list[str] = []
        while i < len(tokens):
            t = tokens[i]
            if t == ";":
                items.append((words[0], words[1:], None))
                words = []
            elif t == "{":
                children, i = block(i + 1)
                items.append((words[0], words[1:], children))
                words = []
            elif t == "}":
                return items, i
            else:
                words.append(t)
            i += 1
        return items, i

    return block(0)[0]


def _server(conf: list[tuple[str, list[str], Any]], port: str = "8080") -> list[tuple[str, list[str], Any]]:
    for name, _, children in conf:
        if name == "http":
            for sname, _, body in children:
                if sname == "server" and any(d == "listen" and a[0].split(":")[-1] == port for d, a, _ in body):
                    return list(body)
    raise AssertionError(f"no server listening on {port} in nginx.conf")


def _substitute(template: str, variables: dict[str, str]) -> str:
    def value(m: re.Match[str]) -> str:
        key = m.group(1) or m.group(2)
        if key not in variables:
            raise AssertionError(f"nginx variable ${key} has no value in this model")
        return variables[key]

    return re.sub(r"\$\{(\w+)\}|\$([A-Za-z_]\w*|\d+)", value, template)


def route(conf_text: str, uri: str) -> tuple[str, str] | None:
    """``(upstream host:port, upstream path)`` for a request to ``uri``, or None when nginx answers itself."""
    server = _server(parse_nginx(conf_text))
    locations = [(args, body) for name, args, body in server if name == "location"]
    exact = [body for args, body in locations if args[0] == "=" and args[1] == uri]
    chosen: tuple[list[str], Any, re.Match[str] | None] | None = None
    if exact:
        chosen = (["=", uri], exact[0], None)
    else:
        prefixes = [(args, body) for args, body in locations if len(args) == 1 or args[0] == "^~"]
        matching = [(args, body) for args, body in prefixes if uri.startswith(args[-1])]
        longest = max(matching, key=lambda ab: len(ab[0][-1]), default=None)
        if longest is not None and longest[0][0] == "^~":
            chosen = (longest[0], longest[1], None)
        else:
            for args, body in locations:
                if args[0] in ("~", "~*"):
                    pattern = args[1].replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")
                    m = re.search(pattern, uri, re.IGNORECASE if args[0] == "~*" else 0)
                    if m:
                        chosen = (args, body, m)
                        break
            if chosen is None and longest is not None:
                chosen = (longest[0], longest[1], None)
    if chosen is None:
        return None
    args, body, match = chosen
    variables: dict[str, str] = {}
    if match is not None:
        variables.update({str(i): g or "" for i, g in enumerate(match.groups(), start=1)})
        variables.update({k: v or "" for k, v in match.groupdict().items()})
    current = uri
    for name, dargs, _ in body:
        if name == "return":
            return None
        if name == "set":
            variables[dargs[0].lstrip("$")] = _substitute(dargs[1], variables)
        elif name == "rewrite":
            if len(dargs) != 3 or dargs[2] != "break":
                raise AssertionError(f"rewrite {dargs} is outside this model (only '... break')")
            m = re.search(dargs[0], current)
            if m:
                groups = {str(i): g or "" for i, g in enumerate(m.groups(), start=1)}
                current = _substitute(dargs[1], {**variables, **groups})
        elif name == "proxy_pass":
            has_variables = "$" in dargs[0]
            target = _substitute(dargs[0], variables)
            m = re.fullmatch(r"https?://([^/]+)(/.*)?", target)
            if not m:
                raise AssertionError(f"proxy_pass {dargs[0]!r} is not an http URL")
            host, path = m.group(1), m.group(2)
            if path is None:
                return host, current
            if has_variables:
                return host, path
            if match is not None or args[0] == "=":
                raise AssertionError("a static URI in proxy_pass of a regex or exact location is outside this model")
            return host, path + current[len(args[-1]) :]
    return None


def gateway_problems(conf_text: str) -> list[str]:
    problems = []
    for name in SERVICES:
        api = f"/api/{name}/v1/organisations"
        got = route(conf_text, api)
        if got != (f"{name}-api:8000", api):
            problems.append(f"{api} goes to {got}, expected {name}-api:8000 with the path kept")
        for doc in DOCUMENTS:
            got = route(conf_text, f"/{name}/{doc}")
            if got != (f"{name}-api:8000", f"/{doc}"):
                problems.append(f"/{name}/{doc} goes to {got}, expected {name}-api:8000/{doc}")
    stray = route(conf_text, "/api/nosuchservice/v1/things")
    if stray is not None:
        problems.append(f"/api/nosuchservice/ is proxied to {stray}")
    body_limits = [a for d, a, _ in _server(parse_nginx(conf_text)) if d == "client_max_body_size"]
    if body_limits != [["25m"]]:
        problems.append(f"client_max_body_size is {body_limits}, expected 25m")
    return problems


# --------------------------------------------------------------------------------------------------- passwords

_REFERENCE = r"\$\{[A-Za-z_]\w*(?::?\?[^}]*)?\}|\$\([A-Za-z_]\w*\)"  # ${VAR}, ${VAR:?msg}, $(VAR); never a default
_URL_PASSWORD = re.compile(rf"[a-z][a-z0-9+.-]*://[^/\s:@]+:({_REFERENCE}|[^@/\s]*)@", re.IGNORECASE)
_PASSWORD_NAME = re.compile(r"pass(word|wd)", re.IGNORECASE)


def _is_reference(value: str) -> bool:
    return re.fullmatch(_REFERENCE, value) is not None


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """``(path, key, value)`` for every mapping entry and list item."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}/{key}", key, value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield f"{path}[{i}]", None, value
            yield from _walk(value, f"{path}[{i}]")


def password_findings(document: Any, where: str) -> list[str]:
    findings = []
    for path, key, value in _walk(document):
        scalar = value is not None and not isinstance(value, (dict, list))
        if isinstance(key, str) and _PASSWORD_NAME.search(key) and scalar and not _is_reference(str(value)):
            findings.append(f"{where}{path}: a password written as a value")
        if (
            isinstance(value, dict)
            and _PASSWORD_NAME.search(str(value.get("name", "")))
            and "value" in value
            and not _is_reference(str(value["value"]))
        ):
            findings.append(f"{where}{path}: env {value['name']} has a literal value, not valueFrom")
        if isinstance(value, str):
            for m in _URL_PASSWORD.finditer(value):
                if not _is_reference(m.group(1)):
                    findings.append(f"{where}{path}: a URL with a literal password")
    if isinstance(document, dict) and document.get("kind") == "Secret" and (document.get("data") or document.get("stringData")):
        findings.append(f"{where}: a Secret with its values inlined")
    return findings


def compose_password_findings(compose_text: str) -> list[str]:
    findings = password_findings(yaml.safe_load(compose_text), "docker-compose.yml")
    for ref in re.findall(r"\$\{POSTGRES_PASSWORD[^}]*\}", compose_text):
        if not ref.startswith("${POSTGRES_PASSWORD:?"):
            findings.append(f"docker-compose.yml: {ref} does not require the password to be set")
    if "${POSTGRES_PASSWORD" not in compose_text:
        findings.append("docker-compose.yml: POSTGRES_PASSWORD is never referenced")
    return findings


def env_example_findings(text: str) -> list[str]:
    values = dict(line.split("=", 1) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    findings = [f".env.example: {k} has a value" for k, v in values.items() if _PASSWORD_NAME.search(k) and v.strip()]
    if "POSTGRES_PASSWORD" not in values:
        findings.append(".env.example: POSTGRES_PASSWORD is missing")
    return findings


def dockerfile_password_findings(text: str) -> list[str]:
    return [
        f"Dockerfile: {line.strip()}"
        for line in text.splitlines()
        if re.match(r"\s*(ENV|ARG)\b", line, re.IGNORECASE) and _PASSWORD_NAME.search(line)
    ]


# ----------------------------------------------------------------------------------------- NATS authentication

_SEED = re.compile(r"\bS[UAONC][A-Z2-7]{50,}\b")  # an NKey seed (user, account, operator, server, cluster)


def seed_findings(text: str, where: str) -> list[str]:
    return [f"{where}: an NKey seed written down" for _ in _SEED.finditer(text)]


def compose_nats_auth_problems(compose: dict[str, Any], nats_conf: str, gitignore: str) -> list[str]:
    services = compose.get("services") or {}
    problems = []
    nats = services.get("nats") or {}
    if _argv(nats.get("command")) != ["-c", "/etc/nats/nats.conf"]:
        problems.append(f"nats: command {nats.get('command')!r} does not run deploy/nats/nats.conf")
    configs = {c.get("target"): c.get("source") for c in nats.get("configs") or [] if isinstance(c, dict)}
    top_configs = compose.get("configs") or {}
    if (top_configs.get(configs.get("/etc/nats/nats.conf", "")) or {}).get("file") != "./deploy/nats/nats.conf":
        problems.append("nats: /etc/nats/nats.conf is not deploy/nats/nats.conf")
    if (top_configs.get(configs.get("/etc/nats/auth.conf", "")) or {}).get("file") != f"{CREDENTIALS}auth.conf":
        problems.append("nats: /etc/nats/auth.conf is not the generated authorization")
    if not re.search(r"^\s*include\s+\.?/?auth\.conf\s*$", nats_conf, re.MULTILINE):
        problems.append("deploy/nats/nats.conf: does not include auth.conf")
    if "jetstream" not in nats_conf or not re.search(r"^\s*http_port:\s*8222", nats_conf, re.MULTILINE):
        problems.append("deploy/nats/nats.conf: JetStream or monitoring on 8222 missing")
    secrets = compose.get("secrets") or {}
    for name in SERVICES:
        for role in ("api", "worker"):
            entry = services.get(f"{name}-{role}") or {}
            own = [{"source": f"{name}-{role}-nkey", "target": f"{name}-{role}.nk"}]
            if entry.get("secrets") != own:
                problems.append(f"{name}-{role}: secrets {entry.get('secrets')!r}, expected only {own!r}")
            if (entry.get("environment") or {}).get("SIHUA_NATS_CREDENTIALS_DIR") != "/run/secrets":
                problems.append(f"{name}-{role}: SIHUA_NATS_CREDENTIALS_DIR is not /run/secrets")
            if (secrets.get(f"{name}-{role}-nkey") or {}).get("file") != f"{CREDENTIALS}{name}-{role}.nk":
                problems.append(f"secret {name}-{role}-nkey: not the generated seed file")
        if (services.get(f"{name}-migrate") or {}).get("secrets"):
            problems.append(f"{name}-migrate: holds NATS credentials it never uses")
    if CREDENTIALS.removeprefix("./") not in gitignore.splitlines():
        problems.append(f".gitignore: {CREDENTIALS} is not ignored, so seeds could be committed")
    return problems


def k8s_nats_auth_problems(manifests: dict[str, list[Any]]) -> list[str]:
    found = _by_kind(manifests)
    problems = []
    config = found.get(("ConfigMap", "sihua-config"), {}).get("data", {})
    folder = config.get("SIHUA_NATS_CREDENTIALS_DIR")
    if not folder:
        problems.append("ConfigMap sihua-config: no SIHUA_NATS_CREDENTIALS_DIR")
    for name in SERVICES:
        for role in ("api", "worker"):
            doc = found.get(("Deployment", f"{name}-{role}"))
            if doc is None:
                continue
            pod = doc["spec"]["template"]["spec"]
            secret_volumes = {
                v["name"]: v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v
            }
            nats_secrets = {v: s for v, s in secret_volumes.items() if s.startswith("sihua-nats-")}
            mounts = {m["name"]: m["mountPath"] for m in _container(doc).get("volumeMounts", [])}
            expected = f"sihua-nats-{name}-{role}"
            if list(nats_secrets.values()) != [expected] or mounts.get(next(iter(nats_secrets), "")) != folder:
                problems.append(f"Deployment {name}-{role}: does not mount only Secret {expected} at {folder}")
    nats = found.get(("StatefulSet", "nats"))
    conf = found.get(("ConfigMap", "nats-config"), {}).get("data", {}).get("nats.conf", "")
    include = re.search(r"^\s*include\s+(\S+)", conf, re.MULTILINE)
    if nats is None or include is None:
        problems.append("nats: nats.conf includes no authorization")
    else:
        pod = nats["spec"]["template"]["spec"]
        auth_volume = next((v["name"] for v in pod.get("volumes", []) if v.get("secret", {}).get("secretName") == "sihua-nats-auth"), None)
        mounts = {m["name"]: m["mountPath"] for m in _container(nats).get("volumeMounts", [])}
        included = str(Path("/etc/nats", include.group(1)).resolve()) if include else ""
        if auth_volume is None or str(Path(mounts.get(auth_volume, "/nowhere"), "auth.conf")) != included:
            problems.append(f"nats: the included {include.group(1)} is not the Secret sihua-nats-auth's auth.conf")
    return problems


# ------------------------------------------------------------------------------------------ kubernetes manifests


def manifest_problems(manifests: dict[str, list[Any]]) -> list[str]:
    problems = []
    for file, documents in manifests.items():
        documents = [d for d in documents if d is not None]
        if not documents:
            problems.append(f"{file}: no documents")
        for i, doc in enumerate(documents):
            if not isinstance(doc, dict):
                problems.append(f"{file}#{i}: not a mapping")
                continue
            for field in ("apiVersion", "kind"):
                if not isinstance(doc.get(field), str) or not doc[field]:
                    problems.append(f"{file}#{i}: no {field}")
            name = (doc.get("metadata") or {}).get("name")
            if not isinstance(name, str) or not name:
                problems.append(f"{file}#{i}: no metadata.name")
    return problems


def _by_kind(manifests: dict[str, list[Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for docs in manifests.values() for d in docs if isinstance(d, dict)}


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(doc["spec"]["template"]["spec"]["containers"][0])


def scale_out_problems(manifests: dict[str, list[Any]]) -> list[str]:
    found = _by_kind(manifests)
    problems = []
    for name in SERVICES:
        expected = commands(name)
        for kind, role, replicas in (("Deployment", "api", 2), ("Deployment", "worker", 2), ("Job", "migrate", None)):
            doc = found.get((kind, f"{name}-{role}"))
            if doc is None:
                problems.append(f"{kind} {name}-{role}: missing")
                continue
            if replicas is not None and doc["spec"].get("replicas") != replicas:
                problems.append(f"{kind} {name}-{role}: replicas {doc['spec'].get('replicas')}, expected {replicas}")
            if _argv(_container(doc).get("command")) != expected[role]:
                problems.append(f"{kind} {name}-{role}: command {_container(doc).get('command')!r}")
        if ("Service", f"{name}-api") not in found:
            problems.append(f"Service {name}-api: missing")
    nats = found.get(("StatefulSet", "nats"))
    if nats is None or nats["spec"].get("replicas") != 3:
        problems.append("StatefulSet nats: missing or not 3 replicas")
    config = found.get(("ConfigMap", "sihua-config"), {}).get("data", {})
    if config.get("SIHUA_NATS_STREAM_REPLICAS") != "3":
        problems.append("ConfigMap sihua-config: SIHUA_NATS_STREAM_REPLICAS is not '3'")
    clusters = [d for (kind, _), d in found.items() if kind == "Cluster" and d["apiVersion"] == "postgresql.cnpg.io/v1"]
    if len(clusters) != 1 or clusters[0]["spec"].get("instances") != 3:
        problems.append("CloudNativePG Cluster: missing or not 3 instances")
    ingress_paths = {
        (p["path"], p["backend"]["service"]["name"])
        for (kind, _), d in found.items()
        if kind == "Ingress"
        for rule in d["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    for name in SERVICES:
        if not any(path.rstrip("/") == f"/api/{name}" and backend == f"{name}-api" for path, backend in ingress_paths):
            problems.append(f"Ingress: no /api/{name}/ route to {name}-api")
    kustomization = found.get(("Kustomization", "sihua"))
    listed = set((kustomization or {}).get("resources", []))
    unlisted = {f for f in manifests if f not in ("kustomization.yaml", "kustomization.yml")} - listed
    if kustomization is None or unlisted or any(not (K8S / f).exists() for f in listed):
        problems.append(f"kustomization.yaml: resources {sorted(listed)} do not match the files (unlisted: {sorted(unlisted)})")
    return problems


# ------------------------------------------------------------------------------------------- the NATS cluster

NATS_NODES = ("nats", "nats-2", "nats-3")


def _environment(entry: dict[str, Any]) -> dict[str, str]:
    env = entry.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env if "=" in item)
    return {str(k): str(v) for k, v in env.items()}


def compose_cluster_problems(compose: dict[str, Any], nats_conf: str) -> list[str]:
    """NATS runs as three nodes of one cluster, each with its own data volume and name, routed to each other;
    every api and worker knows all three and every producer asks for three replicas."""
    services = compose.get("services") or {}
    problems = []
    volumes, names = set(), set()
    for node in NATS_NODES:
        entry = services.get(node)
        if entry is None:
            problems.append(f"{node}: missing (NATS is a three-node cluster)")
            continue
        if _argv(entry.get("command")) != ["-c", "/etc/nats/nats.conf"]:
            problems.append(f"{node}: does not run deploy/nats/nats.conf")
        data = [v for v in entry.get("volumes") or [] if isinstance(v, str) and v.endswith(":/data")]
        if len(data) != 1:
            problems.append(f"{node}: no data volume of its own on /data")
        volumes.update(data)
        names.add(_environment(entry).get("SERVER_NAME"))
    if len(volumes) != len(NATS_NODES):
        problems.append(f"NATS nodes share data volumes: {sorted(volumes)}")
    if len(names - {None}) != len(NATS_NODES):
        problems.append(f"NATS nodes have no distinct SERVER_NAME: {sorted(str(n) for n in names)}")
    if not re.search(r"^\s*server_name:\s*\$SERVER_NAME\s*$", nats_conf, re.MULTILINE):
        problems.append("deploy/nats/nats.conf: server_name is not $SERVER_NAME")
    cluster = re.search(r"^cluster\s*\{(.*?)^\}", nats_conf, re.MULTILINE | re.DOTALL)
    routes = set(re.findall(r"nats://([\w.-]+):6222", cluster.group(1))) if cluster else set()
    if routes != set(NATS_NODES):
        problems.append(f"deploy/nats/nats.conf: the cluster routes {sorted(routes)} are not the three nodes")
    for name, entry in services.items():
        command = " ".join(_argv(entry.get("command")))
        if not (command.startswith("uvicorn ") or command.endswith(".worker")):
            continue
        env = _environment(entry)
        urls = {u.strip() for u in env.get("SIHUA_NATS_URL", "").split(",") if u.strip()}
        if urls != {f"nats://{node}:4222" for node in NATS_NODES}:
            problems.append(f"{name}: SIHUA_NATS_URL {env.get('SIHUA_NATS_URL')!r} does not name the three nodes")
        if env.get("SIHUA_NATS_STREAM_REPLICAS") != "3":
            problems.append(f"{name}: SIHUA_NATS_STREAM_REPLICAS is not '3'")
    return problems


# ------------------------------------------------------------------------------ Kubernetes schema validation

# kubernetes-validate (PyPI) ships the Kubernetes OpenAPI schemas of each release; the manifests are checked
# strictly (no unknown field) against the oldest release the deployment supports.
KUBERNETES_VERSION = "1.30.0"
# Custom resources have no schema in the Kubernetes release: CloudNativePG's and kustomize's own kinds.
CUSTOM_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Database"),
                ("kustomize.config.k8s.io/v1beta1", "Kustomization")}


def k8s_schema_problems(manifests: dict[str, list[Any]]) -> list[str]:
    import kubernetes_validate

    problems = []
    for file, docs in manifests.items():
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict):
                continue
            if (doc.get("apiVersion"), doc.get("kind")) in CUSTOM_KINDS:
                continue
            try:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{file}#{i} {doc.get('kind')}: {exc.message} at {'/'.join(map(str, exc.path))}")
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(f"{file}#{i}: no Kubernetes {KUBERNETES_VERSION} schema for "
                                f"{doc.get('apiVersion')} {doc.get('kind')}")
    return problems


# -------------------------------------------------------------------------------------------------- dockerfile


def dockerfile_problems(text: str) -> list[str]:
    lines = re.sub(r"\\\n", " ", text).splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    users = [i.split(None, 1)[1].strip() for i in instructions if i.upper().startswith("USER ") and " " in i]
    problems = []
    if not users:
        problems.append("Dockerfile: no USER line, so it runs as root")
    elif users[-1].split(":")[0] in ("root", "0"):
        problems.append(f"Dockerfile: the last USER is {users[-1]}")
    if not any(re.match(r"FROM\s+python:3\.12-slim\b", i, re.IGNORECASE) for i in instructions):
        problems.append("Dockerfile: not based on python:3.12-slim")
    install = "pip install ./shared " + " ".join(f"./services/{name}" for name in SERVICES)
    if not any(install in " ".join(i.split()) for i in instructions):
        problems.append(f"Dockerfile: no `{install}`")
    if any(re.search(r"pip install[^&]*\s-e\s", i) for i in instructions):
        problems.append("Dockerfile: an editable install")
    return problems


# ------------------------------------------------------------------------------------------------------- tests


def test_compose_schema_is_the_committed_json_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = validator_class(schema)
    assert cls in (jsonschema.Draft7Validator, jsonschema.Draft201909Validator, jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    assert schema.get("title") == "Compose Specification"


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema_errors(load_compose(), schema) == []


def test_compose_has_migrate_api_and_worker_per_service_with_the_agreed_commands() -> None:
    assert process_problems(load_compose()) == []


def test_compose_api_and_worker_start_after_their_migrations_completed() -> None:
    assert start_order_problems(load_compose()) == []


def test_compose_infrastructure_is_postgres_nats_and_gateway_with_health_checks() -> None:
    services = load_compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(_argv(services["postgres"]["healthcheck"]["test"]))
    assert services["nats"]["command"] == ["-c", "/etc/nats/nats.conf"]
    assert "8222/healthz" in " ".join(_argv(services["nats"]["healthcheck"]["test"]))
    published = {name for name, entry in services.items() if entry.get("ports")}
    assert published == {"gateway"}, f"only the gateway is published, not {published - {'gateway'}}"
    assert [str(p) for p in services["gateway"]["ports"]] == ["8080:8080"]
    for name in SERVICES:
        assert "/readyz" in " ".join(_argv(services[f"{name}-api"]["healthcheck"]["test"]))


def test_gateway_routes_each_service() -> None:
    assert gateway_problems(NGINX_CONF.read_text(encoding="utf-8")) == []


def test_no_password_is_written_down() -> None:
    findings = compose_password_findings(COMPOSE.read_text(encoding="utf-8"))
    findings += env_example_findings(ENV_EXAMPLE.read_text(encoding="utf-8"))
    findings += dockerfile_password_findings(DOCKERFILE.read_text(encoding="utf-8"))
    for file, documents in load_manifests().items():
        for i, doc in enumerate(documents):
            findings += password_findings(doc, f"deploy/k8s/{file}#{i}")
    assert findings == []


def test_nats_requires_authentication_and_each_process_has_its_own_credentials() -> None:
    assert compose_nats_auth_problems(
        load_compose(), NATS_CONF.read_text(encoding="utf-8"), GITIGNORE.read_text(encoding="utf-8")
    ) == []
    assert k8s_nats_auth_problems(load_manifests()) == []
    findings = seed_findings(COMPOSE.read_text(encoding="utf-8"), "docker-compose.yml")
    findings += seed_findings(NATS_CONF.read_text(encoding="utf-8"), "deploy/nats/nats.conf")
    for file in sorted(K8S.glob("*.yaml")):
        findings += seed_findings(file.read_text(encoding="utf-8"), f"deploy/k8s/{file.name}")
    assert findings == []


def test_nats_authentication_checks_catch_faults() -> None:
    compose, conf, ignore = load_compose(), NATS_CONF.read_text(encoding="utf-8"), GITIGNORE.read_text(encoding="utf-8")
    assert compose_nats_auth_problems(compose, conf.replace("include ./auth.conf", ""), ignore)
    assert compose_nats_auth_problems(compose, conf, ignore.replace("deploy/nats/credentials/", ""))
    anonymous = copy.deepcopy(compose)
    anonymous["services"]["nats"]["command"] = ["-js", "-sd", "/data", "-m", "8222"]
    assert compose_nats_auth_problems(anonymous, conf, ignore)
    shared = copy.deepcopy(compose)
    shared["services"]["diagnosis-worker"]["secrets"].append({"source": "evaluation-worker-nkey", "target": "evaluation-worker.nk"})
    assert compose_nats_auth_problems(shared, conf, ignore)
    swapped = copy.deepcopy(compose)
    swapped["services"]["catalog-api"]["secrets"] = [{"source": "catalog-worker-nkey", "target": "catalog-api.nk"}]
    assert compose_nats_auth_problems(swapped, conf, ignore)
    manifests = load_manifests()
    for file, change in (("funding.yaml", "worker"), ("nats.yaml", "auth")):
        broken = copy.deepcopy(manifests)
        for doc in broken[file]:
            for volume in (doc.get("spec", {}).get("template", {}).get("spec", {}).get("volumes") or []):
                secret = volume.get("secret", {})
                if secret.get("secretName") in ("sihua-nats-funding-worker", "sihua-nats-auth"):
                    secret["secretName"] = "sihua-nats-registry-worker" if change == "worker" else "other"
        assert k8s_nats_auth_problems(broken), file
    assert seed_findings("SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU", "x")


def test_kubernetes_manifests_parse_and_name_themselves() -> None:
    assert manifest_problems(load_manifests()) == []


def test_kubernetes_manifests_have_the_scale_out_shape() -> None:
    assert scale_out_problems(load_manifests()) == []


def test_compose_runs_nats_as_a_three_node_cluster_with_three_replicas() -> None:
    assert compose_cluster_problems(load_compose(), NATS_CONF.read_text(encoding="utf-8")) == []


def test_kubernetes_manifests_are_valid_against_the_kubernetes_schemas() -> None:
    manifests = load_manifests()
    assert k8s_schema_problems(manifests) == []
    checked = [d for docs in manifests.values() for d in docs
               if isinstance(d, dict) and (d.get("apiVersion"), d.get("kind")) not in CUSTOM_KINDS]
    assert {d["kind"] for d in checked} >= {"Deployment", "StatefulSet", "Service", "ConfigMap", "Job", "Ingress"}


def test_cluster_and_schema_checks_catch_faults() -> None:
    conf = NATS_CONF.read_text(encoding="utf-8")
    compose = load_compose()
    one_node = copy.deepcopy(compose)
    del one_node["services"]["nats-3"]
    assert compose_cluster_problems(one_node, conf)
    shared_volume = copy.deepcopy(compose)
    shared_volume["services"]["nats-2"]["volumes"] = ["nats-data:/data"]
    assert compose_cluster_problems(shared_volume, conf)
    one_url = copy.deepcopy(compose)
    one_url["services"]["catalog-worker"]["environment"] = {
        **_environment(one_url["services"]["catalog-worker"]), "SIHUA_NATS_URL": "nats://nats:4222"}
    assert compose_cluster_problems(one_url, conf)
    one_replica = copy.deepcopy(compose)
    one_replica["services"]["registry-worker"]["environment"] = {
        **_environment(one_replica["services"]["registry-worker"]), "SIHUA_NATS_STREAM_REPLICAS": "1"}
    assert compose_cluster_problems(one_replica, conf)
    assert compose_cluster_problems(compose, conf.replace("nats://nats-3:6222", ""))
    manifests = load_manifests()
    typo = copy.deepcopy(manifests)
    next(d for d in typo["nats.yaml"] if d["kind"] == "StatefulSet")["spec"]["replica"] = 3
    assert k8s_schema_problems(typo)
    wrong_type = copy.deepcopy(manifests)
    next(d for d in wrong_type["registry.yaml"] if d["kind"] == "Deployment")["spec"]["replicas"] = "two"
    assert k8s_schema_problems(wrong_type)
    unknown = copy.deepcopy(manifests)
    unknown["config.yaml"].append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert k8s_schema_problems(unknown)


def test_image_does_not_run_as_root() -> None:
    assert dockerfile_problems(DOCKERFILE.read_text(encoding="utf-8")) == []


# Every check above, given a broken copy of the real file, must report it.


def _broken_compose(change: str) -> dict[str, Any]:
    compose = copy.deepcopy(load_compose())
    services = compose["services"]
    if change == "unknown key":
        services["catalog-api"]["restart_policy"] = "always"
    elif change == "wrong command":
        services["funding-worker"]["command"] = ["python", "-m", "funding.relay"]
    elif change == "missing migrate":
        del services["evaluation-migrate"]
    elif change == "started, not completed":
        services["diagnosis-api"]["depends_on"]["diagnosis-migrate"]["condition"] = "service_started"
    elif change == "list depends_on":
        services["registry-worker"]["depends_on"] = ["registry-migrate"]
    return compose


@pytest.mark.parametrize(
    ("check", "broken"),
    [
        ("schema", "unknown key"),
        ("processes", "wrong command"),
        ("processes", "missing migrate"),
        ("start order", "started, not completed"),
        ("start order", "list depends_on"),
        ("start order", "missing migrate"),
    ],
)
def test_compose_checks_catch_faults(check: str, broken: str) -> None:
    compose = _broken_compose(broken)
    if check == "schema":
        problems = schema_errors(compose, json.loads(SCHEMA.read_text(encoding="utf-8")))
    elif check == "processes":
        problems = process_problems(compose)
    else:
        problems = start_order_problems(compose)
    assert problems, f"{check} check missed: {broken}"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("registry|diagnosis|catalog|funding|evaluation)/ {", "registry|diagnosis|catalog|funding)/ {"),
        ("proxy_pass http://$svc-api:8000;", "proxy_pass http://$svc-api:8000/;"),
        ("proxy_pass http://$svc-api:8000;", "proxy_pass http://registry-api:8000;"),
        ("proxy_pass http://$svc-api:8000/$doc;", "proxy_pass http://$svc-api:8000;"),
        ("client_max_body_size 25m;", "client_max_body_size 1m;"),
    ],
)
def test_gateway_check_catches_faults(old: str, new: str) -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert old in text, f"the fault to inject is no longer in nginx.conf: {old}"
    assert gateway_problems(text.replace(old, new, 1))


@pytest.mark.parametrize(
    "document",
    [
        {"services": {"postgres": {"environment": {"POSTGRES_PASSWORD": "hunter2"}}}},
        {"services": {"postgres": {"environment": {"POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:-hunter2}"}}}},
        {"services": {"api": {"environment": ["SIHUA_X_DATABASE_URL=postgresql://sihua:hunter2@postgres:5432/x"]}}},
        {"kind": "Deployment", "spec": {"env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}},
        {"kind": "Deployment", "spec": {"env": [{"name": "URL", "value": "postgresql://sihua:hunter2@pg-rw/x"}]}},
        {"kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": "hunter2"}},
        {"kind": "Secret", "metadata": {"name": "db"}, "data": {"token": "aHVudGVyMg=="}},
    ],
)
def test_password_check_catches_faults(document: dict[str, Any]) -> None:
    assert password_findings(document, "broken")


def test_password_checks_of_env_compose_and_dockerfile_catch_faults() -> None:
    assert env_example_findings("POSTGRES_PASSWORD=hunter2\n")
    assert env_example_findings("# nothing\n")
    compose_text = COMPOSE.read_text(encoding="utf-8")
    assert compose_password_findings(compose_text.replace("${POSTGRES_PASSWORD:?", "${POSTGRES_PASSWORD:-", 1))
    assert dockerfile_password_findings("FROM python:3.12-slim\nENV POSTGRES_PASSWORD=hunter2\n")


def test_manifest_checks_catch_faults() -> None:
    manifests = load_manifests()
    nameless = copy.deepcopy(manifests)
    del nameless["config.yaml"][0]["metadata"]["name"]
    assert manifest_problems(nameless)
    kindless = copy.deepcopy(manifests)
    del kindless["nats.yaml"][0]["kind"]
    assert manifest_problems(kindless)
    assert manifest_problems({"broken.yaml": ["just a string"]})
    one_worker = copy.deepcopy(manifests)
    next(d for d in one_worker["catalog.yaml"] if d["metadata"]["name"] == "catalog-worker")["spec"]["replicas"] = 1
    assert scale_out_problems(one_worker)
    single_nats = copy.deepcopy(manifests)
    next(d for d in single_nats["nats.yaml"] if d["kind"] == "StatefulSet")["spec"]["replicas"] = 1
    assert scale_out_problems(single_nats)
    with pytest.raises(yaml.YAMLError):
        list(yaml.safe_load_all("kind: Job\nmetadata: {name: [unclosed\n"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("USER sihua:sihua", ""),
        ("USER sihua:sihua", "USER root"),
        ("USER sihua:sihua", "USER 0:0"),
        ("FROM python:3.12-slim", "FROM python:3.13"),
        ("pip install ./shared", "pip install -e ./shared"),
    ],
)
def test_dockerfile_check_catches_faults(old: str, new: str) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert old in text, f"the fault to inject is no longer in the Dockerfile: {old}"
    assert dockerfile_problems(text.replace(old, new))
