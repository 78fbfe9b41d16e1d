"""The config primitives every stage shares: the loader's one-line errors, the task-runner section, moved keys."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from airnub_prefect_starter.core.config import (
    MAX_CONFIG_BYTES,
    ConfigModel,
    StorageBase,
    TaskRunnerConfig,
    load_yaml_file,
    parse_config,
)
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: [\n", r"line 3: invalid YAML"),
        (
            "http:\n  retries: 1\nbatch_size: 5\nhttp:\n  retries: 2\n",
            r"line 4: invalid YAML \(duplicate key 'http' \(first on line 1\)\)$",
        ),
        ("http: {retries: 1, retries: 2}\n", r"line 1: invalid YAML \(duplicate key 'retries' \(first on line 1\)\)$"),
        ("http:\n\tretries: 1\n", r"line 2: invalid YAML \(.*a tab, and YAML indents with spaces only\)$"),
    ],
    ids=["syntax error", "key given twice", "key given twice on one line", "tab indenting"],
)
def test_a_yaml_problem_is_one_line_naming_the_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_yaml_file(path)

    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert re.search(expected, message), message


def test_a_file_that_is_not_utf8_is_one_line_naming_where(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nname: caf\u00e9\n".encode("latin-1"))

    with pytest.raises(ConfigError) as raised:
        load_yaml_file(path)

    assert str(raised.value) == f"{path}: line 2: not UTF-8 text (byte 14: 0xe9)"


def test_a_config_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: the size is what counts
        handle.truncate(MAX_CONFIG_BYTES + 1)

    with pytest.raises(ConfigError, match=r"huge\.yaml: [\d,]+ bytes, over the 16,777,216-byte limit of a config file"):
        load_yaml_file(path)


def test_a_config_that_is_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(ConfigError) as raised:
        load_yaml_file(Path("/dev/zero"))  # read whole, it never ends

    assert str(raised.value) == "/dev/zero: not a regular file (a config is read from a file)"


def test_a_config_that_is_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    path = tmp_path / "config.fifo"
    os.mkfifo(path)  # opening it for reading would wait for a writer forever

    with pytest.raises(ConfigError) as raised:
        load_yaml_file(path)

    assert str(raised.value) == f"{path}: not a regular file (a config is read from a file)"


@pytest.mark.parametrize(
    ("model_name", "data", "expected"),
    [
        ("ingestion", {"http": {"retires": 2}}, "http.retires: unknown key (did you mean 'retries'?)"),
        (
            "ingestion",
            {
                "scheduled_file_downloads": {
                    "data_source_name": "a",
                    "local_artifacts_storage_base": "b",
                    "files_to_acquire": [{"name": "x", "url": "http://h/x", "link_titel": "t"}],
                }
            },
            "scheduled_file_downloads.files_to_acquire[0].link_titel: unknown key (did you mean 'link_title'?)",
        ),
        (
            "mapping",
            {"departments": {"beta": {"display_name": "B", "descripton": ""}}},
            "(did you mean 'description'?)",
        ),
    ],
)
def test_an_unknown_key_at_any_depth_names_the_closest_known_one(
    model_name: str, data: dict[str, object], expected: str
) -> None:
    from airnub_prefect_starter.core.departments import DepartmentMapping
    from flows.dept_project_alpha.config_models_dept_project_alpha import IngestionStageConfig

    model = IngestionStageConfig if model_name == "ingestion" else DepartmentMapping

    with pytest.raises(ConfigError) as raised:
        parse_config(model, data, "f.yaml")

    assert expected in str(raised.value)


class _Stored(ConfigModel):
    base: StorageBase


@pytest.mark.parametrize(
    ("value", "expected"),
    [("downloads", "downloads"), ("/srv/store", "/srv/store"), ("s3://my-bucket/raw/", "s3://my-bucket/raw")],
)
def test_a_storage_base_is_a_path_or_an_s3_url(value: str, expected: str) -> None:
    assert _Stored(base=value).base == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gs://bucket/raw", "gs:// is not a storage this project writes to"),
        ("s3://key:secret@bucket/raw", "credentials do not belong in a storage URL"),
        ("s3://B!/raw", "is not an S3 bucket name"),
    ],
)
def test_a_storage_base_refuses_other_schemes_credentials_and_bad_buckets(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _Stored(base=value)
