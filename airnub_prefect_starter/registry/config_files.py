"""Stage config files under ``configs/variables/``: discovery, validation, and their Prefect Variable form.

A file ``configs/variables/dept_<id>/<stage>_config_dept_<id>.yaml`` becomes the Variable
``dept_<id>_<stage>_config`` holding the file's data as JSON (validated, at most 5000 characters).
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
from airnub_prefect_starter.core.departments import STAGES, stage_variable_name
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.models import STAGE_CONFIG_MODELS, department_stage_models

__all__ = [
    "MAX_VARIABLE_CHARS",
    "StageConfigFile",
    "discover_config_files",
    "load_stage_config_file",
    "stage_config_model",
    "variable_json",
]

MAX_VARIABLE_CHARS = 5000
_VARIABLE_NAME = re.compile(r"^[a-z0-9_-]{1,255}$")
_FILE_NAME = re.compile(r"^(?P<stage>[a-z]+)_config_dept_(?P<department>[a-z][a-z0-9_]*)\.ya?ml$")


def stage_config_model(stage: str, department: str | None = None) -> type[BaseModel]:
    """The pydantic model validating a stage's config: the department's own (``flows.dept_<id>.
    config_models_dept_<id>``, see :func:`department_stage_models`) if it has one, else the project's."""
    models = (department_stage_models(department) if department else None) or STAGE_CONFIG_MODELS
    if stage not in models:
        raise ConfigError(f"stage '{stage}': no config model (known: {', '.join(models)})")
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
