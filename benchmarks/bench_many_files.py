"""`airnub run` over many small files from a loopback server, first run and unchanged re-run, next to one
`curl` process fetching the same URLs over one keep-alive connection.

Usage: ``python benchmarks/bench_many_files.py [--files 1000] [--size-kib 100] [--repeat 3]``

A real `prefect server start` (SQLite, temporary PREFECT_HOME) runs for the whole benchmark, so the numbers
are those of a flow against a running API, not of an ephemeral server's start-up. "Flow time" is the parent
flow run's start-to-end time as recorded by the Prefect API; "wall" is the whole `airnub run` process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from _support import free_port, run_child, static_server

VENV_BIN = Path(sys.executable).parent


def start_prefect_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
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
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={"sort": "START_TIME_DESC", "limit": 1, "flow_runs": {"parent_task_run_id": {"is_null_": True}}},
        timeout=10,
    ).json()
    return float(runs[0]["total_run_time"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size-kib", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of curl, first run and re-run (medians)")
    parser.add_argument("--batch-size", type=int, default=250, help="the stage config's batch_size")
    parser.add_argument(
        "--max-concurrency", type=int, default=4, help="task_runner.max_concurrency and http.per_host_limit"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-many-"))
    try:
        served = work / "served"
        served.mkdir()
        for i in range(args.files):
            (served / f"f{i:05d}.bin").write_bytes(os.urandom(args.size_kib * 1024))
        server, api = start_prefect_server(work / "prefect-home")
        rounds: dict[str, list[tuple[float, float, float]]] = {"first run": [], "unchanged re-run": []}
        curl_seconds: list[float] = []
        try:
            with static_server(served) as base:
                urls = [f"{base}/f{i:05d}.bin" for i in range(args.files)]
                curl_config = work / "curl.cfg"
                curl_out = work / "curl-out"
                curl_config.write_text("".join(f'url = "{u}"\noutput = "{curl_out}/{i}"\n' for i, u in enumerate(urls)))
                config = work / "ingestion.yaml"
                config.write_text(
                    yaml.safe_dump(
                        {
                            "http": {
                                "allow_private_networks": True,
                                "per_host_limit": args.max_concurrency,
                            },
                            "task_runner": {"kind": "threads", "max_concurrency": args.max_concurrency},
                            "batch_size": args.batch_size,
                            "scheduled_file_downloads": {
                                "data_source_name": "bench",
                                "local_artifacts_storage_base": "downloads",
                                "files_to_acquire": [{"name": f"f{i}", "url": u} for i, u in enumerate(urls)],
                            },
                        }
                    )
                )
                command = [str(VENV_BIN / "airnub"), "run", "project_alpha", "ingestion", "--config", str(config)]
                for attempt in range(args.repeat):
                    curl_out.mkdir()
                    curl_seconds.append(run_child(["curl", "-sS", "-K", str(curl_config)]).seconds)
                    shutil.rmtree(curl_out)
                    env = {
                        **os.environ,
                        "PREFECT_API_URL": api,
                        "PREFECT_HOME": str(work / "prefect-home"),
                        "AIRNUB_DATA_DIR": str(work / f"data{attempt}"),
                        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
                    }
                    for label, expected in (("first run", "stored"), ("unchanged re-run", "unchanged")):
                        run = run_child([*command, "--json"], env)
                        counts = json.loads(run.stdout)["counts"]
                        assert counts[expected] == args.files, (label, counts)
                        rounds[label].append((run.seconds, latest_flow_seconds(api), run.peak_rss_mb))
                    shutil.rmtree(work / f"data{attempt}")
        finally:
            server.terminate()
            server.wait(timeout=30)
        total_mb = args.files * args.size_kib * 1024 / 1e6
        curl_s = statistics.median(curl_seconds)
        print(
            f"{args.files} files x {args.size_kib} KiB ({total_mb:.0f} MB) from a loopback server, "
            f"batch_size {args.batch_size}, max_concurrency {args.max_concurrency}, medians of {args.repeat}"
        )
        print(f"curl (one process, keep-alive): {curl_s:6.2f} s wall")
        for label, measured in rounds.items():
            wall = statistics.median(m[0] for m in measured)
            flow = statistics.median(m[1] for m in measured)
            print(
                f"airnub run, {label:<16}: {wall:6.2f} s wall, {flow:6.2f} s flow time "
                f"(range {min(m[1] for m in measured):.2f}-{max(m[1] for m in measured):.2f}), "
                f"{flow / curl_s:4.2f}x curl, peak RSS {max(m[2] for m in measured):.0f} MB"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
