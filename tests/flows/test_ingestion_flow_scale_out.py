"""Scale-out: the ingestion stage on Dask stores exactly what the bounded thread runner stores."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed
import pytest

from airnub_prefect_starter.core.store.cas import ContentAddressedStore
from airnub_prefect_starter.stages.results import StageResult
from flows.dept_project_alpha.ingestion_flow_dept_project_alpha import ingestion_flow_dept_project_alpha
from tests.flows.conftest import ingestion_config
from tests.support.http_server import LoopbackHTTPServer, sha256_hex

pytestmark = pytest.mark.slow

STORE_BASES = ("downloads", "api_responses")


def file_bodies() -> dict[str, bytes]:
    bodies = {f"/files/f{i}.csv": b"id,value\n" + b"%d,%d\n" % (i, i * i) * (50 + i) for i in range(12)}
    bodies["/files/copy-of-f0.csv"] = bodies["/files/f0.csv"]  # same content from a second URL: one object
    return bodies


def scale_out_config(server: LoopbackHTTPServer, task_runner: dict[str, Any]) -> dict[str, Any]:
    urls = {path: server.serve(path, body=body) for path, body in file_bodies().items()}
    api = server.serve("/api/records", body=b'{"records": [1, 2]}', headers={"Content-Type": "application/json"})
    config = ingestion_config(
        server,
        scheduled_file_downloads={
            "data_source_name": "alpha_files",
            "local_artifacts_storage_base": STORE_BASES[0],
            "files_to_acquire": [{"name": path.rsplit("/", 1)[1], "url": url} for path, url in urls.items()],
        },
        public_api_data={"data_source_name": "alpha_api", "apis_to_poll": [{"name": "records", "url": api}]},
    )
    config["batch_size"] = 3  # several batches per category, so several Dask tasks
    config["task_runner"] = task_runner
    return config


def stored_objects(data_dir: Path) -> set[tuple[str, str]]:
    """(object directory relative to the data dir, sha256 of the bytes on disk) of every object in the stores.
    The directory, not the file name: of two URLs serving the same content, whichever finishes first names it."""
    found: set[tuple[str, str]] = set()
    for base in STORE_BASES:
        store = ContentAddressedStore(data_dir / base)
        assert store.temp_files() == []
        for stored in store.iter_objects():
            path = Path(stored.location)
            assert Path(stored.manifest_location).is_file()
            found.add((str(path.parent.relative_to(data_dir)), sha256_hex(path.read_bytes())))
    return found


def run_completed(config: dict[str, Any]) -> StageResult:
    state = ingestion_flow_dept_project_alpha(config=config, return_state=True)
    assert state.is_completed(), state.message
    result: StageResult = state.result()
    return result


def outcome_keys(result: StageResult) -> list[tuple[str, str | None, str]]:
    return sorted((o.category, o.sha256, o.status) for o in result.outcomes)


@pytest.fixture
def dask_cluster() -> Iterator[distributed.LocalCluster]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        yield cluster


def test_ingestion_on_dask_cluster_stores_same_objects_as_threads(
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dask_cluster: distributed.LocalCluster,
) -> None:
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "threads"))
    threads = run_completed(scale_out_config(http_server, {"kind": "threads"}))
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "dask"))
    dask = run_completed(scale_out_config(http_server, {"kind": "dask", "address": dask_cluster.scheduler_address}))

    on_threads = stored_objects(tmp_path / "threads")
    assert len(on_threads) == 12 + 1  # 12 file contents (f0 is served twice) and the API response
    assert stored_objects(tmp_path / "dask") == on_threads
    assert outcome_keys(dask) == outcome_keys(threads)
    assert [o.status for o in dask.outcomes].count("duplicate") == 1
    with distributed.Client(dask_cluster.scheduler_address) as client:
        ran_on_cluster = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    task_functions = [
        "download_scheduled_file_downloads_task_dept_project_alpha",
        "poll_public_api_data_task_dept_project_alpha",
    ]
    assert ran_on_cluster == [name[:50] for name in task_functions]  # Dask names a function by its first 50 chars


def test_ingestion_dask_without_address_shares_one_local_cluster_per_stage_run(
    http_server: LoopbackHTTPServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[distributed.LocalCluster, dict[str, Any]]] = []

    class RecordingLocalCluster(distributed.LocalCluster):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append((self, kwargs))

    monkeypatch.setattr(distributed, "LocalCluster", RecordingLocalCluster)

    with contextlib.ExitStack() as held:  # Dask's default port taken, as by another stage run's cluster
        with contextlib.suppress(OSError):  # already taken by someone else: the same situation
            listener = held.enter_context(socket.socket())
            listener.bind(("127.0.0.1", 8787))
            listener.listen()
        result = run_completed(scale_out_config(http_server, {"kind": "dask", "n_workers": 1}))

    assert {o.category for o in result.outcomes} == {"scheduled_file_downloads", "public_api_data"}
    assert len(stored_objects(data_dir)) == 12 + 1
    assert len(started) == 1  # one cluster for both category flows, not one per category flow
    (cluster, kwargs) = started[0]
    assert kwargs["n_workers"] == 1 and kwargs["processes"] is True
    assert kwargs["dashboard_address"] == ":0"  # not Dask's machine-wide 8787: two stage runs may overlap
    assert cluster.status.name == "closed"  # closed when the stage run ended
