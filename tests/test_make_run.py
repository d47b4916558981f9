"""`make run` end to end: the runner starts everything on embedded servers, serves five /docs pages,
stops cleanly on Ctrl-C, and keeps its data across a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sihua_shared.embedded import free_port
from sihua_shared.settings import SERVICES


def _run_once(data_dir: Path, ports: dict[str, int]) -> str:
    env = {**os.environ, "SIHUA_DATA_DIR": str(data_dir)}
    for key in list(env):
        if key.endswith("_DATABASE_URL") or key == "SIHUA_NATS_URL":
            env.pop(key)
    env.update({f"SIHUA_{s.upper()}_PORT": str(p) for s, p in ports.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "sihua_shared.devrun"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300  # a loaded machine loads the demo slowly
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "press Ctrl-C to stop" in line:
                break
        output = "".join(lines)
        assert "press Ctrl-C to stop" in output, output
        for service in SERVICES:
            docs = httpx.get(f"http://127.0.0.1:{ports[service]}/docs", timeout=5)
            assert docs.status_code == 200 and "swagger-ui" in docs.text, service
            assert f"http://127.0.0.1:{ports[service]}/docs" in output
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, rest
        assert "[sihua] stopped" in rest
        return output + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_make_run_starts_everything_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {s: free_port() for s in SERVICES}
    first = _run_once(tmp_path / "data", ports)
    assert "demo data loaded: 3 organisations" in first
    second = _run_once(tmp_path / "data", ports)
    assert "demo data already loaded (3 organisations)" in second
