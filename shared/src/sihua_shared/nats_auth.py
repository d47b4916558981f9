"""Who may speak on the bus: NATS credentials and subject permissions, generated from the service specs.

Every process connects as its own NATS user: each service's api and its worker, and each agency. The
credentials are NKeys (Ed25519), chosen over passwords because the server's configuration then holds only
public keys — it is no secret and can be regenerated and shipped as plain configuration — and because the
seed never crosses the wire (the client signs the server's challenge), so a captured connection reveals
nothing to replay.

Permissions are allow-lists derived from each service's ``ServiceSpec``, so a new fact or a new consumer
gets its permissions with the spec:

- a worker publishes on ``sihua.<itself>.>`` and the JetStream API of its own stream (create, update, info);
  for every durable consumer it owns (``<consumer>_from_<producer>``) the consumer API subjects, in the
  NATS 2.9 and 2.10+ forms, and that consumer's ack subjects;
- an api reads the info of its service's durable consumers (readiness and lag metrics) and nothing else;
- an agency gets the consumer API and ack subjects of the durable consumers its credential names, and
  nothing under ``sihua.>``;
- everyone subscribes only to an inbox of its own (``_INBOX.<user>.>``): requests' replies and pull
  consumers' deliveries arrive there, and nobody can listen to another user's deliveries. Core-NATS
  subscriptions on ``sihua.>`` are never granted: facts are read through durable consumers only.

Operator commands (the credentials folder defaults to ``$SIHUA_NATS_CREDENTIALS_DIR``, else
``$SIHUA_DATA_DIR/nats``, else ``.data/services/nats``, where ``make run`` keeps them):

    python -m sihua_shared.nats_auth init [--dir DIR] [--file-mode 0600]
        seeds for every service's api and worker (kept when present) and the server's ``auth.conf``
    python -m sihua_shared.nats_auth add-agency NAME --consumer DURABLE:STREAM [...] [--dir DIR]
    python -m sihua_shared.nats_auth remove-agency NAME [--dir DIR]
    python -m sihua_shared.nats_auth config [--dir DIR]
        regenerate ``auth.conf`` (after an upgrade added facts or consumers), then reload the server
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nkeys

from .bus import durable_name, inbox_prefix, stream_name, stream_subjects, user_name
from .settings import SERVICES

if TYPE_CHECKING:
    from .service import ServiceSpec

ROLES: tuple[str, ...] = ("api", "worker")
AUTH_FILE = "auth.conf"
AGENCIES_FILE = "agencies.json"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")  # one subject token: no dots, no wildcards, no spaces


def agency_user(name: str) -> str:
    return f"agency-{name}"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def as_config(self) -> dict[str, dict[str, list[str]]]:
        # An empty allow-list would mean "everything" to the server: deny all instead.
        def allow(subjects: tuple[str, ...]) -> dict[str, list[str]]:
            return {"allow": list(subjects)} if subjects else {"deny": [">"]}

        return {"publish": allow(self.publish), "subscribe": allow(self.subscribe)}


def own_stream_subjects(stream: str) -> list[str]:
    """The JetStream API a producer's worker uses on its own stream."""
    return [f"$JS.API.STREAM.{verb}.{stream}" for verb in ("CREATE", "UPDATE", "INFO")]


def consumer_subjects(stream: str, durable: str) -> list[str]:
    """The JetStream API and ack subjects of one durable pull consumer, and nothing of any other."""
    return [
        f"$JS.API.STREAM.INFO.{stream}",  # wait for the producer's stream; never create or update it
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",  # 2.9+: create or update a named consumer
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",  # 2.10+: the same with its filter subject
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",  # the older durable form, still served
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",  # pull the next batch
        f"$JS.ACK.{stream}.{durable}.>",  # ack, nak, term, in progress
    ]


def _inbox(user: str) -> tuple[str, ...]:
    return (f"{inbox_prefix(user)}.>",)


def worker_permissions(spec: ServiceSpec, user: str, namespace: str = "") -> Permissions:
    own = stream_name(spec.name, namespace)
    publish = [stream_subjects(spec.name, namespace), *own_stream_subjects(own)]
    for sub in spec.subscriptions:
        publish += consumer_subjects(stream_name(sub.producer, namespace), sub.durable)
    return Permissions(tuple(dict.fromkeys(publish)), _inbox(user))


def api_permissions(spec: ServiceSpec, user: str, namespace: str = "") -> Permissions:
    publish = [
        f"$JS.API.CONSUMER.INFO.{stream_name(sub.producer, namespace)}.{sub.durable}" for sub in spec.subscriptions
    ]
    return Permissions(tuple(dict.fromkeys(publish)), _inbox(user))


@dataclass(frozen=True)
class AgencyConsumer:
    durable: str
    stream: str

    @classmethod
    def parse(cls, text: str) -> AgencyConsumer:
        durable, sep, stream = text.partition(":")
        if not sep or not _TOKEN.match(durable) or not _TOKEN.match(stream):
            raise ValueError(f"expected DURABLE:STREAM with plain names, got {text!r}")
        return cls(durable, stream)


def agency_permissions(user: str, consumers: Iterable[AgencyConsumer]) -> Permissions:
    publish = [s for c in consumers for s in consumer_subjects(c.stream, c.durable)]
    return Permissions(tuple(dict.fromkeys(publish)), _inbox(user))


def service_specs(names: Iterable[str] = SERVICES) -> list[ServiceSpec]:
    """The specs of the installed services (imported by name: the shared package depends on none)."""
    return [importlib.import_module(f"{name}.spec").SPEC for name in names]


def service_users(specs: Iterable[ServiceSpec], namespace: str = "") -> dict[str, Permissions]:
    users: dict[str, Permissions] = {}
    for spec in specs:
        api, worker = user_name(spec.name, "api", namespace), user_name(spec.name, "worker", namespace)
        users[api] = api_permissions(spec, api, namespace)
        users[worker] = worker_permissions(spec, worker, namespace)
    return users


# --- keys -------------------------------------------------------------------------------------------


def new_seed() -> bytes:
    return bytes(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))


def public_key(seed: bytes) -> str:
    return str(nkeys.from_seed(bytearray(seed)).public_key.decode())


def seed_path(folder: Path, user: str) -> Path:
    return folder / f"{user}.nk"


def write_seed(folder: Path, user: str, seed: bytes, *, mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = seed_path(folder, user)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(seed + b"\n")
    path.chmod(mode)
    return path


def load_or_create_seed(folder: Path, user: str, *, mode: int = 0o600) -> bytes:
    """The seed kept in ``folder`` for ``user``, created (random, mode 0600) the first time."""
    path = seed_path(folder, user)
    if path.exists():
        return path.read_bytes().strip()
    seed = new_seed()
    write_seed(folder, user, seed, mode=mode)
    return seed


# --- server configuration ---------------------------------------------------------------------------


def authorization_block(users: Mapping[str, tuple[str, Permissions]]) -> str:
    """NATS server configuration: ``user name → (public key, permissions)``; the names become comments."""
    lines = ["# Generated by sihua_shared.nats_auth from the service specs; regenerate, do not edit.",
             "authorization {", "  users = ["]
    for name, (key, permissions) in sorted(users.items()):
        entry = {"nkey": key, "permissions": permissions.as_config()}
        lines += [f"    # {name}", f"    {json.dumps(entry)}"]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def read_agencies(folder: Path) -> dict[str, list[AgencyConsumer]]:
    path = folder / AGENCIES_FILE
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    return {name: [AgencyConsumer(**c) for c in consumers] for name, consumers in raw.items()}


def _write_agencies(folder: Path, agencies: Mapping[str, list[AgencyConsumer]]) -> None:
    raw = {n: [{"durable": c.durable, "stream": c.stream} for c in cs] for n, cs in sorted(agencies.items())}
    (folder / AGENCIES_FILE).write_text(json.dumps(raw, indent=2) + "\n")


def write_config(folder: Path, specs: Iterable[ServiceSpec] | None = None, *, mode: int = 0o600) -> Path:
    """Ensure every service's seeds exist and (re)write ``auth.conf`` for them and the agencies."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # it holds the seeds
    users: dict[str, tuple[str, Permissions]] = {}
    for name, permissions in service_users(service_specs() if specs is None else specs).items():
        users[name] = (public_key(load_or_create_seed(folder, name, mode=mode)), permissions)
    for agency, consumers in read_agencies(folder).items():
        name = agency_user(agency)
        users[name] = (public_key(load_or_create_seed(folder, name)), agency_permissions(name, consumers))
    path = folder / AUTH_FILE
    path.write_text(authorization_block(users))
    path.chmod(0o644)  # public keys and permissions only: the server's user may read it
    return path


def add_agency(folder: Path, name: str, consumers: list[AgencyConsumer]) -> Path:
    if not _TOKEN.match(name):
        raise ValueError(f"an agency name is one plain token (letters, digits, - and _), got {name!r}")
    if not consumers:
        raise ValueError("name at least one durable consumer: --consumer DURABLE:STREAM")
    known = {durable_name(s, p) for s in SERVICES for p in SERVICES}
    if taken := [c.durable for c in consumers if c.durable in known]:
        raise ValueError(f"{taken} belong to the services; give the agency consumers of its own")
    agencies = read_agencies(folder)
    others = {c.durable for n, cs in agencies.items() if n != name for c in cs}
    if taken := [c.durable for c in consumers if c.durable in others]:
        raise ValueError(f"{taken} already belong to another agency")
    agencies[name] = consumers
    folder.mkdir(parents=True, exist_ok=True)
    _write_agencies(folder, agencies)
    write_config(folder)
    return seed_path(folder, agency_user(name))


def remove_agency(folder: Path, name: str) -> None:
    agencies = read_agencies(folder)
    if agencies.pop(name, None) is None:
        raise ValueError(f"no agency {name!r} in {folder}")
    _write_agencies(folder, agencies)
    seed_path(folder, agency_user(name)).unlink(missing_ok=True)
    write_config(folder)


_RELOAD = (
    "Reload the NATS server to apply it: `nats-server --signal reload=<pid or pid file>` (make run: "
    "`.venv/bin/nats-server --signal reload=.data/nats/nats.pid`); "
    "compose: `docker compose kill -s HUP nats`; Kubernetes: update the sihua-nats-auth Secret and "
    "`kubectl -n sihua rollout restart statefulset/nats` (see deploy/README.md)."
)


def main(argv: list[str] | None = None) -> int:
    # where the services look (Settings.nats_credentials_dir), else make run's folder
    default_dir = Path(
        os.environ.get("SIHUA_NATS_CREDENTIALS_DIR")
        or Path(os.environ.get("SIHUA_DATA_DIR", ".data/services")) / "nats"
    )
    parser = argparse.ArgumentParser(prog="python -m sihua_shared.nats_auth", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="seeds for every service's api and worker, and auth.conf")
    init.add_argument("--file-mode", default="0600", help="mode of new seed files (0644 for compose file secrets)")
    add = sub.add_parser("add-agency", help="read-only credentials naming an agency's durable consumers")
    add.add_argument("name")
    add.add_argument("--consumer", action="append", required=True, metavar="DURABLE:STREAM", type=AgencyConsumer.parse)
    remove = sub.add_parser("remove-agency", help="withdraw an agency's credentials")
    remove.add_argument("name")
    sub.add_parser("config", help="regenerate auth.conf from the installed specs")
    for p in (init, add, remove, sub.choices["config"]):
        p.add_argument("--dir", type=Path, default=default_dir, help=f"credentials folder (default {default_dir})")
    args = parser.parse_args(argv)
    folder: Path = args.dir
    try:
        if args.command == "init":
            path = write_config(folder, mode=int(args.file_mode, 8))
            print(f"seeds for {', '.join(user_name(s, r) for s in SERVICES for r in ROLES)} in {folder}")
            print(f"server authorization: {path}")
        elif args.command == "add-agency":
            seed = add_agency(folder, args.name, args.consumer)
            names = ", ".join(f"{c.durable} on {c.stream}" for c in args.consumer)
            print(f"agency {args.name}: seed {seed} (give it to the agency over a safe channel); consumers {names}")
        elif args.command == "remove-agency":
            remove_agency(folder, args.name)
            print(f"agency {args.name} removed")
        else:
            print(f"server authorization: {write_config(folder)}")
    except ValueError as exc:
        parser.error(str(exc))
    print(_RELOAD)
    return 0


if __name__ == "__main__":
    sys.exit(main())
