"""Figures as PNG files, drawn on :class:`matplotlib.figure.Figure` objects (Agg canvas, no pyplot state).

Dataset figures are drawn from a seeded sample of the dataset (every row of a small one: see
:func:`~airnub_prefect_starter.data_science.dataset_profile.draw_sample`), and say so in their titles. PNGs carry
no software/date metadata, so the same data and library versions give the same bytes; files are written
atomically and left untouched when their bytes would not change. Run as a script::

    python -m airnub_prefect_starter.data_science.plots --dataset data/processed/iris.parquet \\
        --model data/models/iris_random_forest.joblib
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from matplotlib.figure import Figure

from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_profile import (
    DEFAULT_SAMPLE_ROWS,
    DatasetSample,
    draw_sample,
    scan_verified_dataset,
)
from airnub_prefect_starter.data_science.dataset_store import atomic_write_bytes
from airnub_prefect_starter.data_science.modeling.metadata import RegressionMetrics, load_model_metadata
from airnub_prefect_starter.data_science.schemas import NUMERIC_TYPES, TableSchema

__all__ = [
    "MAX_PLOTTED_COLUMNS",
    "FigureSet",
    "app",
    "correlated_columns",
    "plot_confusion_matrix",
    "plot_correlation",
    "plot_dataset_figures",
    "plot_feature_distributions",
    "plot_feature_importance",
    "plot_predicted_vs_actual",
]

_DPI = 100

#: Histograms and correlation heatmaps show the first this many numeric columns, in schema order.
MAX_PLOTTED_COLUMNS = 32


def _save(figure: Figure, out_path: Path) -> Path:
    buffer = io.BytesIO()
    # The format picks the Agg canvas for this figure only; metadata=None keys keep the bytes reproducible.
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_path, buffer.getvalue())
    return out_path


def plot_feature_distributions(
    df: pd.DataFrame,
    schema: TableSchema,
    out_path: Path,
    *,
    bins: int = 20,
    columns: int = 4,
    dataset: str | None = None,
    population: int | None = None,
) -> Path:
    """One histogram per feature (the first :data:`MAX_PLOTTED_COLUMNS`), the classes of an int target overlaid
    on shared bins; returns ``out_path``. The title names ``dataset`` (default: the file's stem) and the rows
    drawn: ``df``'s, of ``population`` when ``df`` is a sample of that many."""
    title = dataset or out_path.stem
    available = [name for name in schema.feature_names if name in df.columns]
    if not available or df.empty:
        raise ConfigError(f"plot_feature_distributions: no rows or no numeric features of '{title}' in the frame")
    features = available[:MAX_PLOTTED_COLUMNS]
    ncols = min(columns, len(features))
    nrows = math.ceil(len(features) / ncols)
    figure = Figure(figsize=(3.6 * ncols, 2.6 * nrows + 0.6), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False)
    target = schema.target
    classes = target is not None and target in df.columns and schema.column(target).type == "int"
    labels = df[target].to_numpy() if classes and target is not None else None
    for index, name in enumerate(features):
        ax = axes[index // ncols][index % ncols]
        values = df[name].to_numpy(dtype="float64")
        present = ~np.isnan(values)  # an empty value has no place on the axis: counted in the title
        values = values[present]
        edges = np.histogram_bin_edges(values, bins=bins) if len(values) else np.linspace(0.0, 1.0, bins + 1)
        if labels is None:
            ax.hist(values, bins=edges, histtype="stepfilled", color="tab:blue")
        else:
            for label, label_name in enumerate(schema.target_names):
                ax.hist(
                    values[labels[present] == label], bins=edges, histtype="stepfilled", alpha=0.45, label=label_name
                )
        empty = int(len(present) - present.sum())
        ax.set_title(f"{name} ({empty:,} empty)" if empty else name, fontsize=9)
        ax.tick_params(labelsize=7)
    for index in range(len(features), nrows * ncols):
        axes[index // ncols][index % ncols].set_visible(False)
    if labels is not None:
        figure.legend(*axes[0][0].get_legend_handles_labels(), loc="outside upper right", fontsize=8)
    shown = f"; the first {len(features)} of {len(available)}" if len(features) < len(available) else ""
    by_class = " by class" if labels is not None else ""
    rows = f"{len(df):,} of {population:,} rows, seeded sample" if population and population > len(df) else None
    figure.suptitle(f"{title}: feature distributions{by_class} ({rows or f'{len(df):,} rows'}{shown})")
    return _save(figure, out_path)


def plot_correlation(df: pd.DataFrame, columns: Sequence[str], out_path: Path, *, title: str) -> Path:
    """Pearson correlations of ``columns`` (the first :data:`MAX_PLOTTED_COLUMNS`, at least two; pairs of rows
    with both values), annotated when there are few; returns ``out_path``."""
    shown = [c for c in columns if c in df.columns][:MAX_PLOTTED_COLUMNS]
    if len(shown) < 2:
        raise ConfigError(f"plot_correlation: '{title}' needs two numeric columns, got {shown}")
    matrix = df[shown].astype("float64").corr().to_numpy()
    size = max(4.5, 1.5 + 0.45 * len(shown))
    figure = Figure(figsize=(size + 1.2, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(np.nan_to_num(matrix), cmap="RdBu_r", vmin=-1.0, vmax=1.0)
    if len(shown) <= 12:
        for (row, col), value in np.ndenumerate(matrix):
            text = "-" if math.isnan(value) else f"{value:.2f}"
            colour = "white" if abs(value) > 0.6 else "black"
            ax.text(col, row, text, ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(shown)), labels=shown, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(shown)), labels=shown, fontsize=7)
    ax.set_title(title, fontsize=10)
    figure.colorbar(image, ax=ax)
    return _save(figure, out_path)


def plot_predicted_vs_actual(
    actual: Sequence[float], predicted: Sequence[float], out_path: Path, *, title: str = "Predicted vs actual"
) -> Path:
    """A regressor's held-out predictions against the true values, with the diagonal of perfect predictions;
    returns ``out_path``."""
    if len(actual) != len(predicted) or not actual:
        raise ConfigError(f"plot_predicted_vs_actual: {len(actual)} actual and {len(predicted)} predicted values")
    low, high = min(*actual, *predicted), max(*actual, *predicted)
    figure = Figure(figsize=(5.5, 5.0), layout="constrained")
    ax = figure.subplots()
    ax.plot([low, high], [low, high], color="grey", linewidth=1, linestyle="--", label="perfect prediction")
    ax.scatter(actual, predicted, s=14, alpha=0.7, color="tab:blue", label="held-out row")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title, fontsize=10)
    return _save(figure, out_path)


def plot_confusion_matrix(
    cm: Sequence[Sequence[int]], labels: Sequence[str], out_path: Path, *, title: str = "Confusion matrix"
) -> Path:
    """Counts of true (rows) against predicted (columns) labels, annotated; returns ``out_path``."""
    matrix = np.asarray(cm, dtype="int64")
    if matrix.ndim != 2 or matrix.shape != (len(labels), len(labels)):
        raise ConfigError(f"plot_confusion_matrix: matrix shape {matrix.shape} does not fit {len(labels)} labels")
    size = max(4.0, 1.2 + 0.9 * len(labels))
    figure = Figure(figsize=(size + 1.2, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        colour = "white" if count > threshold else "black"
        ax.text(col, row, str(count), ha="center", va="center", color=colour)
    ax.set_xticks(range(len(labels)), labels=list(labels), rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels=list(labels))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    figure.colorbar(image, ax=ax)
    return _save(figure, out_path)


def plot_feature_importance(
    importances: Mapping[str, float], out_path: Path, *, top_n: int = 20, title: str = "Feature importance"
) -> Path:
    """Horizontal bars of the ``top_n`` largest importances (ties broken by name); returns ``out_path``."""
    if not importances:
        raise ConfigError("plot_feature_importance: no importances given")
    ranked = sorted(importances.items(), key=lambda item: (-item[1], item[0]))[:top_n]
    names = [name for name, _ in reversed(ranked)]
    values = [value for _, value in reversed(ranked)]
    figure = Figure(figsize=(7.0, 1.0 + 0.32 * len(ranked)), layout="constrained")
    ax = figure.subplots()
    ax.barh(names, values, color="tab:green")
    ax.set_xlabel("importance (share of total)")
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(title)
    return _save(figure, out_path)


def correlated_columns(schema: TableSchema) -> tuple[str, ...]:
    """The columns of a correlation heatmap: int and float columns but the identifiers (primary key, unique)."""
    return tuple(c.name for c in schema.columns if c.type in NUMERIC_TYPES and c.name not in schema.identifiers)


@dataclass(frozen=True)
class FigureSet:
    """The figures drawn for one dataset (and, when a model was given, its evaluation)."""

    feature_distributions: Path
    confusion_matrix: Path | None = None
    feature_importance: Path | None = None
    correlation: Path | None = None
    predicted_vs_actual: Path | None = None

    def all(self) -> tuple[Path, ...]:
        paths = (
            self.feature_distributions,
            self.correlation,
            self.confusion_matrix,
            self.predicted_vs_actual,
            self.feature_importance,
        )
        return tuple(p for p in paths if p is not None)


def plot_dataset_figures(
    dataset_path: Path,
    out_dir: Path,
    model_path: Path | None = None,
    *,
    sample: DatasetSample | None = None,
    held_out: tuple[Sequence[float], Sequence[float]] | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    seed: int = 42,
) -> FigureSet:
    """Feature distributions of a dataset's sample and, unless a classifier is given, the correlations of its
    int and float columns but identifiers (two or more); then a saved classifier's confusion matrix, or a
    regressor's held-out ``(actual, predicted)`` values, and the model's importances. The dataset is verified
    against its manifest and sampled (at most ``sample_rows`` rows, drawn with ``seed``) unless the caller
    passes it, already verified and sampled, as ``sample``."""
    if sample is None:
        scan = scan_verified_dataset(dataset_path)
        sample = draw_sample(scan, sample_rows, seed)
        scan.confirm()
    frame, manifest = sample.dataset.frame, sample.dataset.manifest
    name, schema = manifest.dataset_name, manifest.table_schema
    distributions = plot_feature_distributions(
        frame,
        schema,
        out_dir / f"{name}_feature_distributions.png",
        dataset=name,
        population=sample.population,
    )
    metadata = load_model_metadata(model_path) if model_path is not None else None
    numeric = correlated_columns(schema)
    correlation = None
    if (metadata is None or metadata.task == "regression") and len(numeric) >= 2:
        sampled = f"; {sample.rows:,} of {sample.population:,} rows, seeded sample" if sample.sampled else ""
        correlation = plot_correlation(
            frame, numeric, out_dir / f"{name}_correlation.png", title=f"{name}: correlation (Pearson{sampled})"
        )
    if metadata is None or model_path is None:
        return FigureSet(distributions, correlation=correlation)
    stem = model_path.stem
    importance = plot_feature_importance(
        metadata.feature_importances, out_dir / f"{stem}_feature_importance.png", title=f"{stem}: importance"
    )
    metrics = metadata.metrics
    if isinstance(metrics, RegressionMetrics):
        scatter = None
        if held_out is not None:
            scatter = plot_predicted_vs_actual(
                *held_out,
                out_dir / f"{stem}_predicted_vs_actual.png",
                title=f"{stem}\nheld-out predictions of {schema.target} (n={metrics.n_test}, R² {metrics.r2:.3f})",
            )
        return FigureSet(distributions, None, importance, correlation, scatter)
    confusion = plot_confusion_matrix(
        metrics.confusion_matrix,
        metrics.labels,
        out_dir / f"{stem}_confusion_matrix.png",
        title=f"{stem}\nheld-out confusion matrix (n={metrics.n_test})",
    )
    return FigureSet(distributions, confusion, importance)


app = typer.Typer(add_completion=False, help="Draw the dataset's and the model's figures as PNG files.")


@app.command()
def main(
    dataset: Annotated[Path, typer.Option(help="A <name>.parquet with its <name>.dataset.json beside it.")],
    model: Annotated[Path | None, typer.Option(help="A saved model; adds confusion matrix and importances.")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Default: <data dir>/reports/figures.")] = None,
) -> None:
    """Write feature distributions (and model figures) for DATASET."""
    try:
        figures = plot_dataset_figures(dataset, out_dir if out_dir is not None else data_paths().figures, model)
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for path in figures.all():
        typer.echo(str(path))


if __name__ == "__main__":
    app()
