"""prefect.yaml (static, offline): only keys Prefect 3 reads, entrypoints that load, job variables the pool types
accept, schedules that parse, triggers on the events the flows emit, a pull step that works on both pools.

Prefect 3's loader (``prefect.cli.deploy._models``) ignores unknown keys without a word, so a Prefect-2 key
(``infrastructure:``, ``storage:``) or a typo would silently deploy something else: the allowed key sets below
are read from Prefect's own models, and every key of the file must be in them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prefect import Flow
from prefect.cli.deploy._models import DeploymentConfig, PrefectYamlModel, RawScheduleConfig, WorkPoolConfig
from prefect.client.schemas.schedules import CronSchedule
from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger
from prefect.flows import load_flow_from_entrypoint
from prefect.utilities.importtools import import_object
from prefect.workers.process import ProcessWorker

from airnub_prefect_starter.core.departments import STAGES
from airnub_prefect_starter.stages.events import (
    DATASETS_BUILT,
    EVENT_NAMES,
    OBJECTS_STORED,
    department_resource_id,
)
from airnub_prefect_starter.tasks.pull_steps import enter_project_dir
from tests.deployment.test_container_files import _compose, _dockerfile_args, _dockerfile_env, _with_defaults
from tests.support.project_copy import REPO_ROOT

ROOT = REPO_ROOT
PREFECT_YAML = ROOT / "prefect.yaml"
DEPLOYMENT_DOCS = ROOT / "docs" / "deployment.md"

PROCESS_POOL = "airnub-process"
DOCKER_POOL = "airnub-docker"
POOL_TYPES = {PROCESS_POOL: "process", DOCKER_POOL: "docker"}
#: The command docs/deployment.md gives to deploy every stage on the Docker pool instead of the process pool.
DOCKER_VARIANT_SED = r"sed 's/\*airnub_process$/*airnub_docker/' prefect.yaml > prefect.docker.yaml"

#: What each stage's deployment listens for (ingestion is scheduled, not triggered).
TRIGGERED_BY = {"ingestion": None, "processing": OBJECTS_STORED, "analysis": DATASETS_BUILT}


def _field_names(model: Any) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


# Prefect 3 reads these keys; everything else in the file is dropped on load. `schedule:` (singular) is a
# deprecated Prefect-2 spelling Prefect still converts: this project uses `schedules:` only.
TOP_LEVEL_KEYS = _field_names(PrefectYamlModel) | {"definitions"}  # definitions: YAML anchors, by convention
DEPLOYMENT_KEYS = _field_names(DeploymentConfig) - {"schedule"}
WORK_POOL_KEYS = _field_names(WorkPoolConfig)
TRIGGER_KEYS = _field_names(DeploymentEventTrigger) | {"type"}
SCHEDULE_KEYS = _field_names(RawScheduleConfig)


@cache
def _raw() -> dict[str, Any]:
    loaded = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _deployments() -> list[dict[str, Any]]:
    deployments = _raw()["deployments"]
    assert isinstance(deployments, list) and deployments
    return deployments


def _by_name() -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in _deployments()}


def _departments_with_stage_flows() -> dict[str, list[str]]:
    """``{dept_id: [stage, ...]}`` for every ``flows/dept_<id>/<stage>_flow_dept_<id>.py`` in the repository."""
    found: dict[str, list[str]] = {}
    for folder in sorted((ROOT / "flows").glob("dept_*")):
        dept = folder.name.removeprefix("dept_")
        stages = [s for s in STAGES if (folder / f"{s}_flow_dept_{dept}.py").is_file()]
        if stages:
            found[dept] = stages
    return found


@cache
def _pool_variables_schema(pool_type: str) -> dict[str, Any]:
    """The JSON schema of the job variables a work pool of ``pool_type`` accepts (its default base job template)."""
    if pool_type == "process":
        schema = ProcessWorker.get_default_base_job_template()["variables"]
    else:  # Prefect ships the metadata of its worker types, so prefect-docker need not be installed
        import prefect.server.api.collections as collections

        metadata = Path(collections.__file__).parent / "collections_data" / "views" / "aggregate-worker-metadata.json"
        worker = json.loads(metadata.read_text(encoding="utf-8"))[f"prefect-{pool_type}"][pool_type]
        schema = worker["default_base_job_configuration"]["variables"]
    assert isinstance(schema, dict)
    return schema


def _work_pool_variants() -> dict[str, dict[str, Any]]:
    variants = _raw()["definitions"]["work_pools"]
    assert isinstance(variants, dict)
    return variants


# --- the file as Prefect reads it ------------------------------------------------------------------------------


def test_prefect_yaml_top_level_has_only_prefect3_keys() -> None:
    assert set(_raw()) - TOP_LEVEL_KEYS == set()
    assert _raw()["prefect-version"].split(".")[0] == "3"


@pytest.mark.parametrize("key", ["infrastructure", "storage", "schedule"])
def test_prefect2_keys_are_not_accepted_keys(key: str) -> None:
    # The guard itself: these spellings must count as unknown for the checks below to catch them.
    assert key not in DEPLOYMENT_KEYS and key not in TOP_LEVEL_KEYS


def test_every_deployment_carries_only_keys_prefect3_reads() -> None:
    for deployment in _deployments():
        assert set(deployment) - DEPLOYMENT_KEYS == set(), deployment["name"]
        assert set(deployment["work_pool"]) - WORK_POOL_KEYS == set(), deployment["name"]
        for trigger in deployment.get("triggers", []):
            assert set(trigger) - TRIGGER_KEYS == set(), deployment["name"]
        for schedule in deployment.get("schedules", []):
            assert set(schedule) - SCHEDULE_KEYS == set(), deployment["name"]


def test_prefect_loads_every_deployment_without_dropping_any() -> None:
    model = PrefectYamlModel.model_validate(_raw())

    assert [d.name for d in model.deployments] == [d["name"] for d in _deployments()]
    assert [d.model_dump(exclude_unset=True, by_alias=True).keys() for d in model.deployments] == [
        d.keys() for d in _deployments()
    ]


def test_no_build_or_push_steps() -> None:
    # The code is already where the flows run: the checkout (process pool) or the worker image (docker pool).
    assert _raw()["build"] is None and _raw()["push"] is None
    assert all("build" not in d and "push" not in d and "pull" not in d for d in _deployments())


# --- deployments -------------------------------------------------------------------------------------------------


def test_one_deployment_per_stage_flow_named_dept_stage() -> None:
    expected = {f"{dept}-{stage}" for dept, stages in _departments_with_stage_flows().items() for stage in stages}

    names = [d["name"] for d in _deployments()]
    assert len(names) == len(set(names))
    assert set(names) == expected
    assert {"project_alpha-ingestion", "project_alpha-processing", "project_alpha-analysis"} <= expected


@pytest.mark.parametrize("deployment", _deployments(), ids=lambda d: d["name"])
def test_deployment_entrypoint_loads_its_stage_flow(deployment: dict[str, Any]) -> None:
    dept, stage = deployment["name"].split("-")
    module = f"{stage}_flow_dept_{dept}"

    assert deployment["entrypoint"] == f"flows/dept_{dept}/{module}.py:{module}"
    assert isinstance(load_flow_from_entrypoint(str(ROOT / deployment["entrypoint"])), Flow)
    assert deployment["tags"] == [dept, stage]


def test_ingestion_has_a_paused_daily_schedule_that_parses() -> None:
    (schedule,) = _by_name()["project_alpha-ingestion"]["schedules"]

    RawScheduleConfig.model_validate(schedule)
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    assert cron.cron == "0 6 * * *" and schedule["active"] is False
    assert all("schedules" not in d for d in _deployments() if not d["name"].endswith("-ingestion"))


@pytest.mark.parametrize("deployment", _deployments(), ids=lambda d: d["name"])
def test_deployment_triggers_listen_for_the_previous_stage_event(deployment: dict[str, Any]) -> None:
    dept, stage = deployment["name"].split("-")
    expected_event = TRIGGERED_BY[stage]
    triggers = deployment.get("triggers", [])
    if expected_event is None:
        assert triggers == []
        return

    (trigger,) = triggers
    parsed = DeploymentEventTrigger.model_validate(trigger)
    assert trigger["type"] == "event" and parsed.enabled
    assert parsed.expect == {expected_event} and parsed.expect <= EVENT_NAMES
    assert parsed.match.model_dump() == {"prefect.resource.id": department_resource_id(dept)}
    assert (parsed.posture.value, parsed.threshold, parsed.within.total_seconds()) == ("Reactive", 1, 0)
    assert parsed.parameters is None  # the triggered stage reads its config Variable
    assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


# --- work pools and the pull step -------------------------------------------------------------------------------


def test_every_deployment_runs_on_the_process_pool_by_default() -> None:
    assert {d["work_pool"]["name"] for d in _deployments()} == {PROCESS_POOL}
    assert all(d["work_pool"] is _work_pool_variants()["airnub_process"] for d in _deployments())  # one anchor
    assert _dockerfile_args("CMD") == [
        f'["prefect", "worker", "start", "--pool", "{PROCESS_POOL}", "--type", "process"]'
    ]


@pytest.mark.parametrize("variant", ["airnub_process", "airnub_docker"])
def test_work_pool_variant_job_variables_are_accepted_by_its_pool_type(variant: str) -> None:
    pool = _work_pool_variants()[variant]
    schema = _pool_variables_schema(POOL_TYPES[pool["name"]])
    job_variables = pool.get("job_variables", {})

    assert set(pool) - WORK_POOL_KEYS == set()
    assert set(job_variables) - set(schema["properties"]) == set()
    jsonschema.validate(job_variables, schema)


def test_docker_variant_matches_the_compose_stack_and_image() -> None:
    job = _work_pool_variants()["airnub_docker"]["job_variables"]
    compose = _compose()
    worker = compose["services"]["worker"]

    assert job["image"] == _with_defaults(worker["image"]) and job["image_pull_policy"] == "Never"
    assert job["networks"] == [f"{compose['name']}_default"]
    assert job["volumes"] == [f"{compose['name']}_{volume}" for volume in worker["volumes"]]
    assert job["env"]["PREFECT_API_URL"] == worker["environment"]["PREFECT_API_URL"]
    assert job["env"]["AIRNUB_DATA_DIR"] == _with_defaults(worker["environment"]["AIRNUB_DATA_DIR"])
    assert job["env"]["AIRNUB_INDEX_URL_SECRET_BLOCK"] == "airnub-index-url"
    assert "AIRNUB_INDEX_URL" not in job["env"]
    # no password literal: a URL with credentials anywhere in the file would be stored by the server
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", PREFECT_YAML.read_text(encoding="utf-8"))
    assert "AIRNUB_SECRET_AIRNUB_INDEX_URL=" in DEPLOYMENT_DOCS.read_text(encoding="utf-8")
    assert (
        job["env"]["AIRNUB_PROJECT_DIR"] == _dockerfile_env()["AIRNUB_PROJECT_DIR"] == _dockerfile_args("WORKDIR")[-1]
    )


def test_docs_command_switches_every_deployment_to_the_docker_variant() -> None:
    assert DOCKER_VARIANT_SED in DEPLOYMENT_DOCS.read_text(encoding="utf-8")
    # The same substitution as the sed command (line by line, `*airnub_process` at the end of a line).
    docker_text = re.sub(r"\*airnub_process$", "*airnub_docker", PREFECT_YAML.read_text(encoding="utf-8"), flags=re.M)

    docker = yaml.safe_load(docker_text)
    assert {d["name"] for d in docker["deployments"]} == set(_by_name())
    assert all(d["work_pool"] == _work_pool_variants()["airnub_docker"] for d in docker["deployments"])


def test_pull_step_enters_the_project_dir_on_both_pools() -> None:
    (step,) = _raw()["pull"]
    ((function_name, arguments),) = step.items()

    assert import_object(function_name) is enter_project_dir
    assert arguments == {}  # nothing templated: resolved where the run starts, not where it was deployed
    assert "AIRNUB_PROJECT_DIR" in _work_pool_variants()["airnub_docker"]["job_variables"]["env"]
