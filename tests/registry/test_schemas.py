"""JSON Schemas of the config files: one per department and stage, from the department's own models, committed and
current, named by the `$schema` line of every shipped YAML (which validates against it), and as strict as the models
(an editor flags what `airnub config validate` would reject)."""

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
from airnub_prefect_starter.registry.models import all_department_models, department_stage_models
from airnub_prefect_starter.registry.schemas import (
    MAPPING_SCHEMA_FILE,
    SCHEMA_DIR_NAME,
    render_schema_files,
    schema_modeline,
    stage_config_modeline,
    stage_schema_file,
    write_schema_files,
)
from flows.dept_project_alpha.config_models_dept_project_alpha import STAGE_CONFIG_MODELS as ALPHA_MODELS
from tests.support.project_copy import REPO_ROOT

REPO_CONFIGS = REPO_ROOT / "configs"
SCHEMAS = REPO_CONFIGS / SCHEMA_DIR_NAME
INGESTION_YAML = REPO_CONFIGS / "variables" / "dept_project_alpha" / "ingestion_config_dept_project_alpha.yaml"


def _load_validator(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _messages(errors: Iterable[jsonschema.ValidationError]) -> Iterator[str]:
    """Every message, those inside ``anyOf`` branches (an optional section) included."""
    for error in errors:
        yield error.message
        yield from _messages(error.context or ())


def _errors(schema_file: str, data: Any) -> list[str]:
    return sorted(_messages(_load_validator(SCHEMAS / schema_file).iter_errors(data)))


def _named_schema(path: Path) -> Path:
    """The schema file the YAML's first line names (``# yaml-language-server: $schema=<relative path>``)."""
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema="), path
    return (path.parent / first_line.split("$schema=", 1)[1]).resolve()


def test_committed_schemas_match_every_departments_models() -> None:
    committed = {p.relative_to(SCHEMAS).as_posix(): p.read_text(encoding="utf-8") for p in SCHEMAS.rglob("*.json")}

    assert committed == render_schema_files(all_department_models()), (
        "configs/schemas/ is out of date: run `airnub config schema` and commit the result"
    )
    assert {stage_schema_file(stage, "project_alpha") for stage in ALPHA_MODELS} < set(committed)


def test_every_yaml_under_configs_variables_validates_against_the_schema_its_first_line_names() -> None:
    files = discover_config_files(REPO_CONFIGS)
    assert {load_stage_config_file(path).stage for path in files} == set(ALPHA_MODELS)

    for path in files:
        loaded = load_stage_config_file(path)
        assert path.read_text(encoding="utf-8").splitlines()[0] == stage_config_modeline(
            loaded.department, loaded.stage
        )
        schema = _named_schema(path)
        assert schema == SCHEMAS / stage_schema_file(loaded.stage, loaded.department), path
        assert sorted(_messages(_load_validator(schema).iter_errors(load_yaml_file(path)))) == [], path


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
        (lambda d: d.update(reports={}), "Additional properties are not allowed ('reports' was unexpected)"),
    ],
)
def test_ingestion_schema_rejects_what_the_model_rejects(change: Any, expected: str) -> None:
    data = copy.deepcopy(load_yaml_file(INGESTION_YAML))
    change(data)

    assert expected in _errors(stage_schema_file("ingestion", "project_alpha"), data)
    with pytest.raises(ConfigError):
        parse_config(ALPHA_MODELS["ingestion"], data, "test")


def test_write_schema_files_rewrites_only_changed_files(tmp_path: Path) -> None:
    departments = all_department_models()
    first = write_schema_files(tmp_path, departments)
    (tmp_path / MAPPING_SCHEMA_FILE).write_text("{}", encoding="utf-8")
    second = write_schema_files(tmp_path, departments)

    assert set(first.values()) == {True}
    assert second == {path: path.name == MAPPING_SCHEMA_FILE for path in first}
    written = {p.relative_to(tmp_path).as_posix(): p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.json")}
    assert written == render_schema_files(departments)


def test_a_department_without_config_models_is_one_line_naming_the_fix() -> None:
    with pytest.raises(ConfigError) as raised:
        department_stage_models("never_generated")

    assert str(raised.value) == (
        "department 'never_generated': no config models (flows/dept_never_generated/config_models_dept_never_generated"
        ".py not found): generate the department with `airnub new department never_generated`, or write that module "
        "with a STAGE_CONFIG_MODELS dict mapping each stage to its model"
    )
