"""JSON Schemas of the config files: committed and current, referenced by every shipped YAML, and as strict as
the models (an editor flags what `airnub config validate` would reject)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from airnub_prefect_starter.core.config import load_yaml_file, parse_config
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.config_files import discover_config_files, load_stage_config_file
from airnub_prefect_starter.registry.models import STAGE_CONFIG_MODELS
from airnub_prefect_starter.registry.schemas import (
    MAPPING_SCHEMA_FILE,
    SCHEMA_DIR_NAME,
    render_schema_files,
    schema_modeline,
    stage_schema_file,
    write_schema_files,
)
from flows.dept_project_alpha.config_models_dept_project_alpha import STAGE_CONFIG_MODELS as ALPHA_MODELS
from tests.support.project_copy import REPO_ROOT

REPO_CONFIGS = REPO_ROOT / "configs"
SCHEMAS = REPO_CONFIGS / SCHEMA_DIR_NAME
INGESTION_YAML = REPO_CONFIGS / "variables" / "dept_project_alpha" / "ingestion_config_dept_project_alpha.yaml"


def _validator(schema_file: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _messages(errors: Iterable[jsonschema.ValidationError]) -> Iterator[str]:
    """Every message, those inside ``anyOf`` branches (an optional section) included."""
    for error in errors:
        yield error.message
        yield from _messages(error.context or ())


def _errors(schema_file: str, data: Any) -> list[str]:
    return sorted(_messages(_validator(schema_file).iter_errors(data)))


def _project_wide_config_files() -> list[Path]:
    """Project Alpha's shipped stage configs: they name the committed schemas, which are those of the project-wide
    reference models (Project Alpha's generated models accept exactly what those do: tested below)."""
    return [path for path in discover_config_files(REPO_CONFIGS) if path.parent.name == "dept_project_alpha"]


def test_committed_schemas_match_the_models() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in SCHEMAS.glob("*.json")}

    assert committed == render_schema_files(), "configs/schemas/ is out of date: run `airnub config schema`"
    assert {stage_schema_file(stage) for stage in STAGE_CONFIG_MODELS} | {MAPPING_SCHEMA_FILE} == set(committed)


def test_every_shipped_stage_config_names_its_schema_and_validates_against_it() -> None:
    files = _project_wide_config_files()
    assert {load_stage_config_file(path).stage for path in files} == set(STAGE_CONFIG_MODELS)

    for path in files:
        stage = load_stage_config_file(path).stage
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line == schema_modeline(stage_schema_file(stage), depth=2), path
        assert (path.parent / first_line.split("$schema=", 1)[1]).resolve() == SCHEMAS / stage_schema_file(stage)
        assert _errors(stage_schema_file(stage), load_yaml_file(path)) == [], path


def test_department_mapping_names_its_schema_and_validates_against_it() -> None:
    path = REPO_CONFIGS / "department_mapping.yaml"

    assert path.read_text(encoding="utf-8").splitlines()[0] == schema_modeline(MAPPING_SCHEMA_FILE, depth=0)
    assert _errors(MAPPING_SCHEMA_FILE, load_yaml_file(path)) == []
    assert _errors(MAPPING_SCHEMA_FILE, {"departments": {"Bad-Id": {"display_name": "x"}}}) != []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["scheduled_file_downloads"].update(files_to_aquire=[]),
            "Additional properties are not allowed ('files_to_aquire' was unexpected)",
        ),
        (lambda d: d.update(batch_size=0), "0 is less than the minimum of 1"),
        (lambda d: d["http"].update(retries="three"), "'three' is not of type 'integer'"),
        (lambda d: d["task_runner"].update(kind="processes"), "'processes' is not one of ['threads', 'dask']"),
        (lambda d: d["scheduled_file_downloads"].pop("data_source_name"), "'data_source_name' is a required property"),
    ],
)
def test_ingestion_schema_rejects_what_the_model_rejects(change: Any, expected: str) -> None:
    data = copy.deepcopy(load_yaml_file(INGESTION_YAML))
    change(data)

    assert expected in _errors(stage_schema_file("ingestion"), data)
    with pytest.raises(ConfigError):
        parse_config(STAGE_CONFIG_MODELS["ingestion"], data, "test")


def test_write_schema_files_rewrites_only_changed_files(tmp_path: Path) -> None:
    first = write_schema_files(tmp_path)
    (tmp_path / MAPPING_SCHEMA_FILE).write_text("{}", encoding="utf-8")
    second = write_schema_files(tmp_path)

    assert set(first.values()) == {True}
    assert second == {path: path.name == MAPPING_SCHEMA_FILE for path in first}
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == render_schema_files()


def test_project_alpha_validates_with_models_whose_schema_is_the_committed_one() -> None:
    """Project Alpha's generated stage models and the project-wide reference models (whose JSON Schemas and
    reference page are committed) accept exactly the same configs."""

    for stage, reference in STAGE_CONFIG_MODELS.items():
        alpha = ALPHA_MODELS[stage].model_json_schema()
        ours = reference.model_json_schema()
        for schema in (alpha, ours):
            schema.pop("title", None)
            schema.pop("description", None)
            for field in schema["properties"].values():
                field.pop("description", None)
                field.pop("title", None)
        assert alpha == ours, stage
