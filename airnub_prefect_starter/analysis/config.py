"""The analysis stage's config (the Variable ``dept_<id>_analysis_config``): which processed datasets are
described, modelled, plotted and reported, and where models, figures and reports go.

Every model is frozen with ``extra="forbid"`` and every field has a description (the docs are generated from them).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from airnub_prefect_starter.core.config import ConfigModel, DatasetName, StorageBase, TaskRunnerConfig
from airnub_prefect_starter.data_science.modeling.metadata import ModelKind

__all__ = [
    "AnalysedDataset",
    "AnalysisStageBase",
    "ReportConfig",
]


class AnalysedDataset(ConfigModel):
    """One processed dataset to analyse: descriptive statistics of all its rows and figures, and, when it has a
    target, a model of it scored on held-out rows (a classifier or a regression, chosen by the target's type),
    both on a seeded sample of at most ``sample_rows`` rows, in an HTML report."""

    name: DatasetName
    target: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="The column to predict (default: the dataset schema's target; neither: statistics and figures "
        "only, no model). A float target is a regression; an int target with declared classes is used as it is; "
        "str, category, bool and other int targets become classes named by their values.",
    )
    model: ModelKind = Field(
        default="random_forest",
        description="'random_forest' (classifier or regressor), 'logistic_regression' (classifier) or "
        "'linear_regression' (regressor).",
    )
    seed: int = Field(default=42, ge=0, description="Seed of the sample, of the held-out split and of the estimator.")
    test_size: float = Field(
        default=0.25, gt=0.0, lt=1.0, description="Held-out fraction of the rows (stratified for a classifier)."
    )
    sample_rows: int = Field(
        default=200_000,
        ge=1000,
        description="Rows the model is trained and scored on and the figures are drawn from, at most: a larger "
        "dataset gives a seeded sample of this many of its rows with a target (the same rows every run); "
        "statistics always cover every row.",
    )


class ReportConfig(ConfigModel):
    """A category of kind ``report``: per dataset, descriptive statistics, figures, a classifier or a regression of
    its target (if it has one) scored on held-out rows, and an HTML report with lineage."""

    enabled: bool = Field(default=True, description="Skip the category when false.")
    datasets: list[AnalysedDataset] = Field(min_length=1, description="Processed datasets to analyse.")

    @model_validator(mode="after")
    def _unique_names(self) -> ReportConfig:
        names = [d.name for d in self.datasets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"each dataset is analysed once: {duplicates} repeated")
        return self


class AnalysisStageBase(ConfigModel):
    """The keys of every analysis stage config: where inputs and outputs live, and how many datasets run at once;
    each category adds an optional section (the Variable ``dept_<id>_analysis_config``)."""

    datasets_base: StorageBase = Field(
        default="processed", description="Folder holding the processing stage's <name>.parquet (data dir based)."
    )
    models_base: StorageBase = Field(
        default="models", description="Models go to <models_base>/<dataset>/ with metadata and metrics.json."
    )
    reports_base: StorageBase = Field(
        default="reports", description="Reports go to <reports_base>/<dataset>/report.md, report.html."
    )
    figures_base: StorageBase = Field(default="reports/figures", description="Folder for the PNG figures.")
    task_runner: TaskRunnerConfig = Field(default_factory=TaskRunnerConfig, description="Where dataset tasks run.")

    def category_parameters(self) -> dict[str, Any]:
        """What every analysis category flow gets besides its section: where inputs and outputs live."""
        return {
            "datasets_base": self.datasets_base,
            "models_base": self.models_base,
            "reports_base": self.reports_base,
            "figures_base": self.figures_base,
        }


#: The names this model had before it was named by kind (departments generated then import them).
ClassificationReportsConfig = ReportConfig
ReportsConfig = ReportConfig
