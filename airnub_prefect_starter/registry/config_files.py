"""Stage config files under ``configs/variables/``: discovery, validation, and their Prefect Variable form.

A file ``configs/variables/dept_<id>/<stage>_config_dept_<id>.yaml`` becomes the Variable
``dept_<id>_<stage>_config`` holding the file's data as JSON (validated, at most 5000 characters). Any other file
validates as a ``--config`` file (:func:`load_any_stage_config_file`): its stage and department given, or named by
its editor header ``# yaml-language-server: $schema=.../schemas/dept_<id>/<stage>_config.schema.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from airnub_prefect_starter.common.utils import redact_url, url_carries_secret
from airnub_prefect_starter.core.config import load_yaml_file, parse_config
from airnub_prefect_starter.core.departments import STAGES, check_stage, department_id, stage_variable_name
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.models import department_stage_models
from airnub_prefect_starter.registry.schemas import stage_config_modeline

__all__ = [
    "MAX_VARIABLE_CHARS",
    "AnyStageConfigFile",
    "StageConfigFile",
    "discover_config_files",
    "load_any_stage_config_file",
    "load_stage_config_file",
    "SchemaLine",
    "schema_line",
    "schema_line_hint",
    "stage_config_model",
    "variable_json",
]

MAX_VARIABLE_CHARS = 5000
_VARIABLE_NAME = re.compile(r"^[a-z0-9_-]{1,255}$")
_FILE_NAME = re.compile(r"^(?P<stage>[a-z]+)_config_dept_(?P<department>[a-z][a-z0-9_]*)\.ya?ml$")
_SCHEMA_LINE = re.compile(
    r"#\s*yaml-language-server:\s*\$schema=\S*?(?:(?<![^/])dept_(?P<department>[a-z][a-z0-9_]*)/)?"
    r"(?P<stage>[a-z]+)_config\.schema\.json\s*"
)
_HEADER_LINES = 20


def stage_config_model(stage: str, department: str) -> type[BaseModel]:
    """The pydantic model validating a stage's config: the department's own (``flows.dept_<id>.
    config_models_dept_<id>``, see :func:`department_stage_models`)."""
    models = department_stage_models(department)
    if stage not in models:
        key = department_id(department)
        raise ConfigError(f"department '{key}', stage '{stage}': no config model (known: {', '.join(models)})")
    return models[stage]


@dataclass(frozen=True)
class StageConfigFile:
    path: Path
    department: str
    stage: str
    variable_name: str
    value: dict[str, Any]
    model: BaseModel

    @property
    def json_chars(self) -> int:
        return len(variable_json(self.value))


def variable_json(value: Any) -> str:
    """The JSON text whose length Prefect limits (default separators: the conservative count)."""
    return json.dumps(value, sort_keys=True)


def _secret_bearing_urls(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """``(key path, URL)`` for every string in ``value`` that is a URL carrying a credential."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _secret_bearing_urls(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _secret_bearing_urls(item, f"{key}[{number}]")
    elif isinstance(value, str) and "://" in value and url_carries_secret(value):
        yield key, value


def discover_config_files(config_dir: Path) -> list[Path]:
    """Every stage config YAML under ``<config_dir>/variables/``, sorted."""
    root = config_dir / "variables"
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()) if root.is_dir() else []


def load_stage_config_file(path: Path) -> StageConfigFile:
    """Validate one stage config file: its name, its content against the stage model, its Variable size."""
    match = _FILE_NAME.fullmatch(path.name)
    if match is None or match["stage"] not in STAGES:
        raise ConfigError(
            f"{path}: <file name>: expected <stage>_config_dept_<id>.yaml with stage one of {', '.join(STAGES)}"
        )
    department, stage = match["department"], match["stage"]
    if path.parent.name != f"dept_{department}":
        raise ConfigError(f"{path}: <file name>: must live in a folder named dept_{department}")
    name = stage_variable_name(department, stage)
    if not _VARIABLE_NAME.fullmatch(name):
        raise ConfigError(f"{path}: <variable name>: '{name}' must match [a-z0-9_-], at most 255 characters")
    data = load_yaml_file(path)
    model = parse_config(stage_config_model(stage, department), data, str(path))
    for key, url in _secret_bearing_urls(data):
        raise ConfigError(
            f"{path}: {key}: {redact_url(url)} carries a credential, which the Prefect Variable would store in "
            "Prefect's database: name a Secret block in the source's auth: section instead (or pass the file "
            "with `airnub run --config`)"
        )
    loaded = StageConfigFile(path, department, stage, name, data, model)
    if loaded.json_chars > MAX_VARIABLE_CHARS:
        raise ConfigError(
            f"{path}: <root>: {loaded.json_chars} characters of JSON, over the {MAX_VARIABLE_CHARS}-character "
            "limit of a Prefect Variable (move long lists to a file passed with --config)"
        )
    return loaded


@dataclass(frozen=True)
class AnyStageConfigFile:
    """A stage config file of any name, validated as ``airnub run --config`` validates it."""

    path: Path
    stage: str
    department: str
    model: BaseModel


@dataclass(frozen=True)
class SchemaLine:
    """What a file's editor header names: its stage, and its department when the schema is a department's
    (``.../schemas/dept_<id>/<stage>_config.schema.json``)."""

    stage: str
    department: str | None


def schema_line(path: Path) -> SchemaLine | None:
    """The stage (and department) the file's editor header names (``# yaml-language-server: $schema=...`` among
    its leading comment lines), or ``None``. Call it after :func:`load_yaml_file` accepted the file."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for _, line in zip(range(_HEADER_LINES), handle, strict=False):
            if not line.startswith("#"):
                break
            match = _SCHEMA_LINE.fullmatch(line.rstrip("\n"))
            if match is not None and match["stage"] in STAGES:
                return SchemaLine(match["stage"], match["department"])
    return None


def load_any_stage_config_file(
    path: Path, stage: str | None = None, department: str | None = None
) -> AnyStageConfigFile:
    """Validate ``path`` with the model ``airnub run DEPT STAGE --config path`` uses. The stage: ``stage``, else
    the one its ``$schema`` header line names, else the one its name ``<stage>_config_dept_<id>.yaml`` names; the
    department likewise: ``department``, else its header's, else its name's. A header naming another stage than
    ``stage`` is refused: one of the two is a mistake."""
    data = load_yaml_file(path)
    header = schema_line(path)
    named = _FILE_NAME.fullmatch(path.name)
    from_name = named["stage"] if named is not None and named["stage"] in STAGES else None
    if stage is not None:
        check_stage(stage)
        if header is not None and header.stage != stage:
            raise ConfigError(f"{path}: --stage {stage}, but its $schema line names the {header.stage} config schema")
    chosen = stage or (header.stage if header else None) or from_name
    if chosen is None:
        raise ConfigError(
            f"{path}: no stage given: pass --stage ({', '.join(STAGES)}), or start the file with its schema line "
            "(# yaml-language-server: $schema=.../schemas/dept_<id>/<stage>_config.schema.json)"
        )
    key = (
        department_id(department)
        if department is not None
        else (header.department if header else None) or (named["department"] if named else None)
    )
    if key is None:
        raise ConfigError(
            f"{path}: no department given: pass --department, or start the file with its schema line "
            f"(# yaml-language-server: $schema=.../schemas/dept_<id>/{chosen}_config.schema.json)"
        )
    model = parse_config(stage_config_model(chosen, key), data, str(path))
    return AnyStageConfigFile(path, chosen, key, model)


def schema_line_hint(path: Path) -> str | None:
    """For a stage config file ``<stage>_config_dept_<id>.yaml`` whose first line is not the editor line naming its
    department's schema (a file written before schemas were per department, or by hand): one line saying which
    line to put first. ``None`` when it is there, or the file is not named as a stage config."""
    match = _FILE_NAME.fullmatch(path.name)
    if match is None or match["stage"] not in STAGES:
        return None
    expected = stage_config_modeline(match["department"], match["stage"])
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = handle.readline().rstrip("\n")
    if first == expected:
        return None
    return f"{path}: start it with `{expected}` for editor completion and checks against its department's schema"
