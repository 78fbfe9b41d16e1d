"""The analysis stage's unit of work: :func:`analyse_dataset` analyses one processed dataset in four steps::

    plan_analysis   raw sources from the index, up to date with its record (by hashes and parameters, not by
                    URLs)? dataset hash verified (statistics of all rows and a seeded sample read)
    train_model     the target's model fitted on a split of the sample and scored on the held-out rest (model/ +
                    metrics): a classifier (int, str, category, bool target), a regression (float target) or none
                    (no target)
    draw_figures    feature distributions; correlations (no classifier); confusion matrix or predicted vs actual,
                    and feature importance (PNG under the figures dir), from the sample
    write_report    report.md + self-contained report.html with statistics, rows used and lineage, then the
                    analysis record

A plan that is up to date skips the other three: :func:`unchanged_outcome` reports the recorded results. A plan
that is not carries the dataset's profile
(:func:`~airnub_prefect_starter.data_science.dataset_profile.profile_dataset`): the statistics of all its rows,
computed by streaming scans, and a seeded sample of at most ``sample_rows`` rows with a target, the only rows held
in memory. The dataset is hashed (in chunks) once per analysis before it is read, and the model, figures and
report all describe exactly the bytes the record names.

The category flow runs one task per dataset (``task_runner.max_concurrency`` of them at once; figures are drawn on
``Figure`` objects, never pyplot's global state, so datasets may run side by side).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

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
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.manifest import RunIds
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.data_science.dataset_profile import DatasetProfile, profile_dataset
from airnub_prefect_starter.data_science.dataset_store import (
    DatasetManifest,
    atomic_write_bytes,
    load_dataset_manifest,
    verify_dataset,
)
from airnub_prefect_starter.data_science.features import model_task, model_view
from airnub_prefect_starter.data_science.modeling.metadata import TASK_MODELS, ModelKind, ModelTask, RegressionMetrics
from airnub_prefect_starter.data_science.modeling.train import TrainResult, train_estimator
from airnub_prefect_starter.data_science.plots import FigureSet, plot_dataset_figures
from airnub_prefect_starter.data_science.reporting import ReportFigure, ReportProvenance, build_report
from airnub_prefect_starter.stages.runtime import StageRuntime

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


@dataclass(frozen=True, kw_only=True)
class AnalysisLayout(StageRuntime):
    """Resolved, picklable folders of one analysis run (shared by every dataset of a category): the stage's shared
    fields, plus the folders it reads and writes. See
    :class:`~airnub_prefect_starter.analysis.config.AnalysisStageBase` for the bases."""

    datasets_dir: Path
    models_dir: Path
    reports_dir: Path
    figures_dir: Path

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
        credentials: S3Credentials | None = None,
    ) -> AnalysisLayout:
        """Each base absolute, or relative to the data dir (the bases of :class:`AnalysisStageBase`)."""
        return cls(
            **cls.shared_fields(category, settings, credentials),
            datasets_dir=settings.data_path(datasets_base),
            models_dir=settings.data_path(models_base),
            reports_dir=settings.data_path(reports_base),
            figures_dir=settings.data_path(figures_base),
        )

    @property
    def data_dir(self) -> Path:
        """The local data dir the recorded paths are relative to."""
        if self.work_dir is None:
            raise ValueError(f"analysis layout of {self.category}: no data dir (work_dir) set")
        return self.work_dir

    def model_dir(self, dataset: str) -> Path:
        return self.models_dir / dataset

    def report_dir(self, dataset: str) -> Path:
        return self.reports_dir / dataset


@dataclass(frozen=True)
class AnalysisPlan:
    """One dataset to analyse: its verified manifest (once it is profiled, with the schema the model sees: see
    :func:`plan_analysis`), its model's task (``None``: no target, no model), its raw sources and, when nothing
    changed, its record; when something did, its ``profile``, read with the verification so that no later step
    reads the dataset again: statistics of all rows and the sample the model and figures see (its rows as the
    model sees them)."""

    spec: AnalysedDataset
    layout: AnalysisLayout
    dataset_path: Path
    dataset: DatasetManifest
    recipe: AnalysisRecipe
    record: AnalysisRecord | None
    profile: DatasetProfile | None = field(default=None, compare=False, repr=False)
    task: ModelTask | None = None

    @property
    def up_to_date(self) -> bool:
        return self.record is not None

    @property
    def record_path(self) -> Path:
        return self.layout.report_dir(self.spec.name) / RECORD_NAME

    @property
    def dataset_profile(self) -> DatasetProfile:
        """Statistics and sample for the analysis steps; a plan that is up to date read no rows (nothing to do)."""
        if self.profile is None:
            raise ValueError(f"{self.spec.name}: the plan is up to date; there is nothing to analyse")
        return self.profile


def _model_kind(spec: AnalysedDataset, dataset: DatasetManifest, task: ModelTask | None) -> ModelKind | None:
    """The configured estimator when it fits the target's task; ``None`` without a target."""
    if task is None:
        return None
    if spec.model not in TASK_MODELS[task]:
        target = spec.target or dataset.table_schema.target
        kind = dataset.table_schema.column(target).type if target else "missing"
        raise ConfigError(
            f"dataset '{dataset.dataset_name}': target '{target}' is {kind}, a {task}; model {spec.model} does not "
            f"fit it (use {' or '.join(TASK_MODELS[task])})"
        )
    return spec.model


def _first_source_urls(index: ManifestIndex, sha256s: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``(sha256, url)`` once per raw sha256 the index knows, sorted: the first URL that served it, in any data
    source. The index keeps every URL (``airnub manifest show <sha256>``); a report lists each raw input once, so
    the same bytes fetched from a new URL (a demo on another port) add no row."""
    pairs = []
    for sha256 in sorted(set(sha256s)):
        sources = [
            source
            for indexed in index.find_objects(sha256)
            if indexed.sha256 == sha256
            for source in index.sources_of(indexed.data_source_name, sha256)
        ]
        if sources:
            pairs.append((sha256, min(sources, key=lambda s: (s.first_seen_at, s.url)).url))
    return tuple(pairs)


def _recipe(
    spec: AnalysedDataset, layout: AnalysisLayout, dataset: DatasetManifest, task: ModelTask | None
) -> AnalysisRecipe:
    """What the outputs are a function of: the dataset by hash, its raw inputs by hash (and, for the report, the
    first URL of each, through the index: not compared), the target it predicts (the analysis' own, else the
    schema's: changing either analyses again), the parameters and the output folders."""
    return AnalysisRecipe(
        dataset_name=dataset.dataset_name,
        dataset_sha256=dataset.sha256,
        input_sha256s=dataset.input_sha256s,
        sources=_first_source_urls(layout.open_index(), dataset.input_sha256s),
        model_kind=_model_kind(spec, dataset, task),
        target=spec.target or dataset.table_schema.target,
        seed=spec.seed,
        test_size=spec.test_size,
        sample_rows=spec.sample_rows,
        models_dir=data_relative(layout.model_dir(spec.name), layout.data_dir),
        figures_dir=data_relative(layout.figures_dir, layout.data_dir),
        reports_dir=data_relative(layout.report_dir(spec.name), layout.data_dir),
    )


def plan_analysis(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisPlan:
    """Trace the processed dataset's raw inputs to their URLs through the manifest index, compare with the last
    analysis record, and verify the dataset against its manifest, once: hashed alone when the record is up to
    date, otherwise hashed, then profiled for the steps that follow (statistics of every row and a seeded sample
    of ``sample_rows``, with its target as its model sees it:
    :func:`~airnub_prefect_starter.data_science.features.model_view`: classes, values, or no target).
    :class:`ConfigError` when the dataset does not exist, its target cannot be predicted or the model does not
    fit the target; :class:`IntegrityError` when the dataset no longer matches its manifest or is replaced while
    it is read."""
    dataset_path = layout.datasets_dir / f"{spec.name}.parquet"
    if not dataset_path.is_file():
        raise ConfigError(f"dataset '{spec.name}': {dataset_path} does not exist (run the processing stage first)")
    dataset = load_dataset_manifest(dataset_path, verify=False)  # verified below, by the one read that is needed
    task = model_task(dataset.table_schema, spec.target, dataset=dataset.dataset_name)
    recipe = _recipe(spec, layout, dataset, task)
    plan = AnalysisPlan(spec, layout, dataset_path, dataset, recipe, None, task=task)
    record = load_analysis_record(plan.record_path)
    if record is not None and record.up_to_date(recipe, layout.data_dir):
        verify_dataset(dataset_path, dataset)
        return replace(plan, record=record)
    profile = profile_dataset(dataset_path, dataset, target=spec.target, sample_rows=spec.sample_rows, seed=spec.seed)
    view = model_view(profile.sample.dataset, spec.target, classes=profile.class_values)
    return replace(plan, dataset=view.dataset.manifest, profile=profile.with_sample(view.dataset))


def train_model(plan: AnalysisPlan) -> TrainResult | None:
    """Fit and score the configured estimator of the target (a classifier or a regressor, by the target's type);
    model, metadata and ``metrics.json`` go to ``<models>/<dataset>/``. ``None``: no target, no model."""
    spec = plan.spec
    if plan.task is None:
        return None
    return train_estimator(
        plan.dataset_path,
        plan.layout.model_dir(spec.name),
        seed=spec.seed,
        test_size=spec.test_size,
        model=spec.model,
        sample=plan.dataset_profile.sample,
    )


def draw_figures(plan: AnalysisPlan, trained: TrainResult | None) -> FigureSet:
    """The dataset's feature distributions (and, without a classifier, its correlations), then the model's
    confusion matrix or predicted-vs-actual values and its importances, as PNG files."""
    held_out = trained.held_out if trained is not None else None
    return plot_dataset_figures(
        plan.dataset_path,
        plan.layout.figures_dir,
        trained.model_path if trained is not None else None,
        sample=plan.dataset_profile.sample,
        held_out=(held_out.actual, held_out.predicted) if held_out is not None else None,
    )


def _report_figures(figures: FigureSet, task: ModelTask | None) -> list[ReportFigure]:
    by_class = " by class" if task == "classification" else ""
    drawn = [ReportFigure(f"Feature distributions{by_class}", figures.feature_distributions)]
    if figures.correlation is not None:
        drawn.append(ReportFigure("Correlation of the numeric columns", figures.correlation))
    if figures.confusion_matrix is not None:
        drawn.append(ReportFigure("Confusion matrix (held-out split)", figures.confusion_matrix, from_model=True))
    if figures.predicted_vs_actual is not None:
        drawn.append(ReportFigure("Predicted vs actual (held-out split)", figures.predicted_vs_actual, from_model=True))
    if figures.feature_importance is not None:
        drawn.append(ReportFigure("Feature importance", figures.feature_importance, from_model=True))
    return drawn


def _scores(record: AnalysisRecord) -> str:
    metrics = record.metrics
    if metrics is None:
        return "no model (no target)"
    if isinstance(metrics, RegressionMetrics):
        return f"{record.recipe.model_kind} R² {metrics.r2:.3f}, MAE {metrics.mae:.4g}, RMSE {metrics.rmse:.4g}"
    return f"{record.recipe.model_kind} accuracy {metrics.accuracy:.3f}, macro F1 {metrics.f1_macro:.3f}"


def write_report(
    plan: AnalysisPlan, trained: TrainResult | None, figures: FigureSet, run_ids: RunIds | None = None
) -> AnalysisOutcome:
    """Write report.md and report.html (figures embedded, lineage to the dataset and raw sources; when, by which
    version and in which flow run), then the analysis record that makes the next run with the same inputs a
    no-op."""
    report = build_report(
        plan.layout.report_dir(plan.spec.name),
        profile=plan.dataset_profile,
        sources=plan.recipe.sources,
        figures=_report_figures(figures, plan.task),
        model=trained.metadata if trained is not None else None,
        title=f"Analysis report: {plan.dataset.dataset_name}",
        provenance=ReportProvenance(datetime.now(UTC), __version__, (run_ids or RunIds()).flow_run_id),
    )
    data_dir = plan.layout.data_dir
    record = AnalysisRecord(
        recipe=plan.recipe,
        model_sha256=trained.model_sha256 if trained is not None else None,
        metrics=trained.metrics if trained is not None else None,
        outputs=AnalysisOutputs(
            model=OutputRef.of(trained.model_path, data_dir, sha256=trained.model_sha256) if trained else None,
            model_metadata=OutputRef.of(trained.metadata_path, data_dir) if trained else None,
            metrics=OutputRef.of(trained.metrics_path, data_dir) if trained else None,
            figures=tuple(OutputRef.of(path, data_dir) for path in figures.all()),
            report_markdown=OutputRef.of(report.markdown_path, data_dir),
            report_html=OutputRef.of(report.html_path, data_dir),
        ),
    )
    atomic_write_bytes(plan.record_path, record.to_json_bytes())
    logger.info("Analysed %s: %s; report %s", plan.spec.name, _scores(record), report.html_path)
    return _outcome(plan, record, "analysed")


def unchanged_outcome(plan: AnalysisPlan) -> AnalysisOutcome:
    """The recorded results of an up-to-date plan (nothing is read but the record, nothing is written)."""
    if plan.record is None:
        raise ValueError(f"{plan.spec.name}: the plan is not up to date; run the analysis steps")
    logger.info("Analysis of %s unchanged: dataset %s already analysed", plan.spec.name, plan.dataset.sha256[:12])
    return _outcome(plan, plan.record, "unchanged")


def _outcome(plan: AnalysisPlan, record: AnalysisRecord, status: AnalysisStatus) -> AnalysisOutcome:
    data_dir, outputs, metrics = plan.layout.data_dir, record.outputs, record.metrics
    regression = metrics if isinstance(metrics, RegressionMetrics) else None
    classification = metrics if metrics is not None and regression is None else None
    return AnalysisOutcome(
        category=plan.layout.category,
        name=plan.spec.name,
        status=status,
        dataset_sha256=record.recipe.dataset_sha256,
        sources=record.recipe.sources,
        task=None if metrics is None else "regression" if regression is not None else "classification",
        model_kind=record.recipe.model_kind,
        model_path=str(outputs.model.resolve(data_dir)) if outputs.model else None,
        model_sha256=record.model_sha256,
        metrics_path=str(outputs.metrics.resolve(data_dir)) if outputs.metrics else None,
        accuracy=getattr(classification, "accuracy", None),
        f1_macro=getattr(classification, "f1_macro", None),
        r2=regression.r2 if regression else None,
        mae=regression.mae if regression else None,
        rmse=regression.rmse if regression else None,
        n_train=metrics.n_train if metrics else None,
        n_test=metrics.n_test if metrics else None,
        figures=tuple(str(ref.resolve(data_dir)) for ref in outputs.figures),
        report_markdown=str(outputs.report_markdown.resolve(data_dir)),
        report_html=str(outputs.report_html.resolve(data_dir)),
    )


def analyse_dataset(spec: AnalysedDataset, layout: AnalysisLayout, run_ids: RunIds | None = None) -> AnalysisOutcome:
    """Plan, then (unless the plan is up to date) train (when there is a target), draw and report: the outcome of
    one dataset.
    ``run_ids`` name the Prefect run in the report."""
    plan = plan_analysis(spec, layout)
    if plan.up_to_date:
        return unchanged_outcome(plan)
    trained = train_model(plan)
    return write_report(plan, trained, draw_figures(plan, trained), run_ids)
