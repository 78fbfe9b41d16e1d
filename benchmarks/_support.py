"""Shared helpers for the benchmark scripts: free ports, a static server process, timing of child processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def static_server(directory: Path, delay_ms: float = 0.0) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 from a separate process (each response ``delay_ms`` late); yield its
    base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "static_server.py"), str(directory), str(port), str(delay_ms)]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_prefect_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real ``prefect server start`` (SQLite under ``home``) on a free port; returns the process and its API URL
    once it answers."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen(
        [str(VENV_BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}/api"
    for _ in range(120):
        try:
            if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                return server, api
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("prefect server did not become healthy in 60 s")


def latest_flow_seconds(api: str) -> float:
    """The run time of the parent flow run that started last, as the Prefect API recorded it."""
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={"sort": "START_TIME_DESC", "limit": 1, "flow_runs": {"parent_task_run_id": {"is_null_": True}}},
        timeout=10,
    ).json()
    return float(runs[0]["total_run_time"])


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    #: CPU time of the child itself (user + system): steadier than wall time on a shared machine.
    cpu_seconds: float = 0.0


def run_child(command: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run ``command`` to completion: its wall time, its own CPU time and peak RSS (``wait4`` rusage, Linux KiB)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code:
            sys.stderr.write(err.read()[-3000:])
        return ChildRun(seconds, usage.ru_maxrss / 1024, code, out.read(), usage.ru_utime + usage.ru_stime)
