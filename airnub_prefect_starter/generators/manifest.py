"""The department manifest ``flows/dept_<id>/categories_dept_<id>.yaml``: every category of every stage, in
run order, with its kind. It is the source the generated wiring modules are rendered from:

* ``flows/dept_<id>/config_models_dept_<id>.py``: the stage config models (one optional section per category)
  and ``STAGE_CONFIG_MODELS``, which ``airnub config validate`` / ``variables sync`` / ``run`` look up;
* ``flows/dept_<id>/<stage>/categories_dept_<id>.py``: ``CATEGORY_FLOWS``, which the parent stage flow runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from airnub_prefect_starter.core.config import load_yaml_file, parse_config
from airnub_prefect_starter.core.departments import STAGES
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.generators.naming import (
    CategoryNames,
    DepartmentNames,
    Kind,
    check_category_id,
)
from airnub_prefect_starter.generators.rendering import natural_key, render

__all__ = ["CORE_MODELS", "DepartmentManifest", "config_models_text", "read_manifest", "stage_wiring_text"]

#: The core config model of each kind's section (``custom`` categories bring their own).
CORE_MODELS: dict[Kind, str] = {
    "downloads": "ScheduledFileDownloadsConfig",
    "api": "PublicApiDataConfig",
    "scrape": "WebPageLinkScrapingConfig",
}
_STAGE_MODELS = {stage: f"{stage.capitalize()}StageConfig" for stage in STAGES}


class DepartmentManifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    department: str
    stages: dict[str, dict[str, Kind]]

    def categories(self, stage: str) -> dict[str, Kind]:
        return dict(self.stages.get(stage, {}))

    def with_category(self, stage: str, category: str, kind: Kind) -> DepartmentManifest:
        stages = {s: self.categories(s) for s in STAGES}
        stages[stage] = {**stages[stage], category: kind}
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


def stage_model_name(stage: str) -> str:
    return _STAGE_MODELS[stage]


def _category_model(names: CategoryNames) -> str:
    if names.kind == "custom":
        return f"{names.stage.capitalize()}{names.camel}Config"
    return CORE_MODELS[names.kind]


def config_models_text(dept: DepartmentNames, manifest: DepartmentManifest) -> str:
    """``config_models_dept_<id>.py`` for the manifest's categories."""
    every = [CategoryNames(dept, s, c, k) for s in STAGES for c, k in manifest.categories(s).items()]
    custom = sorted(
        (n for n in every if n.kind == "custom"), key=lambda n: natural_key(f"{n.stage}.{n.id}.{n.config_module}")
    )
    stages: list[dict[str, Any]] = [
        {
            "id": stage,
            "model": stage_model_name(stage),
            "categories": [{"id": n.id, "model": _category_model(n)} for n in every if n.stage == stage],
        }
        for stage in STAGES
    ]
    return render(
        "department/config_models.py.j2",
        dept=dept.id,
        core_models=sorted({"TaskRunnerConfig", *(CORE_MODELS[n.kind] for n in every if n.kind != "custom")}),
        custom_imports=[
            {
                "stage": n.stage,
                "id": n.id,
                "module": n.config_module,
                "model": f"{n.camel}Config",
                "alias": _category_model(n),
            }
            for n in custom
        ],
        stages=stages,
    )


def stage_wiring_text(dept: DepartmentNames, stage: str, categories: Mapping[str, Kind]) -> str:
    """``<stage>/categories_dept_<id>.py`` wiring ``categories`` (in run order) into the stage flow."""
    names = [CategoryNames(dept, stage, category, kind) for category, kind in categories.items()]
    rows = [{"id": n.id, "flow_module": n.flow_module} for n in names]
    return render(
        "department/stage_wiring.py.j2",
        dept=dept.id,
        stage=stage,
        stage_flow=dept.stage_flow(stage),
        imports=sorted(rows, key=lambda row: natural_key(f"{row['id']}.{row['flow_module']}")),
        categories=rows,
    )
