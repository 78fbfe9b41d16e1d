"""JSON Schemas for the config files, exported from each department's own models (``airnub config schema``).

One schema per stage of every department, ``configs/schemas/dept_<id>/<stage>_config.schema.json``, from the
models of ``flows/dept_<id>/config_models_dept_<id>.py``, and one for ``configs/department_mapping.yaml``. Each
YAML file names its schema in a first-line comment that editors with the YAML language server (VS Code,
JetBrains, Neovim) understand, so keys are completed and checked while typing::

    # yaml-language-server: $schema=../../schemas/dept_project_alpha/ingestion_config.schema.json

The schemas are derived data: a test compares the committed files with fresh output, and ``airnub new`` writes a
department's schemas with its models.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from airnub_prefect_starter.core.departments import DepartmentMapping, department_id

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "MAPPING_SCHEMA_FILE",
    "SCHEMA_DIR_NAME",
    "config_schema",
    "department_schema_files",
    "render_schema_files",
    "schema_modeline",
    "stage_config_modeline",
    "stage_schema_file",
    "write_schema_files",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR_NAME = "schemas"
MAPPING_SCHEMA_FILE = "department_mapping.schema.json"


def stage_schema_file(stage: str, department: str) -> str:
    """``dept_<id>/<stage>_config.schema.json``: where the stage's schema lives under ``configs/schemas/``."""
    return f"dept_{department_id(department)}/{stage}_config.schema.json"


def schema_modeline(schema_file: str, depth: int) -> str:
    """The first-line comment pointing a YAML file ``depth`` folders below ``configs/`` at its schema."""
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_DIR_NAME}/{schema_file}"


def stage_config_modeline(department: str, stage: str) -> str:
    """The first line of ``configs/variables/dept_<id>/<stage>_config_dept_<id>.yaml``."""
    return schema_modeline(stage_schema_file(stage, department), depth=2)


def _close_pattern_properties(node: Any) -> None:
    """A mapping with a key pattern accepts no other keys (pydantic rejects them; say so in the schema too)."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close_pattern_properties(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_properties(value)


def config_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The model's validation JSON Schema with the dialect first and a readable title."""
    schema = model.model_json_schema(mode="validation")
    schema["title"] = title
    _close_pattern_properties(schema)
    return {"$schema": JSON_SCHEMA_DIALECT, **schema}


def _text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def department_schema_files(department: str, stage_models: Mapping[str, type[BaseModel]]) -> dict[str, str]:
    """``{dept_<id>/<stage>_config.schema.json: JSON text}`` for one department's stage models."""
    key = department_id(department)
    return {
        stage_schema_file(stage, key): _text(
            config_schema(model, f"{stage} stage config of dept_{key} (Prefect Variable dept_{key}_{stage}_config)")
        )
        for stage, model in stage_models.items()
    }


def render_schema_files(departments: Mapping[str, Mapping[str, type[BaseModel]]]) -> dict[str, str]:
    """``{path under configs/schemas/: JSON text}`` for every stage of every department and the department
    mapping (stable, newline-terminated)."""
    files = {MAPPING_SCHEMA_FILE: _text(config_schema(DepartmentMapping, "configs/department_mapping.yaml"))}
    for department, stage_models in sorted(departments.items()):
        files.update(department_schema_files(department, stage_models))
    return files


def write_schema_files(out_dir: Path, departments: Mapping[str, Mapping[str, type[BaseModel]]]) -> dict[Path, bool]:
    """Write every schema into ``out_dir``; ``{path: changed}`` (unchanged files are not rewritten)."""
    written: dict[Path, bool] = {}
    for name, text in render_schema_files(departments).items():
        path = out_dir / name
        changed = not path.is_file() or path.read_text(encoding="utf-8") != text
        if changed:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        written[path] = changed
    return written
