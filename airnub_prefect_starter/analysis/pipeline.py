"""The analysis stage's unit of work: :func:`analyse_dataset` analyses one processed dataset in four steps::

    plan_analysis   raw sources from the index, up to date with its record? dataset hash verified (rows read)
    train_model     a classifier fitted on a stratified split and scored on the held-out rest (model/ + metrics)
    draw_figures    feature distributions, confusion matrix, feature importance (PNG under the figures dir)
    write_report    report.md + self-contained report.html with lineage, then the analysis record

A plan that is up to date skips the other three: :func:`unchanged_outcome` reports the recorded results. A plan
that is not carries the dataset's rows, parsed from the bytes it verified: the dataset is hashed and read once per
analysis, and the model, figures and report all describe exactly the bytes the record names.

The category flow runs one task per dataset (``task_runner.max_concurrency`` of them at once; figures are drawn on
``Figure`` objects, never pyplot's global state, so datasets may run side by side).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from airnub_prefect_starter import __version__
from airnub_prefect_starter.analysis.config import AnalysedDataset
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome, AnalysisStatus
from airnub_prefect_starter.analysis.record import (
    AnalysisOutputs,
    AnalysisRecipe,
    AnalysisRecord,
    OutputRef,
    data_relative,
    load_analysis_record,
)
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.store.index import open_index
from airnub_prefect_starter.core.store.lineage import source_urls
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    VerifiedDataset,
    atomic_write_bytes,
    load_dataset_manifest,
    read_verified_dataset,
    verify_dataset,
)
from airnub_prefect_starter.data_science.features import classification_view
from airnub_prefect_starter.data_science.modeling.train import TrainResult, train_classifier
from airnub_prefect_starter.data_science.plots import FigureSet, plot_dataset_figures
from airnub_prefect_starter.data_science.reporting import ReportFigure, ReportProvenance, build_report

__all__ = [
    "AnalysisLayout",
    "AnalysisPlan",
    "analyse_dataset",
    "draw_figures",
    "plan_analysis",
    "train_model",
    "unchanged_outcome",
    "write_report",
]

logger = logging.getLogger(__name__)

RECORD_NAME = "analysis.json"


@dataclass(frozen=True)
class AnalysisLayout:
    """Resolved, picklable folders of one analysis run (shared by every dataset of a category). See
    :class:`~airnub_prefect_starter.analysis.config.AnalysisStageConfig` for the bases."""

    category: str
    data_dir: Path
    datasets_dir: Path
    models_dir: Path
    reports_dir: Path
    figures_dir: Path
    index_url: str

    @classmethod
    def resolve(
        cls,
        category: str,
        settings: AirnubSettings,
        *,
        datasets_base: str,
        models_base: str,
        reports_base: str,
        figures_base: str,
    ) -> AnalysisLayout:
        """Each base absolute, or relative to the data dir (the bases of :class:`AnalysisStageConfig`)."""
        return cls(
            category=category,
            data_dir=settings.resolved_data_dir,
            datasets_dir=settings.data_path(datasets_base),
            models_dir=settings.data_path(models_base),
            reports_dir=settings.data_path(reports_base),
            figures_dir=settings.data_path(figures_base),
            index_url=settings.resolved_index_url,
        )

    def model_dir(self, dataset: str) -> Path:
        return self.models_dir / dataset

    def report_dir(self, dataset: str) -> Path:
        return self.reports_dir / dataset


@dataclass(frozen=True)
class AnalysisPlan:
    """One dataset to analyse: its verified manifest (once its rows are read, with the schema the classifier sees:
    see :func:`plan_analysis`), its raw sources and, when nothing changed, its record;
    when something did, its rows (``frame``), read with the verification so that no later step reads them again."""

    spec: AnalysedDataset
    layout: AnalysisLayout
    dataset_path: Path
    dataset: DatasetManifest
    recipe: AnalysisRecipe
    record: AnalysisRecord | None
    frame: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def up_to_date(self) -> bool:
        return self.record is not None

    @property
    def record_path(self) -> Path:
        return self.layout.report_dir(self.spec.name) / RECORD_NAME

    @property
    def verified_dataset(self) -> VerifiedDataset:
        """Manifest and rows for the analysis steps; a plan that is up to date read no rows (nothing to do)."""
        if self.frame is None:
            raise ValueError(f"{self.spec.name}: the plan is up to date; there is nothing to analyse")
        return VerifiedDataset(self.dataset, self.frame)


def _recipe(spec: AnalysedDataset, layout: AnalysisLayout, dataset: DatasetManifest) -> AnalysisRecipe:
    """What the outputs are a function of: the dataset by hash, its raw sources (through the index), the
    parameters and the output folders."""
    return AnalysisRecipe(
        dataset_name=dataset.dataset_name,
        dataset_sha256=dataset.sha256,
        input_sha256s=dataset.input_sha256s,
        sources=tuple(source_urls(open_index(layout.index_url, layout.data_dir), dataset.input_sha256s)),
        model_kind=spec.model,
        target=spec.target,
        seed=spec.seed,
        test_size=spec.test_size,
        models_dir=data_relative(layout.model_dir(spec.name), layout.data_dir),
        figures_dir=data_relative(layout.figures_dir, layout.data_dir),
        reports_dir=data_relative(layout.report_dir(spec.name), layout.data_dir),
    )


def plan_analysis(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisPlan:
    """Trace the processed dataset's raw inputs to their URLs through the manifest index, compare with the last
    analysis record, and verify the dataset against its manifest, once: hashed alone when the record is up to
    date, otherwise read whole, hashed and parsed from the same bytes for the steps that follow, with its target
    as classes (:func:`~airnub_prefect_starter.data_science.features.classification_view`).
    :class:`ConfigError` when the dataset does not exist, :class:`IntegrityError` when it no longer matches."""
    dataset_path = layout.datasets_dir / f"{spec.name}.parquet"
    if not dataset_path.is_file():
        raise ConfigError(f"dataset '{spec.name}': {dataset_path} does not exist (run the processing stage first)")
    dataset = load_dataset_manifest(dataset_path, verify=False)  # verified below, by the one read that is needed
    recipe = _recipe(spec, layout, dataset)
    plan = AnalysisPlan(spec, layout, dataset_path, dataset, recipe, None)
    record = load_analysis_record(plan.record_path)
    if record is not None and record.up_to_date(recipe, layout.data_dir):
        verify_dataset(dataset_path, dataset)
        return replace(plan, record=record)
    view = classification_view(read_verified_dataset(dataset_path, dataset), spec.target)
    return replace(plan, dataset=view.manifest, frame=view.frame)


def train_model(plan: AnalysisPlan) -> TrainResult:
    """Fit and score the configured classifier; model, metadata and ``metrics.json`` go to ``<models>/<dataset>/``."""
    spec = plan.spec
    return train_classifier(
        plan.dataset_path,
        plan.layout.model_dir(spec.name),
        seed=spec.seed,
        test_size=spec.test_size,
        model=spec.model,
        verified=plan.verified_dataset,
    )


def draw_figures(plan: AnalysisPlan, trained: TrainResult) -> FigureSet:
    """The dataset's feature distributions and the model's confusion matrix and importances, as PNG files."""
    return plot_dataset_figures(
        plan.dataset_path, plan.layout.figures_dir, trained.model_path, verified=plan.verified_dataset
    )


def _report_figures(figures: FigureSet) -> list[ReportFigure]:
    drawn = [ReportFigure("Feature distributions by class", figures.feature_distributions)]
    if figures.confusion_matrix is not None:
        drawn.append(ReportFigure("Confusion matrix (held-out split)", figures.confusion_matrix, from_model=True))
    if figures.feature_importance is not None:
        drawn.append(ReportFigure("Feature importance", figures.feature_importance, from_model=True))
    return drawn


def write_report(
    plan: AnalysisPlan, trained: TrainResult, figures: FigureSet, run_ids: RunIds | None = None
) -> AnalysisOutcome:
    """Write report.md and report.html (figures embedded, lineage to the dataset and raw sources; when, by which
    version and in which flow run), then the analysis record that makes the next run with the same inputs a
    no-op."""
    report = build_report(
        plan.layout.report_dir(plan.spec.name),
        dataset=plan.dataset,
        frame=plan.verified_dataset.frame,
        sources=plan.recipe.sources,
        figures=_report_figures(figures),
        model=trained.metadata,
        title=f"Analysis report: {plan.dataset.dataset_name}",
        provenance=ReportProvenance(datetime.now(UTC), __version__, (run_ids or RunIds()).flow_run_id),
    )
    data_dir = plan.layout.data_dir
    record = AnalysisRecord(
        recipe=plan.recipe,
        model_sha256=trained.model_sha256,
        metrics=trained.metrics,
        outputs=AnalysisOutputs(
            model=OutputRef.of(trained.model_path, data_dir, sha256=trained.model_sha256),
            model_metadata=OutputRef.of(trained.metadata_path, data_dir),
            metrics=OutputRef.of(trained.metrics_path, data_dir),
            figures=tuple(OutputRef.of(path, data_dir) for path in figures.all()),
            report_markdown=OutputRef.of(report.markdown_path, data_dir),
            report_html=OutputRef.of(report.html_path, data_dir),
        ),
    )
    atomic_write_bytes(plan.record_path, record.to_json_bytes())
    logger.info(
        "Analysed %s: %s accuracy %.3f, macro F1 %.3f; report %s",
        plan.spec.name,
        plan.spec.model,
        record.metrics.accuracy,
        record.metrics.f1_macro,
        report.html_path,
    )
    return _outcome(plan, record, "analysed")


def unchanged_outcome(plan: AnalysisPlan) -> AnalysisOutcome:
    """The recorded results of an up-to-date plan (nothing is read but the record, nothing is written)."""
    if plan.record is None:
        raise ValueError(f"{plan.spec.name}: the plan is not up to date; run the analysis steps")
    logger.info("Analysis of %s unchanged: dataset %s already analysed", plan.spec.name, plan.dataset.sha256[:12])
    return _outcome(plan, plan.record, "unchanged")


def _outcome(plan: AnalysisPlan, record: AnalysisRecord, status: AnalysisStatus) -> AnalysisOutcome:
    data_dir, outputs, metrics = plan.layout.data_dir, record.outputs, record.metrics
    return AnalysisOutcome(
        category=plan.layout.category,
        name=plan.spec.name,
        status=status,
        dataset_sha256=record.recipe.dataset_sha256,
        sources=record.recipe.sources,
        model_kind=record.recipe.model_kind,
        model_path=str(outputs.model.resolve(data_dir)),
        model_sha256=record.model_sha256,
        metrics_path=str(outputs.metrics.resolve(data_dir)),
        accuracy=metrics.accuracy,
        f1_macro=metrics.f1_macro,
        n_train=metrics.n_train,
        n_test=metrics.n_test,
        figures=tuple(str(ref.resolve(data_dir)) for ref in outputs.figures),
        report_markdown=str(outputs.report_markdown.resolve(data_dir)),
        report_html=str(outputs.report_html.resolve(data_dir)),
    )


def analyse_dataset(spec: AnalysedDataset, layout: AnalysisLayout, run_ids: RunIds | None = None) -> AnalysisOutcome:
    """Plan, then (unless the plan is up to date) train, draw and report: the outcome of one dataset.
    ``run_ids`` name the Prefect run in the report."""
    plan = plan_analysis(spec, layout)
    if plan.up_to_date:
        return unchanged_outcome(plan)
    trained = train_model(plan)
    return write_report(plan, trained, draw_figures(plan, trained), run_ids)
