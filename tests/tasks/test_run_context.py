"""One run context per stage run: built by the stage runner, seen by every category flow below it (never as a
recorded parameter), answering settings and credentials without reading the environment again, and never
pickled or printed with a secret in it."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.config import ConfigModel, TaskRunnerConfig
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks.run_context import (
    RunContext,
    RunEnvironment,
    current_run_context,
    given_environment,
)
from airnub_prefect_starter.tasks.secrets import flow_settings, storage_credentials
from airnub_prefect_starter.tasks.stage_runner import run_stage

PASSWORD = "pw-0123456789"
CREDENTIALS = S3Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="secret-0123456789")


def environment(tmp_path: Path) -> RunEnvironment:
    settings = load_settings(data_dir=str(tmp_path), index_url=f"postgresql+psycopg://u:{PASSWORD}@db/airnub")
    return RunEnvironment(settings, CREDENTIALS)


def test_a_run_context_is_neither_pickled_nor_printed_with_its_secrets(tmp_path: Path) -> None:
    env = environment(tmp_path)
    context = RunContext(env, "toy", "Toy", "processing", None, RunIds())

    for value in (env, context):
        with pytest.raises(TypeError, match="holds secrets and stays in the process that resolved it"):
            pickle.dumps(value)
        assert PASSWORD not in repr(value) and "secret-0123456789" not in repr(value)
    assert "REDACTED@db/airnub" in repr(context)


def test_settings_and_credentials_come_from_the_given_environment_without_reading_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment(tmp_path)
    monkeypatch.setenv("AIRNUB_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("AIRNUB_STORAGE_CREDENTIALS_BLOCK", "no-such-block")  # read, this would fail

    with given_environment(env):
        settings = flow_settings()
        credentials = storage_credentials(settings)

    assert settings is env.settings and credentials is CREDENTIALS
    assert flow_settings().data_dir == str(tmp_path / "elsewhere")  # outside the run: the environment's, read now


class ToySection(ConfigModel):
    enabled: bool = True
    names: list[str]


class ToyStageConfig(ConfigModel):
    task_runner: TaskRunnerConfig = TaskRunnerConfig()
    first: ToySection | None = None
    second: ToySection | None = None

    def category_parameters(self) -> dict[str, Any]:
        return {}


seen: list[RunContext | None] = []


@flow
def category_flow(config: ToySection) -> list[DatasetOutcome]:
    seen.append(current_run_context())
    return [DatasetOutcome("toy", name, "built") for name in config.names]


@flow
def toy_stage(config: dict[str, Any]) -> StageResult[DatasetOutcome]:
    flows = {"first": category_flow, "second": category_flow}
    return run_stage(PROCESSING, "toy", ToyStageConfig.model_validate(config), flows, None)


@pytest.mark.usefixtures("prefect_harness")
def test_every_category_flow_of_a_stage_run_sees_its_one_context_and_records_none_of_it(tmp_path: Path) -> None:
    seen.clear()
    env = environment(tmp_path)

    with given_environment(env):
        state = toy_stage({"first": {"names": ["a"]}, "second": {"names": ["b"]}}, return_state=True)

    assert state.is_completed()
    first, second = seen
    assert first is second and first is not None
    assert (first.department_id, first.department, first.stage) == ("toy", "Toy", "processing")
    assert first.environment is env and isinstance(first.stage_config, ToyStageConfig)
    assert first.run_ids.flow_run_id == str(state.state_details.flow_run_id)
    assert current_run_context() is None  # only while the stage runs
    parent = FlowRunFilterParentFlowRunId(any_=[state.state_details.flow_run_id])
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(parent_flow_run_id=parent))
    recorded = [run.parameters for run in children]
    sections = [{"config": {"enabled": True, "names": [name]}} for name in ("a", "b")]
    assert sorted(recorded, key=str) == sections  # and nothing else


class SuffixedStageConfig(ToyStageConfig):
    suffix: str = "-v2"

    def category_parameters(self) -> dict[str, Any]:
        return {"suffix": self.suffix}


@flow
def suffixed_flow(config: ToySection, suffix: str) -> list[DatasetOutcome]:
    return [DatasetOutcome("toy", name + suffix, "built") for name in config.names]


@flow
def unsuffixed_flow(config: ToySection) -> list[DatasetOutcome]:  # takes the suffix from its run's stage config
    context = current_run_context()
    assert context is not None and isinstance(context.stage_config, SuffixedStageConfig)
    return [DatasetOutcome("toy", name + context.stage_config.suffix + "!", "built") for name in config.names]


@flow
def suffixed_stage(config: dict[str, Any]) -> StageResult[DatasetOutcome]:
    flows = {"first": suffixed_flow, "second": unsuffixed_flow}
    return run_stage(PROCESSING, "toy", SuffixedStageConfig.model_validate(config), flows, None)


@pytest.mark.usefixtures("prefect_harness", "data_dir")
def test_a_category_flow_gets_only_the_stage_parameters_it_takes() -> None:
    result = suffixed_stage({"first": {"names": ["a"]}, "second": {"names": ["b"]}})

    assert [outcome.name for outcome in result.outcomes] == ["a-v2", "b-v2!"]
