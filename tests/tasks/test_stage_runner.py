"""The one stage runner, on a toy stage: every category runs even after a failure, one task runner (and one Dask
cluster) per stage run, a stage without categories says so, and the run fails with every outcome attached."""

from __future__ import annotations

import logging
from typing import Any

import distributed
import pytest
from prefect import flow
from prefect.context import FlowRunContext

from airnub_prefect_starter.core.config import ConfigModel, TaskRunnerConfig
from airnub_prefect_starter.core.errors import ConfigError, StageFailedError
from airnub_prefect_starter.processing.contract import PROCESSING
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.results import StageResult
from airnub_prefect_starter.tasks.stage_runner import run_stage

pytestmark = pytest.mark.usefixtures("prefect_harness", "data_dir")

seen_max_workers: list[int | None] = []


class ToySection(ConfigModel):
    enabled: bool = True
    names: list[str]


class ToyStageConfig(ConfigModel):
    task_runner: TaskRunnerConfig = TaskRunnerConfig()
    built: ToySection | None = None
    half_failed: ToySection | None = None
    crashing: ToySection | None = None

    def category_parameters(self) -> dict[str, Any]:
        return {"suffix": "-v1"}


def _record_task_runner() -> None:
    context = FlowRunContext.get()
    assert context is not None and context.task_runner is not None
    seen_max_workers.append(getattr(context.task_runner, "_max_workers", None))  # reading, to check the bound


@flow
def built_flow(config: ToySection, suffix: str) -> list[DatasetOutcome]:
    _record_task_runner()
    return [DatasetOutcome("built", name + suffix, "built") for name in config.names]


@flow
def half_failed_flow(config: ToySection, suffix: str) -> list[DatasetOutcome]:
    outcomes = [
        DatasetOutcome("half_failed", config.names[0] + suffix, "unchanged"),
        DatasetOutcome.failure("half_failed", config.names[1] + suffix, ConfigError("bad header")),
    ]
    raise PROCESSING.category_error("Toy", "half_failed", outcomes)


@flow
def crashing_flow(config: ToySection, suffix: str) -> list[DatasetOutcome]:
    raise ValueError("boom")


CATEGORY_FLOWS = {"built": built_flow, "half_failed": half_failed_flow, "crashing": crashing_flow}


@flow
def toy_stage(config: dict[str, Any], categories: list[str] | None = None) -> StageResult[DatasetOutcome]:
    flows = {name: CATEGORY_FLOWS[name] for name in config.pop("flows", CATEGORY_FLOWS)}
    return run_stage(PROCESSING, "toy", ToyStageConfig.model_validate(config), flows, categories)


def test_every_category_runs_after_a_failure_and_the_stage_fails_with_all_outcomes() -> None:
    config = {name: {"names": ["a", "b"]} for name in ("crashing", "half_failed", "built")}

    state = toy_stage(config=config, return_state=True)

    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, StageFailedError)
    result = error.result
    assert [(o.category, o.name, o.status) for o in result.outcomes] == [
        ("built", "a-v1", "built"),
        ("built", "b-v1", "built"),
        ("half_failed", "a-v1", "unchanged"),
        ("half_failed", "b-v1", "failed"),
    ]
    assert result.crashed == {"crashing": "ValueError: boom"}
    assert list(result.by_category) == ["built", "half_failed"]  # a stopped category is only in crashed
    assert str(error) == (
        "Toy processing: 1 of 4 datasets failed: half_failed/b-v1: bad header; category crashing crashed: "
        "ValueError: boom"
    )


def test_only_enabled_and_selected_categories_run_on_the_stage_task_runner() -> None:
    seen_max_workers.clear()
    config = {
        "task_runner": {"kind": "threads", "max_concurrency": 3},
        "built": {"names": ["a"]},
        "half_failed": {"enabled": False, "names": ["a", "b"]},
        "crashing": {"names": ["x"]},  # configured and enabled, but not selected: it must not run
    }

    result = toy_stage(config=dict(config), categories=["built"])
    disabled = toy_stage(config=dict(config), categories=["half_failed"], return_state=True)

    assert [o.name for o in result.outcomes] == ["a-v1"] and result.crashed == {}
    assert result.counts() == {"built": 1, "unchanged": 0, "failed": 0, "total": 1}
    assert seen_max_workers == [3]
    error = disabled.result(raise_on_failure=False)
    assert isinstance(error, ConfigError)
    assert str(error) == "categories: half_failed has no enabled section in the stage config: nothing to run"


def test_the_stage_default_concurrency_applies_when_none_is_set() -> None:
    seen_max_workers.clear()

    toy_stage(config={"built": {"names": ["a"]}})

    assert seen_max_workers == [PROCESSING.default_concurrency]


def test_a_stage_without_categories_completes_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        result = toy_stage(config={"flows": []})

    assert (result.stage, result.outcomes, result.failed) == ("processing", [], False)
    assert "no categories yet (list them in flows/dept_toy/categories_dept_toy.yaml" in caplog.text


@pytest.mark.slow
def test_dask_without_an_address_starts_one_local_cluster_for_the_whole_stage_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[distributed.LocalCluster] = []

    class RecordingLocalCluster(distributed.LocalCluster):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(distributed, "LocalCluster", RecordingLocalCluster)
    config = {"task_runner": {"kind": "dask", "n_workers": 1}, "built": {"names": ["a"]}, "half_failed": None}
    config["crashing"] = {"names": ["x"]}

    state = toy_stage(config=config, return_state=True)

    assert state.is_failed()  # the crashing category, after the other one ran
    assert len(started) == 1 and started[0].status.name == "closed"
