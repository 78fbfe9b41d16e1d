"""What the generators render from a department's manifest (:mod:`airnub_prefect_starter.registry.manifest`):
``flows/dept_<id>/config_models_dept_<id>.py``, the stage config models (the stage's base keys plus one optional
section per category) and ``STAGE_CONFIG_MODELS``, which ``airnub config validate`` / ``variables sync`` / ``run``
look up; and the parent stage flows, which find their category flows through the manifest when they are imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airnub_prefect_starter.core.departments import STAGES
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.naming import (
    STOCK_KINDS,
    CategoryNames,
    DepartmentNames,
    check_category_id,
)
from airnub_prefect_starter.generators.rendering import natural_key, render
from airnub_prefect_starter.registry import manifest as registry_manifest
from airnub_prefect_starter.registry.manifest import CategoryEntry, DepartmentManifest

__all__ = [
    "API_MODULE",
    "CORE_MODELS",
    "STAGE_BASES",
    "CategoryEntry",
    "DepartmentManifest",
    "config_models_text",
    "read_manifest",
    "stage_flow_text",
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


def read_manifest(path: Path, department: str) -> DepartmentManifest:
    """Load and check a department manifest, its category ids included (a broken one is a :class:`ConfigError`
    naming the problem)."""
    manifest = registry_manifest.read_manifest(path, department)
    for stage, categories in manifest.stages.items():
        for category in categories:
            try:
                check_category_id(category)
            except ConfigError as exc:
                raise ConfigError(f"{path}: stages.{stage}.{category}: {exc}") from None
    return manifest


@dataclass(frozen=True)
class _Section:
    stage: str
    category: str
    model: str  # the name the generated module uses
    module: str  # where it comes from: absolute, or relative (".ingestion.x.config_x")
    imported: str  # the name in that module
    kind: str  # how the section's field description names the category's kind


def _section(dept: DepartmentNames, stage: str, category: str, entry: CategoryEntry) -> _Section:
    if entry.kind == "manual":
        assert entry.model is not None
        module, _, name = entry.model.rpartition(".")
        return _Section(stage, category, name, module, name, "written by hand")
    if entry.kind == "custom":
        names = CategoryNames(dept, stage, category, entry.kind)
        alias = f"{stage.capitalize()}{names.camel}Config"
        config_module = f".{stage}.{category}.{names.config_module}"
        return _Section(stage, category, alias, config_module, f"{names.camel}Config", "kind custom")
    model = CORE_MODELS[entry.kind]
    return _Section(stage, category, model, API_MODULE, model, f"kind {entry.kind}")


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
        pydantic_names="BaseModel, Field" if sections else "BaseModel",
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
                "categories": [
                    {"id": s.category, "model": s.model, "kind": s.kind} for s in sections if s.stage == stage
                ],
            }
            for stage in STAGES
        ],
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
    }
    return render("department/stage_flow.py.j2", **context)
