"""`airnub run` with a new user's defaults over many small files from a loopback server, next to curl in the same
run: the first run and the unchanged re-run, each as a *marginal* time (N files minus 1 file, so interpreter
start, imports and flow-run creation cancel out).

Usage: ``python benchmarks/bench_many_files.py [--files 1000] [--size-kib 100] [--repeat 3] [--origin-delay-ms 0]``

The config sets only the files and ``allow_private_networks``: batch size, concurrency and the per-host limit are
the defaults a user gets (``--batch-size`` etc. override them, to compare). The baseline is one curl process:
sequential over one keep-alive connection for a plain loopback server, and ``curl --parallel --parallel-max P``
(P = airnub's default downloads in flight against one host) with ``--origin-delay-ms``, a server that waits that
long before each response, as a server far away does.

Every run writes into a new folder and nothing is deleted before the end: ext4 checks recently freed inodes when it
allocates new ones, so removing a round's few thousand files just before the next round would bill that check
(about 14 % of the next run's CPU here) to the next run instead of to the benchmark's cleanup.

A real `prefect server start` (SQLite, temporary PREFECT_HOME) runs for the whole benchmark. "Flow" is the parent
flow run's time as recorded by the Prefect API; "wall" is the whole `airnub run` process; "CPU" is that process's
own CPU time (user + system; the Prefect server's is not in it), which a busy shared machine disturbs far less than
wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import yaml
from _support import VENV_BIN, ChildRun, latest_flow_seconds, run_child, start_prefect_server, static_server

from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.ingestion.contract import INGESTION


def write_config(path: Path, urls: list[str], args: argparse.Namespace | None = None) -> Path:
    """The stage config a user writes: the files and allow_private_networks (plus the overrides ``args`` ask for)."""
    http: dict[str, Any] = {"allow_private_networks": True}
    config: dict[str, Any] = {"http": http}
    if args is not None and args.per_host_limit:
        http["per_host_limit"] = args.per_host_limit
    if args is not None and args.max_concurrency:
        config["task_runner"] = {"kind": "threads", "max_concurrency": args.max_concurrency}
    if args is not None and args.batch_size:
        config["batch_size"] = args.batch_size
    config["scheduled_file_downloads"] = {
        "data_source_name": "bench",
        "local_artifacts_storage_base": "downloads",
        "files_to_acquire": [{"name": f"f{i}", "url": u} for i, u in enumerate(urls)],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def parallelism(args: argparse.Namespace) -> int:
    """Downloads airnub keeps in flight against one host: the per-host limit, bounded by the stage concurrency."""
    per_host = args.per_host_limit or HttpPolicy().per_host_limit
    return min(per_host, args.max_concurrency or INGESTION.default_concurrency)


def run_curl(out: Path, urls: list[str], parallel: int | None) -> ChildRun:
    """curl fetching ``urls`` into the new folder ``out``."""
    out.mkdir()
    config = out / "curl.cfg"
    config.write_text("".join(f'url = "{u}"\noutput = "{out}/{i}"\n' for i, u in enumerate(urls)))
    command = ["curl", "-sS", "-K", str(config)]
    if parallel:
        command[1:1] = ["--parallel", "--parallel-max", str(parallel)]
    return run_child(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size-kib", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians are reported)")
    parser.add_argument("--origin-delay-ms", type=float, default=0.0, help="server wait before each response")
    parser.add_argument("--batch-size", type=int, help="set batch_size (default: not set, the user's default)")
    parser.add_argument("--max-concurrency", type=int, help="set task_runner.max_concurrency (default: not set)")
    parser.add_argument("--per-host-limit", type=int, help="set http.per_host_limit (default: not set)")
    args = parser.parse_args()
    parallel = parallelism(args) if args.origin_delay_ms else None
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-many-"))
    measured: dict[str, list[float]] = {}

    def record(label: str, value: float) -> None:
        measured.setdefault(label, []).append(value)

    try:
        served = work / "served"
        served.mkdir()
        for i in range(args.files):
            (served / f"f{i:05d}.bin").write_bytes(os.urandom(args.size_kib * 1024))
        server, api = start_prefect_server(work / "prefect-home")
        try:
            with static_server(served, args.origin_delay_ms) as base:
                urls = [f"{base}/f{i:05d}.bin" for i in range(args.files)]
                configs = {n: write_config(work / f"ingestion-{n}.yaml", urls[:n], args) for n in (1, args.files)}
                for attempt in range(args.repeat):
                    for n in (1, args.files):
                        curl = run_curl(work / f"curl-{n}-{attempt}", urls[:n], parallel)
                        record(f"curl {n}", curl.seconds)
                        record(f"curl cpu {n}", curl.cpu_seconds)
                        env = {
                            **os.environ,
                            "PREFECT_API_URL": api,
                            "PREFECT_HOME": str(work / "prefect-home"),
                            "AIRNUB_DATA_DIR": str(work / f"data-{n}-{attempt}"),
                            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
                        }
                        command = [str(VENV_BIN / "airnub"), "run", "project_alpha", "ingestion", "--json"]
                        for label, expected in (("first", "stored"), ("rerun", "unchanged")):
                            run = run_child([*command, "--config", str(configs[n])], env)
                            counts = json.loads(run.stdout)["counts"]
                            assert counts[expected] == n, (label, n, counts)
                            record(f"{label} wall {n}", run.seconds)
                            record(f"{label} cpu {n}", run.cpu_seconds)
                            record(f"{label} flow {n}", latest_flow_seconds(api))
                            record("peak rss", run.peak_rss_mb)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args, parallel, measured)


def report(args: argparse.Namespace, parallel: int | None, measured: dict[str, list[float]]) -> None:
    def median(label: str) -> float:
        return statistics.median(measured[label])

    def marginal(label: str) -> float:
        return median(f"{label} {args.files}") - median(f"{label} 1")

    n, total_mb = args.files, args.files * args.size_kib * 1024 / 1e6
    overrides = {k: v for k, v in vars(args).items() if k in ("batch_size", "max_concurrency", "per_host_limit") and v}
    origin = f"each response {args.origin_delay_ms:g} ms late" if args.origin_delay_ms else "no delay"
    print(f"{n} files x {args.size_kib} KiB ({total_mb:.0f} MB), loopback server ({origin}); medians of {args.repeat}")
    print(f"airnub config: {'defaults' if not overrides else overrides}; marginal = {n} files minus 1 file")
    baseline = f"curl --parallel --parallel-max {parallel}" if parallel else "curl, one process, keep-alive"
    curl = marginal("curl")
    print(
        f"{baseline:<38}: {curl:6.2f} s marginal, {marginal('curl cpu'):6.2f} s marginal CPU "
        f"({median(f'curl {n}'):.2f} s for {n}, {median('curl 1'):.2f} s for 1)"
    )
    for label, name in (("first", "airnub run, first run"), ("rerun", "airnub run, unchanged re-run")):
        wall, flow, cpu = marginal(f"{label} wall"), marginal(f"{label} flow"), marginal(f"{label} cpu")
        print(
            f"{name:<38}: {wall:6.2f} s marginal wall ({wall / curl:4.1f}x curl), {flow:6.2f} s marginal flow time, "
            f"{cpu:6.2f} s marginal CPU ({median(f'{label} wall {n}'):.2f} s wall for {n}, "
            f"{median(f'{label} wall 1'):.2f} s for 1)"
        )
    print(f"peak RSS of airnub run: {max(measured['peak rss']):.0f} MB")


if __name__ == "__main__":
    main()
