"""Ingestion throughput with one process worker vs two, on the production topology of docs/deployment.md.

Usage: ``python benchmarks/bench_workers.py [--files 200] [--size-kib 100] [--runs 2]
[--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]``

A Prefect server on a fresh PostgreSQL database, the ``project_alpha-ingestion`` deployment of prefect.yaml on the
``airnub-process`` pool, a static file server process on 127.0.0.1 with ``--files`` distinct files. Each round
starts its workers, submits ``--runs`` ingestion runs at once (the files split evenly between them, each run
its own data source) into a fresh data dir and a fresh PostgreSQL index, and times them from submission until
every run has completed. Rounds: 1 and 2 workers with ``--limit 1`` (a worker runs one flow run at a time, like
one small machine each), then 1 and 2 workers without a limit (each run a subprocess of its worker).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import static_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support: the topology of the integration test

from prefect.deployments import run_deployment  # noqa: E402

from tests.support.prefect_topology import Topology, api_client, fresh_database, prefect_server, wait_for  # noqa: E402

DEPLOYMENT = "Ingestion (Project Alpha)/project_alpha-ingestion"
POOL = "airnub-process"


def _config(base_url: str, names: list[str], source: str) -> dict[str, Any]:
    return {
        "http": {"allow_private_networks": True, "retries": 1, "retry_delay_s": 0.2},
        "scheduled_file_downloads": {
            "data_source_name": source,
            "local_artifacts_storage_base": "downloads",
            "files_to_acquire": [{"name": name, "url": f"{base_url}/{name}"} for name in names],
        },
    }


def _round(
    topology: Topology,
    postgres_url: str,
    base_url: str,
    names: list[str],
    runs: int,
    workers: int,
    limit: int | None,
    workdir: Path,
) -> tuple[float, float]:
    """Seconds from submitting ``runs`` ingestion runs to all of them Completed, on ``workers`` fresh workers, and
    the mean run time the API recorded (flow start to end, without the worker's process start-up)."""
    label = f"{workers}w-{limit or 'nolimit'}"
    with fresh_database(postgres_url) as index_db:
        env = {
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "AIRNUB_DATA_DIR": str(workdir / label / "data"),
            "AIRNUB_INDEX_URL": index_db.render_as_string(hide_password=False),
        }
        limit_args = ["--limit", str(limit)] if limit else []
        for number in range(workers):
            topology.start(
                f"{label}-worker-{number}", ["prefect", "worker", "start", "--pool", POOL, *limit_args], env=env
            )
        time.sleep(8)  # let the workers start polling: the timing below covers the runs, not worker start-up
        share = -(-len(names) // runs)
        with api_client(topology.api_url) as client:
            started = time.monotonic()
            flow_runs = [
                run_deployment(
                    DEPLOYMENT,
                    parameters={"config": _config(base_url, names[i * share : (i + 1) * share], f"bench_{i}")},
                    timeout=0,
                )
                for i in range(runs)
            ]

            def all_done() -> bool | None:
                states = [client.read_flow_run(run.id).state for run in flow_runs]
                if any(s is not None and s.is_final() and not s.is_completed() for s in states):
                    raise SystemExit(f"{label}: a run ended {[s.type.value for s in states if s]}\n{topology.logs()}")
                return True if all(s is not None and s.is_completed() for s in states) else None

            wait_for(all_done, timeout=600, what=f"{label} runs", diagnostics=topology.logs)
            seconds = time.monotonic() - started
            finished = [client.read_flow_run(run.id) for run in flow_runs]
            run_seconds = [
                r.end_time.timestamp() - r.start_time.timestamp() for r in finished if r.start_time and r.end_time
            ]
        for number in reversed(range(workers)):
            topology.stop(f"{label}-worker-{number}")
    return seconds, sum(run_seconds) / len(run_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-kib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("AIRNUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="airnub-bench-workers-") as tmp:
        workdir = Path(tmp)
        served = workdir / "served"
        served.mkdir()
        names = [f"f{i:04d}.bin" for i in range(args.files)]
        for name in names:
            (served / name).write_bytes(os.urandom(args.size_kib * 1024))
        total_mib = args.files * args.size_kib / 1024
        with (
            static_server(served) as base_url,
            prefect_server(workdir, args.postgres_url, server_env={"PREFECT_UI_ENABLED": "false"}) as topology,
        ):
            topology.run(["prefect", "work-pool", "create", POOL, "--type", "process"])
            topology.run(["prefect", "--no-prompt", "deploy", "--name", "project_alpha-ingestion"])
            print(f"{args.files} files x {args.size_kib} KiB ({total_mib:.1f} MiB) in {args.runs} ingestion runs")
            for limit in (1, None):
                for workers in (1, 2):
                    seconds, per_run = _round(
                        topology, args.postgres_url, base_url, names, args.runs, workers, limit, workdir
                    )
                    print(
                        f"  {workers} worker(s), {'one run at a time each' if limit else 'no run limit':<22}"
                        f" {seconds:6.1f} s  {args.files / seconds:6.1f} files/s  {total_mib / seconds:5.2f} MiB/s"
                        f"  (mean flow run {per_run:.1f} s)"
                    )


if __name__ == "__main__":
    main()
