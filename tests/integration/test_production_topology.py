"""The production topology on this machine, without Docker: a Prefect server on PostgreSQL, the deployments of
prefect.yaml, two process workers that share nothing on disk (each its own local working copy and temp dir, as
on two machines), the manifest index on PostgreSQL, the data on object storage (a real S3 server, SeaweedFS), and
the stages chained by events.

The test runs the commands of docs/deployment.md ("Production topology on one machine"), starts only its own
processes (server, workers, CLI calls) and stops them again, workers first. Every run gets fresh databases (the
server's with pg_trgm), dropped afterwards.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from prefect.client.schemas.objects import FlowRun
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.events.schemas.events import ReceivedEvent

from airnub_prefect_starter.core.store.s3_cas import S3ContentAddressedStore
from airnub_prefect_starter.demo.server import DemoSource
from airnub_prefect_starter.stages.events import DATASETS_BUILT, OBJECTS_STORED, department_resource_id
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.prefect_topology import (
    REPO_ROOT,
    SERVER_START,
    Topology,
    api_client,
    runs_of,
    wait_for,
)
from tests.support.s3_server import S3Server

DOCS = REPO_ROOT / "docs" / "deployment.md"
INGESTION_CONFIG = (
    REPO_ROOT / "configs" / "variables" / "dept_project_alpha" / "ingestion_config_dept_project_alpha.yaml"
)
DEMO_PORT = 18765

POOL = "airnub-process"
# The commands of docs/deployment.md, as this test runs them (the server and the workers get a few more flags).
WORK_POOL_CREATE = ["prefect", "work-pool", "create", POOL, "--type", "process"]
VARIABLES_SYNC = ["airnub", "variables", "sync"]
DEPLOY_ALL = ["prefect", "--no-prompt", "deploy", "--all"]
WORKER_START = ["prefect", "worker", "start", "--pool", POOL, "--limit", "1"]
DEPLOYMENT_RUN = ["prefect", "deployment", "run", "Ingestion (Project Alpha)/project_alpha-ingestion"]
DOCUMENTED_COMMANDS = [SERVER_START, WORK_POOL_CREATE, VARIABLES_SYNC, DEPLOY_ALL, WORKER_START, DEPLOYMENT_RUN]

STORE_BASES = [f"project_alpha_demo_outputs/{name}" for name in ("downloads", "api", "pages")]
RUNS_TIMEOUT_S = 180


def _ingestion_config(demo: DemoSource, extra_file: dict[str, str]) -> dict[str, Any]:
    """The repository's ingestion config pointed at ``demo`` (on a free port), plus a file only this run fetches."""
    text = INGESTION_CONFIG.read_text(encoding="utf-8")
    text = text.replace(f"127.0.0.1:{DEMO_PORT}", f"127.0.0.1:{demo.port}")
    text = text.replace(rf"127\.0\.0\.1:{DEMO_PORT}", rf"127\.0\.0\.1:{demo.port}")
    config = yaml.safe_load(text)
    assert isinstance(config, dict) and demo.base_url in json.dumps(config)
    config["scheduled_file_downloads"]["files_to_acquire"].append(extra_file)
    return config


def _final(runs: list[FlowRun], count: int) -> list[FlowRun] | None:
    """``runs`` once there are ``count`` of them and all are in a final state."""
    return runs if len(runs) == count and all(r.state is not None and r.state.is_final() for r in runs) else None


def _events(topology: Topology, name: str, count: int) -> list[ReceivedEvent] | None:
    with api_client(topology.api_url) as client:
        events = client.read_events(EventFilter(event=EventNameFilter(name=[name])), limit=50).events
    return list(events) if len(events) == count else None


def _finished_runs(topology: Topology, deployment: str, count: int) -> list[FlowRun]:
    def check() -> list[FlowRun] | None:
        with api_client(topology.api_url) as client:
            return _final(runs_of(client, deployment), count)

    runs = wait_for(check, timeout=RUNS_TIMEOUT_S, what=f"{count} {deployment} runs to end", diagnostics=topology.logs)
    topology.timings[f"{deployment} runs ended"] = time.monotonic() - topology.timings["test started"]
    return runs


def _assert_completed(runs: Sequence[FlowRun]) -> None:
    states = {r.name: (r.state.type.value, r.state.message) for r in runs if r.state is not None}
    assert all(r.state is not None and r.state.is_completed() for r in runs), states


def _cas_objects(data_url: str) -> dict[tuple[str, str], list[str]]:
    """``{(data source, sha256): [objects in the object's folder, manifests excluded]}`` over the stores in the
    bucket, after checking that each object hashes to its folder's name and has its manifest."""
    objects: dict[tuple[str, str], list[str]] = {}
    for base in STORE_BASES:
        store = S3ContentAddressedStore(f"{data_url}/{base}")
        for folder in store.object_folders():
            source, sha256 = folder.data_source_name, folder.sha256
            names = sorted(entry.name for entry in folder.entries)
            files = [name for name in names if not name.endswith(".manifest.json")]
            assert [f"{name}.manifest.json" for name in files] == [n for n in names if n not in files], names
            assert [sha256_hex(store.bucket.read_bytes(f"{source}/{sha256}/{f}")) for f in files] == [sha256] * len(
                files
            ), (source, sha256)
            objects.setdefault((source, sha256), []).extend(files)
    return objects


def _runs_per_worker(topology: Topology, runs: Sequence[FlowRun]) -> dict[str, int]:
    """How many of ``runs`` each worker ran: it logged submitting the run and not, afterwards, that the submission
    was aborted (two workers may both try to start a run; the server lets one of them)."""
    ran: dict[str, int] = {}
    for name in ("worker-1", "worker-2"):
        submitted: dict[str, bool] = {}
        for line in (topology.workdir / f"{name}.log").read_text(errors="replace").splitlines():
            for run in runs:
                if f"submitting flow run '{run.id}'" in line:
                    submitted[str(run.id)] = True
                elif f"Aborted submission of flow run '{run.id}'" in line:
                    submitted[str(run.id)] = False
        ran[name] = sum(submitted.values())
    return ran


def _index_rows(index_url: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(index_url)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(sa.text("SELECT data_source_name, sha256 FROM cas_objects"))]
    finally:
        engine.dispose()


def test_deployment_docs_show_the_commands_this_test_runs() -> None:
    docs = DOCS.read_text(encoding="utf-8")

    assert [shlex.join(argv) for argv in DOCUMENTED_COMMANDS if shlex.join(argv) not in docs] == []


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.exclusive  # which worker takes which run depends on both getting CPU in time
def test_two_workers_store_overlapping_sources_once_and_events_chain_processing_and_analysis(
    topology: Topology,
    postgres_url: str,
    http_server: LoopbackHTTPServer,
    tmp_path: Path,
    s3_server: S3Server,
    s3_env: dict[str, str],
) -> None:
    topology.timings["test started"] = time.monotonic()
    data_url = s3_server.url(f"topology-{tmp_path.name}")
    topology.run_at_once([WORK_POOL_CREATE, VARIABLES_SYNC])
    worker_env = {
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "AIRNUB_PROJECT_DIR": str(REPO_ROOT),
        "AIRNUB_DATA_DIR": data_url,
        "AIRNUB_INDEX_URL": postgres_url,
        **s3_server.env,
    }
    for number in (1, 2):  # nothing on disk shared: each worker its own working copy and temp dir
        local = tmp_path / f"machine-{number}"
        (local / "tmp").mkdir(parents=True)
        env = {**worker_env, "AIRNUB_WORK_DIR": str(local / "work"), "TMPDIR": str(local / "tmp")}
        topology.start(f"worker-{number}", [*WORKER_START, "--name", f"airnub-test-worker-{number}"], env=env)
    topology.run(DEPLOY_ALL)  # while the workers start

    with DemoSource(port=0) as demo:
        # Two ingestion runs at once over the same demo sources; each also fetches one file of its own, so both
        # store something new and both emit an event.
        only = {run: f"id,run\n1,{run}\n".encode() for run in "ab"}
        configs = [
            _ingestion_config(demo, {"name": f"only_{run}", "url": http_server.serve(f"/only-{run}.csv", body=body)})
            for run, body in only.items()
        ]
        topology.run_at_once([[*DEPLOYMENT_RUN, "--params", json.dumps({"config": config})] for config in configs])
        ingestion = _finished_runs(topology, "project_alpha-ingestion", 2)
    _assert_completed(ingestion)

    stored_events = wait_for(
        lambda: _events(topology, OBJECTS_STORED, 2), timeout=30, what="2 stored events", diagnostics=topology.logs
    )
    # Two events, two processing runs, one at a time (the deployment's concurrency limit). The first built the
    # datasets; the second found its inputs unchanged and emitted nothing: one analysis run.
    processing = _finished_runs(topology, "project_alpha-processing", 2)
    built_events = wait_for(
        lambda: _events(topology, DATASETS_BUILT, 1), timeout=30, what="1 built event", diagnostics=topology.logs
    )
    analysis = _finished_runs(topology, "project_alpha-analysis", 1)
    _assert_completed([*processing, *analysis])
    time.sleep(3)  # a trigger fires within ~0.1 s of its event: a spurious run would exist by now
    with api_client(topology.api_url) as client:
        assert len(runs_of(client, "project_alpha-processing")) == 2
        assert len(runs_of(client, "project_alpha-analysis")) == 1
        assert len(client.read_workers_for_work_pool(POOL)) == 2
    assert all(run.created_by is not None and run.created_by.type == "AUTOMATION" for run in [*processing, *analysis])
    first, second = sorted(processing, key=lambda run: str(run.start_time))
    assert first.end_time is not None and second.start_time is not None
    assert first.end_time <= second.start_time  # one processing run at a time
    resources = {(e.event, e.resource.id, e.resource["airnub.stage"]) for e in [*stored_events, *built_events]}
    assert resources == {
        (OBJECTS_STORED, department_resource_id("project_alpha"), "ingestion"),
        (DATASETS_BUILT, department_resource_id("project_alpha"), "processing"),
    }

    # Each worker takes one run at a time (--limit 1), so the two ingestion runs ran on different workers, each
    # storing one file only it fetched: whichever worker processed read a raw object the other one stored.
    assert sorted(_runs_per_worker(topology, ingestion).values()) == [1, 1], topology.logs()
    # Exactly one object per content and data source, in the bucket and in the index, although both runs fetched
    # the same URLs at the same time; each object was reported stored by exactly one run.
    objects = _cas_objects(data_url)
    assert all(len(files) == 1 for files in objects.values()), objects
    assert sorted(_index_rows(postgres_url)) == sorted(objects)
    stored = [(o["data_source_name"], o["sha256"]) for event in stored_events for o in event.payload["objects"]]
    assert sorted(stored) == sorted(objects)
    assert sum(event.payload["count"] for event in stored_events) == len(objects)
    assert {("project_alpha_demo_files", sha256_hex(body)) for body in only.values()} <= set(objects)
    assert built_events[0].payload["count"] >= 1
    # Datasets, model and report are in the bucket; no raw object was written to either machine's disk but for
    # processing's own cache of its inputs.
    keys = [info.key for info in S3ContentAddressedStore(data_url).bucket.list()]
    assert any(key.endswith(".parquet") for key in keys), keys
    assert any(key.endswith("/report.html") for key in keys), keys
    assert any(key.endswith(".joblib") for key in keys), keys
    local_files = [p for p in tmp_path.glob("machine-*/**/*") if p.is_file()]
    assert [p for p in local_files if ".tmp" in p.parts or p.name.startswith("part-")] == []
