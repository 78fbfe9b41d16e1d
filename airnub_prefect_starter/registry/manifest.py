"""The department manifest ``flows/dept_<id>/categories_dept_<id>.yaml``: every category of every stage, in run
order, with its kind; the stage flows find their category flows through it (as Kedro's ``find_pipelines()``
finds pipelines), and the generators render the department's config models from it.

A category is its kind (``downloads``: its flow module is ``<verb>_<category>_flow_dept_<id>``), or a mapping
that says more: ``{kind: downloads, flow: <module>}`` when its flow module has another name, or ``{kind: manual,
flow: <module>, model: <package.module.Model>}`` for a category written by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from airnub_prefect_starter.analysis.kinds import ANALYSIS_KINDS
from airnub_prefect_starter.core.config import load_yaml_file, parse_config
from airnub_prefect_starter.core.departments import STAGES
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.ingestion.kinds import INGESTION_KINDS
from airnub_prefect_starter.processing.kinds import PROCESSING_KINDS
from airnub_prefect_starter.stages.kinds import CategoryKind

__all__ = [
    "KINDS",
    "STOCK_KINDS",
    "VERBS",
    "CategoryEntry",
    "DepartmentManifest",
    "Kind",
    "category_flow_module",
    "manifest_file",
    "read_manifest",
]

#: The kinds a generated category can have: the stages' registered kinds and ``custom`` (code of your own).
Kind = Literal["downloads", "api", "scrape", "custom", "tabular", "report"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: The stock kinds of each stage, from the stages' kind registries.
STOCK_KINDS: dict[str, CategoryKind] = {
    name: kind for registry in (INGESTION_KINDS, PROCESSING_KINDS, ANALYSIS_KINDS) for name, kind in registry.items()
}
#: The verb that starts a category's flow and task names, per kind.
VERBS: dict[str, str] = {**{name: kind.verb for name, kind in STOCK_KINDS.items()}, "custom": "fetch"}
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


def manifest_file(department: str) -> str:
    """``categories_dept_<id>.yaml``: the manifest's name in the department's package."""
    return f"categories_dept_{department}.yaml"


def read_manifest(path: Path, department: str) -> DepartmentManifest:
    """Load and check a department manifest (a broken one is a :class:`ConfigError` naming the problem)."""
    manifest = parse_config(DepartmentManifest, load_yaml_file(path), str(path))
    if manifest.department != department:
        raise ConfigError(f"{path}: department: '{manifest.department}', expected '{department}'")
    for stage in manifest.stages:
        if stage not in STAGES:
            raise ConfigError(f"{path}: stages.{stage}: not a stage ({', '.join(STAGES)})")
    return manifest


def category_flow_module(department: str, category: str, entry: CategoryEntry) -> str:
    """The module (and function) name of a category's flow: the entry's ``flow``, else
    ``<verb>_<category>_flow_dept_<department>``."""
    if entry.flow is not None:
        return entry.flow
    assert entry.kind != "manual"  # a manual entry always names its flow (validated)
    return f"{VERBS[entry.kind]}_{category}_flow_dept_{department}"
