"""The department manifest ``flows/dept_<id>/categories_dept_<id>.yaml``: every category of every stage, in
run order, with its kind. It is the source the generated wiring modules are rendered from:

* ``flows/dept_<id>/config_models_dept_<id>.py``: the stage config models (the stage's base keys plus one optional
  section per category) and ``STAGE_CONFIG_MODELS``, which ``airnub config validate`` / ``variables sync`` /
  ``run`` look up;
* ``flows/dept_<id>/<stage>/categories_dept_<id>.py``: ``CATEGORY_FLOWS``, which the parent stage flow runs.

A category is its kind (``downloads``: the generator wrote it and knows its names), or a mapping that says more:
``{kind: downloads, flow: <module>}`` when its flow module has another name, or ``{kind: manual, flow: <module>,
model: <package.module.Model>}`` for a category written by hand (the generators wire it, never write it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from airnub_prefect_starter.core.config import load_yaml_file, parse_config
from airnub_prefect_starter.core.departments import STAGES
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.naming import (
    STOCK_KINDS,
    CategoryNames,
    DepartmentNames,
    Kind,
    check_category_id,
)
from airnub_prefect_starter.generators.rendering import natural_key, render

__all__ = [
    "API_MODULE",
    "CORE_MODELS",
    "STAGE_BASES",
    "CategoryEntry",
    "DepartmentManifest",
    "config_models_text",
    "read_manifest",
    "stage_flow_text",
    "stage_wiring_text",
]

#: The one module generated code imports the package from (its public face).
API_MODULE = "airnub_prefect_starter.api"
#: The section model of each stock kind, by name (in the public face; ``custom`` categories bring their own).
CORE_MODELS: dict[str, str] = {name: kind.section.__name__ for name, kind in STOCK_KINDS.items()}


@dataclass(frozen=True)
class StageNames:
    """Where a stage's shared pieces live: its base config model, contract and outcome type."""

    stage: str
    base_model: str
    contract: str
    outcome: str

    @property
    def model(self) -> str:
        """The department's stage config model: ``IngestionStageConfig``."""
        return f"{self.stage.capitalize()}StageConfig"


STAGE_BASES: dict[str, StageNames] = {
    "ingestion": StageNames("ingestion", "IngestionStageBase", "INGESTION", "ItemOutcome"),
    "processing": StageNames("processing", "ProcessingStageBase", "PROCESSING", "DatasetOutcome"),
    "analysis": StageNames("analysis", "AnalysisStageBase", "ANALYSIS", "AnalysisOutcome"),
}
_IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class CategoryEntry(BaseModel):
    """One category of the manifest, in its long form."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal[Kind, "manual"]
    flow: str | None = Field(default=None, pattern=_IDENTIFIER)
    model: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w.]*\.[A-Z]\w*$")

    @model_validator(mode="after")
    def _manual_names_everything(self) -> CategoryEntry:
        if self.kind == "manual" and (self.flow is None or self.model is None):
            raise ValueError("a manual category names its flow module and its section model")
        if self.kind != "manual" and self.model is not None:
            raise ValueError("only a manual category names its model (the kind decides it)")
        return self


class DepartmentManifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    department: str
    stages: dict[str, dict[str, CategoryEntry]]

    @field_validator("stages", mode="before")
    @classmethod
    def _short_form_is_the_kind(cls, stages: Any) -> Any:
        """``files: downloads`` means ``files: {kind: downloads}`` (one error path, whichever form is wrong)."""
        if not isinstance(stages, dict):
            return stages
        return {
            stage: {c: {"kind": e} if isinstance(e, str) else e for c, e in cats.items()}
            if isinstance(cats, dict)
            else cats
            for stage, cats in stages.items()
        }

    def categories(self, stage: str) -> dict[str, CategoryEntry]:
        """The stage's categories in run order."""
        return dict(self.stages.get(stage, {}))

    def with_category(self, stage: str, category: str, kind: Kind) -> DepartmentManifest:
        stages = {s: self.categories(s) for s in STAGES}
        stages[stage] = {**stages[stage], category: CategoryEntry(kind=kind)}
        return DepartmentManifest(department=self.department, stages=stages)


def read_manifest(path: Path, department: str) -> DepartmentManifest:
    """Load and check a department manifest (a broken one is a :class:`ConfigError` naming the problem)."""
    manifest = parse_config(DepartmentManifest, load_yaml_file(path), str(path))
    if manifest.department != department:
        raise ConfigError(f"{path}: department: '{manifest.department}', expected '{department}'")
    for stage, categories in manifest.stages.items():
        if stage not in STAGES:
            raise ConfigError(f"{path}: stages.{stage}: not a stage ({', '.join(STAGES)})")
        for category in categories:
            try:
                check_category_id(category)
            except ConfigError as exc:
                raise ConfigError(f"{path}: stages.{stage}.{category}: {exc}") from None
    return manifest


def _flow_module(dept: DepartmentNames, stage: str, category: str, entry: CategoryEntry) -> str:
    if entry.flow is not None:
        return entry.flow
    assert entry.kind != "manual"  # a manual entry always names its flow (validated)
    return CategoryNames(dept, stage, category, entry.kind).flow_module


@dataclass(frozen=True)
class _Section:
    stage: str
    category: str
    model: str  # the name the generated module uses
    module: str  # where it comes from: absolute, or relative (".ingestion.x.config_x")
    imported: str  # the name in that module


def _section(dept: DepartmentNames, stage: str, category: str, entry: CategoryEntry) -> _Section:
    if entry.kind == "manual":
        assert entry.model is not None
        module, _, name = entry.model.rpartition(".")
        return _Section(stage, category, name, module, name)
    if entry.kind == "custom":
        names = CategoryNames(dept, stage, category, entry.kind)
        alias = f"{stage.capitalize()}{names.camel}Config"
        return _Section(stage, category, alias, f".{stage}.{category}.{names.config_module}", f"{names.camel}Config")
    model = CORE_MODELS[entry.kind]
    return _Section(stage, category, model, API_MODULE, model)


def config_models_text(dept: DepartmentNames, manifest: DepartmentManifest) -> str:
    """``config_models_dept_<id>.py`` for the manifest's categories."""
    sections = [_section(dept, s, c, e) for s in STAGES for c, e in manifest.categories(s).items()]
    absolute: dict[str, set[str]] = {API_MODULE: {STAGE_BASES[s].base_model for s in STAGES}}
    relative: list[_Section] = []
    for section in sections:
        if section.module.startswith("."):
            relative.append(section)
        else:
            absolute.setdefault(section.module, set()).add(section.model)
    return render(
        "department/config_models.py.j2",
        dept=dept.id,
        imports=[{"module": m, "names": sorted(absolute[m])} for m in sorted(absolute)],
        custom_imports=sorted(
            ({"module": s.module, "model": s.imported, "alias": s.model} for s in relative),
            key=lambda row: natural_key(row["module"]),
        ),
        stages=[
            {
                "id": stage,
                "model": STAGE_BASES[stage].model,
                "base": STAGE_BASES[stage].base_model,
                "categories": [{"id": s.category, "model": s.model} for s in sections if s.stage == stage],
            }
            for stage in STAGES
        ],
    )


def stage_wiring_text(dept: DepartmentNames, stage: str, categories: Mapping[str, CategoryEntry]) -> str:
    """``<stage>/categories_dept_<id>.py`` wiring ``categories`` (in run order) into the stage flow."""
    rows = [{"id": c, "flow_module": _flow_module(dept, stage, c, e)} for c, e in categories.items()]
    return render(
        "department/stage_wiring.py.j2",
        dept=dept.id,
        stage=stage,
        outcome=STAGE_BASES[stage].outcome,
        imports=sorted(rows, key=lambda row: natural_key(f"{row['id']}.{row['flow_module']}")),
        categories=rows,
    )


def stage_flow_text(dept: DepartmentNames, stage: str) -> str:
    """``<stage>_flow_dept_<id>.py``: the parent stage flow, the same few lines for every stage of every
    department (everything stage-specific comes from the stage's contract and config model)."""
    names = STAGE_BASES[stage]
    context: dict[str, Any] = {
        "dept": dept.id,
        "stage": stage,
        "stage_flow": dept.stage_flow(stage),
        "model": names.model,
        "contract": names.contract,
        "outcome": names.outcome,
        "variable": dept.stage_variable(stage),
        "flow_name": f"{stage.capitalize()} ({dept.display})",
        "local_imports": sorted(
            [
                {"module": dept.config_models_module, "name": names.model},
                {"module": f"{stage}.{dept.wiring_module}", "name": "CATEGORY_FLOWS"},
            ],
            key=lambda item: natural_key(item["module"]),
        ),
    }
    return render("department/stage_flow.py.j2", **context)
