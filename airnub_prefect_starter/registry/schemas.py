"""JSON Schemas for the config files, exported from the pydantic models (``airnub config schema``).

One schema per registered stage model (``configs/schemas/<stage>_config.schema.json``) and one for
``configs/department_mapping.yaml``. Each YAML file names its schema in a first-line comment that editors with the
YAML language server (VS Code, JetBrains, Neovim) understand, so keys are completed and checked while typing::

    # yaml-language-server: $schema=../../schemas/ingestion_config.schema.json

The schemas are derived data: a test compares the committed files with fresh output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from airnub_prefect_starter.core.departments import DepartmentMapping
from airnub_prefect_starter.registry.models import STAGE_CONFIG_MODELS

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "MAPPING_SCHEMA_FILE",
    "SCHEMA_DIR_NAME",
    "config_schema",
    "render_schema_files",
    "schema_modeline",
    "stage_schema_file",
    "write_schema_files",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_DIR_NAME = "schemas"
MAPPING_SCHEMA_FILE = "department_mapping.schema.json"


def stage_schema_file(stage: str) -> str:
    """``<stage>_config.schema.json``."""
    return f"{stage}_config.schema.json"


def schema_modeline(schema_file: str, depth: int) -> str:
    """The first-line comment pointing a YAML file ``depth`` folders below ``configs/`` at its schema."""
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_DIR_NAME}/{schema_file}"


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


def render_schema_files(stage_models: Mapping[str, type[BaseModel]] | None = None) -> dict[str, str]:
    """``{file name: JSON text}`` for every stage model and the department mapping (stable, newline-terminated)."""
    models = STAGE_CONFIG_MODELS if stage_models is None else stage_models
    schemas = {
        stage_schema_file(stage): config_schema(model, f"{stage} stage config (dept_<id>_{stage}_config)")
        for stage, model in models.items()
    }
    schemas[MAPPING_SCHEMA_FILE] = config_schema(DepartmentMapping, "configs/department_mapping.yaml")
    return {name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n" for name, schema in schemas.items()}


def write_schema_files(out_dir: Path, stage_models: Mapping[str, type[BaseModel]] | None = None) -> dict[Path, bool]:
    """Write every schema into ``out_dir``; ``{path: changed}`` (unchanged files are not rewritten)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[Path, bool] = {}
    for name, text in render_schema_files(stage_models).items():
        path = out_dir / name
        changed = not path.is_file() or path.read_text(encoding="utf-8") != text
        if changed:
            path.write_text(text, encoding="utf-8")
        written[path] = changed
    return written
