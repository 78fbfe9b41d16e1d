"""Names the generators accept and the names they derive (modules, functions, classes, titles).

Every id becomes part of module paths, function names and Prefect Variable names, so it must be a short,
lower-case Python identifier. The derived names follow the house convention: ``<verb>_<category>_flow_dept_<id>``
for category flows, ``<verb>_<category>_task_dept_<id>`` for their task wrappers.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from pydantic import BaseModel

from airnub_prefect_starter.analysis.config import AnalysisStageBase
from airnub_prefect_starter.core.departments import check_stage, stage_variable_name
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.config import IngestionStageBase
from airnub_prefect_starter.processing.config import ProcessingStageBase
from airnub_prefect_starter.registry.manifest import KINDS, STOCK_KINDS, VERBS, Kind, manifest_file

__all__ = [
    "KINDS",
    "MAX_ID_CHARS",
    "STAGE_KINDS",
    "STOCK_KINDS",
    "CategoryNames",
    "DepartmentNames",
    "Kind",
    "TaskNames",
    "check_category_id",
    "check_department_id",
    "check_display_name",
    "check_kind",
    "check_stage",
    "check_task_id",
]

MAX_ID_CHARS = 30

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
#: The kinds each stage can have: four that fetch into the store, stored objects -> declared datasets
#: (``tabular``), datasets -> statistics, figures, a model and a report (``report``).
STAGE_KINDS: dict[str, tuple[Kind, ...]] = {
    "ingestion": ("downloads", "api", "scrape", "custom"),
    "processing": ("tabular",),
    "analysis": ("report",),
}
#: Keys of every stage config (its base model's fields): a category cannot be named like them.
STAGE_KEYS = frozenset(
    name for model in (IngestionStageBase, ProcessingStageBase, AnalysisStageBase) for name in model.model_fields
)
_DISPLAY_FORBIDDEN = re.compile(r'["\\/\x00-\x1f\x7f]')


def _check_identifier(what: str, value: str) -> str:
    if not _IDENTIFIER.fullmatch(value) or keyword.iskeyword(value):
        raise ConfigError(
            f"{what} '{value}': must be a lower-case Python identifier (letters, digits, single '_' between "
            "them, starting with a letter), not a keyword"
        )
    if len(value) > MAX_ID_CHARS:
        raise ConfigError(f"{what} '{value}': at most {MAX_ID_CHARS} characters (it becomes part of module names)")
    return value


def check_department_id(value: str) -> str:
    """``beta`` or ``dept_beta`` -> ``beta``; raise :class:`ConfigError` for anything else."""
    return _check_identifier("department", value.removeprefix("dept_"))


def check_category_id(value: str) -> str:
    """A category id that can be a config key, a package name and a pydantic field."""
    _check_identifier("category", value)
    if value in STAGE_KEYS or value.startswith("model_") or hasattr(BaseModel, value):
        raise ConfigError(f"category '{value}': reserved (stage config keys and pydantic model attributes)")
    return value


def check_task_id(value: str) -> str:
    return _check_identifier("task", value)


def check_kind(value: str, stage: str) -> Kind:
    """``value`` if it is a kind that ``stage`` can have, else a :class:`ConfigError` saying which it can."""
    kinds = STAGE_KINDS[check_stage(stage)]
    for kind in kinds:
        if value == kind:
            return kind
    raise ConfigError(f"kind '{value}': must be one of {', '.join(kinds)} (the kinds of a {stage} category)")


def check_display_name(value: str) -> str:
    """A display name for flow names and artifacts: 1-60 printable characters, no ``/``, ``"`` or ``\\``."""
    name = value.strip()
    if not name or len(name) > 60 or _DISPLAY_FORBIDDEN.search(name):
        raise ConfigError(f"display name {value!r}: 1 to 60 characters without '/', '\"', '\\' or control characters")
    return name


def _camel(value: str) -> str:
    return "".join(part.capitalize() for part in value.split("_"))


def _title(value: str) -> str:
    return value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class DepartmentNames:
    """``id``: ``beta``; ``package``: ``dept_beta``; ``display``: ``Beta Team``."""

    id: str
    display: str

    @property
    def package(self) -> str:
        return f"dept_{self.id}"

    def stage_flow(self, stage: str) -> str:
        return f"{stage}_flow_dept_{self.id}"

    def stage_variable(self, stage: str) -> str:
        return stage_variable_name(self.id, stage)

    def stage_config_file(self, stage: str) -> str:
        return f"{stage}_config_dept_{self.id}.yaml"

    @property
    def config_models_module(self) -> str:
        return f"config_models_dept_{self.id}"

    @property
    def manifest_file(self) -> str:
        return manifest_file(self.id)


@dataclass(frozen=True)
class CategoryNames:
    """The names of one category of one stage of a department."""

    dept: DepartmentNames
    stage: str
    id: str
    kind: Kind

    @property
    def verb(self) -> str:
        return VERBS[self.kind]

    @property
    def camel(self) -> str:
        return _camel(self.id)

    @property
    def title(self) -> str:
        return _title(self.id)

    @property
    def flow_module(self) -> str:
        return f"{self.verb}_{self.id}_flow_dept_{self.dept.id}"

    @property
    def task_module(self) -> str:
        return f"{self.verb}_{self.id}_task_dept_{self.dept.id}"

    @property
    def config_module(self) -> str:
        """Only ``custom`` categories have their own config model module."""
        return f"config_{self.id}_dept_{self.dept.id}"

    @property
    def check_module(self) -> str:
        """Only ``custom`` categories: the pure body check in ``core/``."""
        return f"check_{self.id}_dept_{self.dept.id}"

    @property
    def data_source_name(self) -> str:
        return f"{self.dept.id}_{self.id}"

    @property
    def storage_base(self) -> str:
        return f"{self.dept.package}/{self.stage}"


@dataclass(frozen=True)
class TaskNames:
    """``airnub new task``: a pure function in ``core/`` and its task wrapper in ``tasks/``."""

    dept: DepartmentNames
    stage: str
    category: str
    id: str

    @property
    def camel(self) -> str:
        return _camel(self.id)

    @property
    def title(self) -> str:
        return _title(self.id)

    @property
    def core_module(self) -> str:
        return f"{self.id}_dept_{self.dept.id}"

    @property
    def task_module(self) -> str:
        return f"{self.id}_task_dept_{self.dept.id}"
