"""``per_host_limit`` across processes: two ``airnub run`` processes against one Prefect server (PostgreSQL) fetch
from one loopback host, which records the peak number of requests in flight at once.

Each host's server holds every file request until a request of the other process has arrived (at most
:data:`WAIT_FOR_OTHER_S`), then :data:`HOLD_S` more: the two processes' downloads overlap however late either
starts. Two pairs run at once: the pair with ``AIRNUB_HOST_LIMITS=prefect`` against 127.0.0.1 (after
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

from tests.support.prefect_topology import REPO_ROOT, Topology, api_client

LIMIT = 2
FILES_PER_PROCESS = 8
WAIT_FOR_OTHER_S = 1.5
HOLD_S = 0.25
RUN_TIMEOUT_S = 120


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
    """Serves ``/<process>/<n>.csv``; counts requests in flight (from arrival to the start of the answer)."""

    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _PeakHandler)
        self.changed = threading.Condition()
        self.in_flight = 0
        self.peak = 0
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)

    def url(self, path: str) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}{path}"

    def hold(self, path: str) -> bytes:
        process = path.split("/")[1] if path.endswith(".csv") else ""
        with self.changed:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if process:
                self.arrivals[process].append(time.monotonic())
            self.changed.notify_all()
        try:
            if not process:  # robots.txt: none
                return b""
            with self.changed:
                self.changed.wait_for(lambda: len(self.arrivals) == 2, timeout=WAIT_FOR_OTHER_S)
            time.sleep(HOLD_S)
            return f"value\n{path}\n".encode()
        finally:
            with self.changed:
                self.in_flight -= 1


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
    files = [{"name": f"{process}{n}", "url": server.url(f"/{process}/{n}.csv")} for n in range(FILES_PER_PROCESS)]
    return {
        "http": {"allow_private_networks": True, "retries": 0, "per_host_limit": LIMIT, "total_deadline_s": 60},
        "task_runner": {"kind": "threads", "max_concurrency": 4},
        "batch_size": 2,
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

    runs = []
    for server, limits in ((shared, "prefect"), (apart, "process")):
        for process in ("a", "b"):
            config = tmp_path / f"{limits}-{process}.yaml"
            config.write_text(yaml.safe_dump(_config(server, process)))
            command = ("--data-dir", str(tmp_path / f"data-{limits}-{process}"), "run", "project_alpha", "ingestion")
            options = ("--config", str(config), "--category", "scheduled_file_downloads")
            runs.append(_airnub(topology, *command, *options, AIRNUB_HOST_LIMITS=limits))
    started = time.monotonic()
    for run in runs:
        _finished(run)
    topology.timings["four runs"] = time.monotonic() - started
    topology.timings.update({f"peak {host}": server.peak for host, server in servers.items()})

    assert {len(server.arrivals[p]) for server in servers.values() for p in "ab"} == {FILES_PER_PROCESS}
    # both pairs overlapped: each process's first request came before the other's last
    for server in servers.values():
        assert max(min(server.arrivals[p]) for p in "ab") < min(max(server.arrivals[p]) for p in "ab")
    assert shared.peak <= LIMIT
    assert apart.peak > LIMIT
    with api_client(topology.api_url) as client:
        limit = client.read_global_concurrency_limit_by_name("airnub-host-127.0.0.1")
        assert (limit.limit, limit.active_slots) == (LIMIT, 0)
