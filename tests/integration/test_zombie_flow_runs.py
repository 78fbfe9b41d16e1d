"""A flow run whose process dies without reporting (its worker and itself killed at once, as when a machine or a
container is lost) stays Running in Prefect, and a deployment with ``concurrency_limit: 1`` keeps its slot until
the run's concurrency lease expires (the flow engine renews it for 300 s at a time). The "Crash zombie flow runs"
automation of scripts/setup_zombie_automation.py marks such a run Crashed once its heartbeats stop, which frees
the slot, and the run queued behind it starts.

The end-to-end test runs the production topology (a Prefect server on a fresh PostgreSQL database with its
services, ``prefect deploy``, process workers) with a deployment shaped like the processing deployment of
prefect.yaml (its concurrency limit and work pool, job variables included) whose flow only sleeps.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

from tests.support.prefect_topology import REPO_ROOT, Topology, api_client, runs_of, wait_for

SCRIPT = REPO_ROOT / "scripts" / "setup_zombie_automation.py"
PREFECT_YAML = REPO_ROOT / "prefect.yaml"
HEARTBEAT = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
PROCESSING = "project_alpha-processing"
POOL = "airnub-process"
PROBE = "zombie-probe"  # the flow's name; the deployment's name too
# Prefect's minimums, to keep the test short: a heartbeat every 30 s; Crashed 30 s after one with nothing since.
TEST_HEARTBEAT_S = 30
TEST_WITHIN_S = 30
TIMEOUT_S = 240


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("setup_zombie_automation", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _deployments() -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]}


def test_prefect_yaml_gives_every_deployment_run_the_heartbeat_the_zombie_automation_watches() -> None:
    script = _script()
    pools = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["definitions"]["work_pools"]

    def env(work_pool: dict[str, Any]) -> dict[str, str]:
        return dict(work_pool.get("job_variables", {}).get("env", {}))

    envs = {
        **{f"deployment {name}": env(d["work_pool"]) for name, d in _deployments().items()},
        **{f"work pool {name}": env(pool) for name, pool in pools.items()},
    }

    assert {where: env.get(HEARTBEAT) for where, env in envs.items()} == dict.fromkeys(
        envs, str(script.HEARTBEAT_FREQUENCY_S)
    )
    # Five heartbeats of these runs, and more than a run on Prefect's default heartbeat (180 s) waits between two.
    assert script.DEFAULT_WITHIN_S >= max(5 * script.HEARTBEAT_FREQUENCY_S, 180 + 60)


def test_setup_zombie_automation_dry_run_prints_a_trigger_that_crashes_silent_runs() -> None:
    result = _run_script("--dry-run", "--within", "240")

    assert result.returncode == 0, result.stderr
    automation = json.loads(result.stdout)
    assert automation["name"] == "Crash zombie flow runs"
    trigger = automation["trigger"]
    assert (trigger["posture"], trigger["within"], trigger["after"], trigger["for_each"]) == (
        "Proactive",
        240.0,
        ["prefect.flow-run.heartbeat"],
        ["prefect.resource.id"],
    )
    assert [(a["type"], a["state"], a["force"]) for a in automation["actions"]] == [
        ("change-flow-run-state", "CRASHED", False)
    ]


def test_setup_zombie_automation_refuses_a_window_under_prefects_minimum() -> None:
    result = _run_script("--within", "5")

    assert result.returncode == 2
    assert "--within 5: must be at least 10 seconds" in result.stderr


def _probe_project(directory: Path) -> Path:
    """A project with one deployment shaped like the processing deployment (concurrency limit, work pool and its
    job variables), whose flow sleeps ``seconds``; its heartbeat at Prefect's minimum."""
    directory.mkdir()
    (directory / "probe_flow.py").write_text(
        textwrap.dedent(f"""
            import time

            from prefect import flow


            @flow(name="{PROBE}")
            def probe(seconds: float) -> None:
                time.sleep(seconds)
        """),
        encoding="utf-8",
    )
    processing = _deployments()[PROCESSING]
    work_pool = copy.deepcopy(processing["work_pool"])
    work_pool["job_variables"]["env"][HEARTBEAT] = str(TEST_HEARTBEAT_S)
    project = {
        "name": PROBE,
        "build": None,
        "push": None,
        "pull": [{"prefect.deployments.steps.set_working_directory": {"directory": str(directory)}}],
        "deployments": [
            {
                "name": PROBE,
                "entrypoint": "probe_flow.py:probe",
                "concurrency_limit": processing["concurrency_limit"],
                "work_pool": work_pool,
            }
        ],
    }
    (directory / "prefect.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    return directory


def _runs(topology: Topology) -> list[FlowRun]:
    with api_client(topology.api_url) as client:
        return sorted(runs_of(client, PROBE), key=lambda run: str(run.created))


def _heartbeats(topology: Topology, run: FlowRun) -> int:
    with api_client(topology.api_url) as client:
        events = client.read_events(
            EventFilter(
                event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
                resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
            ),
            limit=10,
        ).events
    return len(events)


def _state_names(topology: Topology, run: FlowRun) -> list[str]:
    with api_client(topology.api_url) as client:
        return [state.name or "" for state in client.read_flow_run_states(run.id)]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.exclusive  # kills processes and waits on the server's services
@pytest.mark.timeout(TIMEOUT_S * 2 + 180)
def test_killed_run_ends_crashed_and_the_run_queued_behind_it_starts(topology: Topology, tmp_path: Path) -> None:
    started = time.monotonic()
    project = _probe_project(tmp_path / "project")
    setup_automation = ["python", str(SCRIPT), "--within", str(TEST_WITHIN_S)]
    created = topology.run_at_once([["prefect", "work-pool", "create", POOL, "--type", "process"], setup_automation])
    assert created[1].startswith("created automation"), created[1]
    worker = ["prefect", "worker", "start", "--pool", POOL, "--limit", "1"]
    worker_env = {"PREFECT_WORKER_QUERY_SECONDS": "1"}
    topology.start("worker-1", [*worker, "--name", "zombie-worker-1"], env=worker_env)
    topology.run_in(project, ["prefect", "--no-prompt", "deploy", "--all"])  # while the worker starts
    deployment_run = ["prefect", "deployment", "run", f"{PROBE}/{PROBE}", "--params"]
    # Running the script again updates the one automation.
    updated = topology.run_at_once([[*deployment_run, json.dumps({"seconds": 3600})], setup_automation])
    assert updated[1].startswith("updated automation"), updated[1]

    def running() -> FlowRun | None:
        runs = _runs(topology)
        return runs[0] if runs and runs[0].state is not None and runs[0].state.is_running() else None

    killed = wait_for(running, timeout=TIMEOUT_S, what="the first run to run", diagnostics=topology.logs)
    wait_for(
        lambda: True if _heartbeats(topology, killed) else None,
        timeout=TIMEOUT_S,
        what="a heartbeat of the first run",
        diagnostics=topology.logs,
    )
    # The worker and the flow run's process at once: nobody is left to report the run's end.
    assert topology.kill("worker-1") != [], topology.log("worker-1")
    kill = time.monotonic()
    topology.timings["killed after"] = kill - started
    topology.start("worker-2", [*worker, "--name", "zombie-worker-2"], env=worker_env)
    topology.run([*deployment_run, json.dumps({"seconds": 1})])

    def both_final() -> list[FlowRun] | None:
        runs = _runs(topology)
        return runs if len(runs) == 2 and all(r.state is not None and r.state.is_final() for r in runs) else None

    first, second = wait_for(both_final, timeout=TIMEOUT_S, what="both runs to end", diagnostics=topology.logs)
    topology.timings["both runs ended, after the kill"] = time.monotonic() - kill

    assert first.id == killed.id and first.state is not None and second.state is not None
    assert (first.state.type, first.state.message) == (
        StateType.CRASHED,
        f"No heartbeat for {TEST_WITHIN_S} s: the flow run's process died without reporting.",
    )
    assert second.state.type == StateType.COMPLETED, second.state.message
    # The second run waited for the deployment's one slot, which the Crashed state gave back.
    assert "AwaitingConcurrencySlot" in _state_names(topology, second)
    assert first.end_time is not None and second.start_time is not None
    assert first.end_time <= second.start_time
    topology.timings["test"] = time.monotonic() - started


def test_deployment_docs_show_how_to_create_the_zombie_automation() -> None:
    docs = (REPO_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")

    assert "python scripts/setup_zombie_automation.py" in docs
    assert f"`{HEARTBEAT}`" in docs
