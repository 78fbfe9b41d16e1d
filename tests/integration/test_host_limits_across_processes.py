"""``per_host_limit`` across processes: two ``airnub run`` processes against one Prefect server (PostgreSQL) fetch
from one loopback host, which records the peak number of requests in flight at once.

Each process's first file is a *gate*: the host holds it until the other process's gate has arrived too, so the
two processes' downloads overlap however late either starts (a busy machine starts them seconds apart), then
until more than the limit are in flight or :data:`RELEASE_S` has passed. The other files are held
:data:`HOLD_S`. Two pairs run at once: the pair with ``AIRNUB_HOST_LIMITS=prefect`` against 127.0.0.1 (after
``airnub limits setup`` created its limit), the pair without it against 127.0.0.2 (another loopback address,
another host name): the first stays at the limit, the second, with the same configs, goes over it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.support.prefect_topology import REPO_ROOT, Topology, api_client, prefect_server

LIMIT = 2
FILES_PER_PROCESS = 4  # the gate and three more, one batch each: every process asks for 2 slots at once
GATE_TIMEOUT_S = 120.0
RELEASE_S = 1.0
HOLD_S = 0.2
RUN_TIMEOUT_S = 240


class _PeakHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _PeakServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - no access log on stderr
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        body = self.server.hold(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _PeakServer(ThreadingHTTPServer):
    """Serves ``/<process>/<name>.csv``; counts requests in flight (from arrival to the start of the answer)."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _PeakHandler)
        self.changed = threading.Condition()
        self.in_flight = 0
        self.peak = 0
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)
        self.gates: set[str] = set()
        self.gates_met = False

    def url(self, path: str) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}{path}"

    def hold(self, path: str) -> bytes:
        process = path.split("/")[1] if path.endswith(".csv") else ""
        with self.changed:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if process:
                self.arrivals[process].append(time.monotonic())
            if path.endswith("/gate.csv"):
                self.gates.add(process)
            self.changed.notify_all()
        try:
            if not process:  # robots.txt: none
                return b""
            if path.endswith("/gate.csv"):
                self._gate()
            else:
                time.sleep(HOLD_S)
            return f"value\n{path}\n".encode()
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()

    def _gate(self) -> None:
        with self.changed:
            if self.changed.wait_for(lambda: len(self.gates) == 2, timeout=GATE_TIMEOUT_S):
                self.gates_met = True
                self.changed.wait_for(lambda: self.in_flight > LIMIT, timeout=RELEASE_S)


@pytest.fixture
def topology(tmp_path: Path, postgres_server_url: str) -> Iterator[Topology]:
    """A Prefect server on a fresh PostgreSQL database; a client waiting for a slot retries at least every second
    (the server's Retry-After is capped at 30 s by default)."""
    server_env = {
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    }
    with prefect_server(tmp_path, postgres_server_url, server_env=server_env) as started:
        yield started


@pytest.fixture
def servers() -> Iterator[dict[str, _PeakServer]]:
    started = {host: _PeakServer(host) for host in ("127.0.0.1", "127.0.0.2")}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in started.values()]
    for thread in threads:
        thread.start()
    yield started
    for server in started.values():
        server.shutdown()
        server.server_close()


def _config(server: _PeakServer, process: str) -> dict[str, object]:
    names = ["gate", *(str(n) for n in range(1, FILES_PER_PROCESS))]
    files = [{"name": f"{process}-{name}", "url": server.url(f"/{process}/{name}.csv")} for name in names]
    return {
        "http": {
            "allow_private_networks": True,
            "retries": 0,
            "per_host_limit": LIMIT,
            "read_timeout_s": GATE_TIMEOUT_S + 30,  # a gate may be held that long
            "total_deadline_s": GATE_TIMEOUT_S + 60,
        },
        "task_runner": {"kind": "threads", "max_concurrency": 4},
        "batch_size": 1,
        "scheduled_file_downloads": {
            "data_source_name": f"host_limits_{process}",
            "local_artifacts_storage_base": "downloads",
            "files_to_acquire": files,
        },
    }


def _configs_with(config_dir: Path, ingestion: dict[str, object]) -> Path:
    """A copy of the project's configs/ whose only stage config is ``ingestion`` (what `limits setup` reads)."""
    shutil.copytree(REPO_ROOT / "configs", config_dir)
    department = config_dir / "variables" / "dept_project_alpha"
    for stage in department.glob("*.yaml"):
        stage.unlink()
    (department / "ingestion_config_dept_project_alpha.yaml").write_text(yaml.safe_dump(ingestion))
    return config_dir


def _airnub(topology: Topology, *args: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "airnub"), *args],
        cwd=topology.workdir,
        env={**topology.env, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _run(topology: Topology, tmp_path: Path, server: _PeakServer, process: str, limits: str) -> subprocess.Popen[bytes]:
    """``airnub run`` of ``process``'s files on ``server``, with ``AIRNUB_HOST_LIMITS=limits``."""
    config = tmp_path / f"{limits}-{process}.yaml"
    config.write_text(yaml.safe_dump(_config(server, process)))
    command = ("--data-dir", str(tmp_path / f"data-{limits}-{process}"), "run", "project_alpha", "ingestion")
    options = ("--config", str(config), "--category", "scheduled_file_downloads")
    return _airnub(topology, *command, *options, AIRNUB_HOST_LIMITS=limits)


def _finished(child: subprocess.Popen[bytes]) -> str:
    output = child.communicate(timeout=RUN_TIMEOUT_S)[0].decode(errors="replace")
    assert child.returncode == 0, output
    return output


@pytest.mark.slow
@pytest.mark.postgres
def test_prefect_host_limits_hold_per_host_limit_across_processes_and_process_limits_do_not(
    topology: Topology, servers: dict[str, _PeakServer], tmp_path: Path
) -> None:
    shared, apart = servers["127.0.0.1"], servers["127.0.0.2"]
    config_dir = _configs_with(tmp_path / "configs", _config(shared, "a"))
    started = time.monotonic()
    setup = _finished(_airnub(topology, "limits", "setup", AIRNUB_CONFIG_DIR=str(config_dir)))
    topology.timings["limits setup"] = time.monotonic() - started
    assert f"created  airnub-host-127.0.0.1: {LIMIT} at once" in setup

    started = time.monotonic()
    runs = [
        _run(topology, tmp_path, server, p, limits)
        for server, limits in ((shared, "prefect"), (apart, "process"))
        for p in "ab"
    ]
    try:
        for run in runs:
            _finished(run)
    finally:  # only these children, on failure
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait(timeout=30)
    topology.timings["four runs"] = time.monotonic() - started
    for host, server in servers.items():
        every = [at for process in "ab" for at in server.arrivals[process]]
        topology.timings[f"{host}: first to last request"] = max(every) - min(every)
        topology.timings[f"{host}: gap between the processes' first requests"] = abs(
            min(server.arrivals["a"]) - min(server.arrivals["b"])
        )
        topology.timings[f"{host}: peak in flight"] = server.peak

    assert {len(server.arrivals[p]) for server in servers.values() for p in "ab"} == {FILES_PER_PROCESS}
    assert shared.gates_met and apart.gates_met  # each pair's downloads overlapped
    assert shared.peak <= LIMIT
    assert apart.peak > LIMIT
    with api_client(topology.api_url) as client:
        limit = client.read_global_concurrency_limit_by_name("airnub-host-127.0.0.1")
        assert (limit.limit, limit.active_slots) == (LIMIT, 0)
