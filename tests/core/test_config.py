"""The config primitives every stage shares: the loader's one-line errors, the task-runner section, moved keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from airnub_prefect_starter.core.config import ConfigModel, TaskRunnerConfig, load_yaml_file, parse_config
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.http.policy import HttpOverrides


class _Stage(ConfigModel):
    task_runner: TaskRunnerConfig = TaskRunnerConfig()
    http: HttpOverrides | None = None


def test_errors_name_the_source_the_key_path_and_the_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_Stage, {"task_runner": {"kind": "threads", "max_concurrency": 0}, "extra": 1}, "f.yaml")

    assert str(raised.value) == (
        "f.yaml: task_runner.max_concurrency: Input should be greater than or equal to 1; "
        "f.yaml: extra: unknown key (typo?)"
    )


def test_task_runner_concurrency_falls_back_to_the_stage_default() -> None:
    assert TaskRunnerConfig().concurrency(8) == 8
    assert TaskRunnerConfig(max_concurrency=3).concurrency(8) == 3
    with pytest.raises(ConfigError, match="^f.yaml: task_runner: address is only valid with kind: dask$"):
        parse_config(_Stage, {"task_runner": {"address": "tcp://h:8786"}}, "f.yaml")


def test_the_old_http_concurrency_key_names_its_new_place() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_Stage, {"http": {"max_concurrency": 4}}, "ingestion.yaml")

    assert str(raised.value) == (
        "ingestion.yaml: http: max_concurrency has moved: set task_runner.max_concurrency in the stage config instead"
    )


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"bad\.yaml: line 3: invalid YAML"):
        load_yaml_file(path)
