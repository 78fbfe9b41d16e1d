"""Figures as PNG files, drawn on :class:`matplotlib.figure.Figure` objects (Agg canvas, no pyplot state).

PNGs carry no software/date metadata, so the same data and library versions give the same bytes; files are
written atomically and left untouched when their bytes would not change. Run as a script::

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
from airnub_prefect_starter.data_science.dataset_store import (
    VerifiedDataset,
    atomic_write_bytes,
    read_verified_dataset,
)
from airnub_prefect_starter.data_science.modeling.metadata import load_model_metadata
from airnub_prefect_starter.data_science.schemas import TableSchema

__all__ = [
    "FigureSet",
    "app",
    "plot_confusion_matrix",
    "plot_dataset_figures",
    "plot_feature_distributions",
    "plot_feature_importance",
]

_DPI = 100


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
) -> Path:
    """One histogram per feature, classes overlaid on shared bins; returns ``out_path``. The title names
    ``dataset`` (default: the file's stem)."""
    title = dataset or out_path.stem
    features = [name for name in schema.feature_names if name in df.columns]
    if not features or df.empty:
        raise ConfigError(f"plot_feature_distributions: no rows or no numeric features of '{title}' in the frame")
    ncols = min(columns, len(features))
    nrows = math.ceil(len(features) / ncols)
    figure = Figure(figsize=(3.6 * ncols, 2.6 * nrows + 0.6), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False)
    target = schema.target
    labels = df[target].to_numpy() if target is not None and target in df.columns else None
    for index, name in enumerate(features):
        ax = axes[index // ncols][index % ncols]
        values = df[name].to_numpy(dtype="float64")
        edges = np.histogram_bin_edges(values, bins=bins)
        if labels is None:
            ax.hist(values, bins=edges, histtype="stepfilled", color="tab:blue")
        else:
            for label, label_name in enumerate(schema.target_names):
                ax.hist(values[labels == label], bins=edges, histtype="stepfilled", alpha=0.45, label=label_name)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for index in range(len(features), nrows * ncols):
        axes[index // ncols][index % ncols].set_visible(False)
    if labels is not None:
        figure.legend(*axes[0][0].get_legend_handles_labels(), loc="outside upper right", fontsize=8)
    figure.suptitle(f"{title}: feature distributions by class ({len(df)} rows)")
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


@dataclass(frozen=True)
class FigureSet:
    """The figures drawn for one dataset (and, when a model was given, its evaluation)."""

    feature_distributions: Path
    confusion_matrix: Path | None = None
    feature_importance: Path | None = None

    def all(self) -> tuple[Path, ...]:
        paths = (self.feature_distributions, self.confusion_matrix, self.feature_importance)
        return tuple(p for p in paths if p is not None)


def plot_dataset_figures(
    dataset_path: Path, out_dir: Path, model_path: Path | None = None, *, verified: VerifiedDataset | None = None
) -> FigureSet:
    """Feature distributions of a dataset, plus confusion matrix and importances of a saved model. The dataset
    is verified against its manifest unless the caller passes it, already verified and read, as ``verified``."""
    if verified is None:
        verified = read_verified_dataset(dataset_path)
    manifest = verified.manifest
    distributions = plot_feature_distributions(
        verified.frame,
        manifest.table_schema,
        out_dir / f"{manifest.dataset_name}_feature_distributions.png",
        dataset=manifest.dataset_name,
    )
    if model_path is None:
        return FigureSet(distributions)
    metadata = load_model_metadata(model_path)
    stem = model_path.stem
    metrics = metadata.metrics
    return FigureSet(
        distributions,
        plot_confusion_matrix(
            metrics.confusion_matrix,
            metrics.labels,
            out_dir / f"{stem}_confusion_matrix.png",
            title=f"{stem}\nheld-out confusion matrix (n={metrics.n_test})",
        ),
        plot_feature_importance(
            metadata.feature_importances, out_dir / f"{stem}_feature_importance.png", title=f"{stem}: importance"
        ),
    )


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
