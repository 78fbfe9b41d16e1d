"""What per-host limits held across processes cost: API round trips per request, and an ingestion run with them.

Usage: ``python benchmarks/bench_host_limits.py [--calls 100] [--files 200]
[--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]``

A Prefect server on a fresh PostgreSQL database. First, ``--calls`` slots taken and freed one after another
through each way (wall and client CPU per slot, inside a task run's client context): this process's semaphore,
``AIRNUB_HOST_LIMITS=prefect``'s slot (the lease endpoints), Prefect's ``concurrency()`` context manager (for
comparison), and a rate-limit turn. Then ``airnub run`` ingesting ``--files`` files of 1 KiB from a static server
on 127.0.0.1, with each setting.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from _support import VENV_BIN, run_child, static_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support: the topology of the integration test

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate  # noqa: E402
from prefect.concurrency.sync import concurrency  # noqa: E402
from prefect.context import SyncClientContext  # noqa: E402
from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: E402

from airnub_prefect_starter.core.http.limits import ProcessHostLimits  # noqa: E402
from airnub_prefect_starter.core.http.policy import HttpPolicy  # noqa: E402
from airnub_prefect_starter.tasks.host_limits import PrefectHostLimits  # noqa: E402
from tests.support.prefect_topology import prefect_server  # noqa: E402

URL = "http://bench.example.org/f"


def _per_call(calls: int, one: Callable[[], None]) -> tuple[float, float]:
    """Milliseconds of wall time and of this process's CPU per call of ``one``, after one warm-up call."""
    one()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        one()
    return 1000 * (time.perf_counter() - wall) / calls, 1000 * (time.process_time() - cpu) / calls


def _slot(limits: ProcessHostLimits | PrefectHostLimits) -> Callable[[], None]:
    def one() -> None:
        with limits.slot(URL):
            pass

    return one


def _prefect_concurrency() -> None:
    with concurrency("airnub-host-bench.example.org", strict=True):
        pass


def _calls(api_url: str, calls: int) -> None:
    policy = HttpPolicy(per_host_limit=4, per_host_rate=1000.0)
    # the client of a task run's context, which the limits use inside a batch task
    with temporary_settings(updates={PREFECT_API_URL: api_url}), SyncClientContext.get_or_create():
        with get_client(sync_client=True) as client:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name="airnub-host-bench.example.org", limit=4)
            )
        prefect = PrefectHostLimits(policy)
        rows = [
            ("process semaphore (default)", _slot(ProcessHostLimits(policy))),
            ("AIRNUB_HOST_LIMITS=prefect: slot", _slot(prefect)),
            ("AIRNUB_HOST_LIMITS=prefect: rate turn", lambda: prefect.pace(URL, 0.0, None) and None),
            ("prefect.concurrency.sync.concurrency()", _prefect_concurrency),
        ]
        print(f"{calls} calls each, one after another:")
        for label, one in rows:
            wall, cpu = _per_call(calls, one)
            print(f"  {label:<40} {wall:7.2f} ms wall  {cpu:6.2f} ms client CPU")


def _runs(api_env: dict[str, str], files: int, workdir: Path) -> None:
    served = workdir / "served"
    served.mkdir()
    names = [f"f{i:04d}.bin" for i in range(files)]
    for name in names:
        (served / name).write_bytes(os.urandom(1024))
    with static_server(served) as base_url:
        print(f"`airnub run` ingesting {files} files of 1 KiB (per_host_limit 4, 4 batches in flight):")
        for setting in ("process", "prefect"):
            config = workdir / f"{setting}.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "http": {"allow_private_networks": True, "per_host_limit": 4},
                        "task_runner": {"kind": "threads", "max_concurrency": 4},
                        "scheduled_file_downloads": {
                            "data_source_name": f"bench_{setting}",
                            "local_artifacts_storage_base": "downloads",
                            "files_to_acquire": [{"name": n, "url": f"{base_url}/{n}"} for n in names],
                        },
                    }
                )
            )
            env = {**api_env, "AIRNUB_HOST_LIMITS": setting, "AIRNUB_DATA_DIR": str(workdir / f"data-{setting}")}
            command = [str(VENV_BIN / "airnub"), "run", "project_alpha", "ingestion", "--config", str(config)]
            child = run_child([*command, "--category", "scheduled_file_downloads"], env=env)
            if child.returncode:
                raise SystemExit(f"airnub run exited {child.returncode}")
            print(f"  AIRNUB_HOST_LIMITS={setting:<8} {child.seconds:6.1f} s wall  {child.cpu_seconds:6.1f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("AIRNUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="airnub-bench-host-limits-") as tmp:
        workdir = Path(tmp)
        with prefect_server(workdir, args.postgres_url, server_env={"PREFECT_UI_ENABLED": "false"}) as topology:
            _calls(topology.api_url, args.calls)
            _runs(topology.env, args.files, workdir)


if __name__ == "__main__":
    main()
