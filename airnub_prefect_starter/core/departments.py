"""Department ids, Variable names and display names (``configs/department_mapping.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field

from airnub_prefect_starter.core.config import ConfigModel, did_you_mean, load_yaml_file, parse_config
from airnub_prefect_starter.core.errors import ConfigError

__all__ = [
    "STAGES",
    "DepartmentInfo",
    "DepartmentMapping",
    "check_stage",
    "department_id",
    "display_name",
    "load_department_mapping",
    "stage_variable_name",
]

STAGES = ("ingestion", "processing", "analysis")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MAPPING_FILE = "department_mapping.yaml"


class DepartmentInfo(ConfigModel):
    """How people see one department."""

    display_name: str = Field(min_length=1, description="Human name used in flow-run names and artifacts.")
    description: str = Field(default="", description="One line about the department.")


class DepartmentMapping(ConfigModel):
    """``configs/department_mapping.yaml``: department id -> display name."""

    departments: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], DepartmentInfo] = Field(
        description="Department id (lower-case letters, digits, '_'; as in dept_<id>) -> its display name."
    )

    def display_name(self, department: str) -> str:
        key = department.removeprefix("dept_")
        info = self.departments.get(key)
        return info.display_name if info else key.replace("_", " ").title()


def department_id(department: str) -> str:
    """``project_alpha`` or ``dept_project_alpha`` -> ``project_alpha``."""
    key = department.removeprefix("dept_")
    if not _ID.fullmatch(key):
        raise ConfigError(f"department '{department}': must be lower-case letters, digits and '_' (e.g. project_alpha)")
    return key


def check_stage(stage: str) -> str:
    """``stage`` if it is one of :data:`STAGES`, else a :class:`ConfigError` naming them."""
    if stage not in STAGES:
        raise ConfigError(f"stage '{stage}': must be one of {', '.join(STAGES)}{did_you_mean(stage, STAGES)}")
    return stage


def stage_variable_name(department: str, stage: str) -> str:
    """The Prefect Variable holding a stage config: ``dept_<id>_<stage>_config``."""
    return f"dept_{department_id(department)}_{check_stage(stage)}_config"


def load_department_mapping(config_dir: Path) -> DepartmentMapping:
    path = config_dir / MAPPING_FILE
    if not path.is_file():
        return DepartmentMapping(departments={})
    return parse_config(DepartmentMapping, load_yaml_file(path), str(path))


def display_name(department: str, config_dir: Path) -> str:
    """The department's display name from the mapping, else its id in title case."""
    return load_department_mapping(config_dir).display_name(department_id(department))
