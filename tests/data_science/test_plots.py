"""Figures: valid, readable, non-empty PNGs, reproducible bytes, written only when they change."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib import image as mpimg
from PIL import Image

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, read_dataset
from airnub_prefect_starter.data_science.modeling.train import train_estimator
from airnub_prefect_starter.data_science.plots import (
    correlated_columns,
    plot_confusion_matrix,
    plot_dataset_figures,
    plot_feature_distributions,
    plot_feature_importance,
)
from airnub_prefect_starter.data_science.schemas import TableSchema
from tests.support.demo_recipes import IRIS_SCHEMA

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_valid_png(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    with Image.open(path) as picture:
        picture.verify()
    with Image.open(path) as picture:
        width, height = picture.size
    pixels = mpimg.imread(path)
    assert width > 100 and height > 100 and pixels.shape[:2] == (height, width)
    assert pixels.std() > 0  # something was drawn
    return width, height


def test_plot_feature_distributions_writes_png(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    out = tmp_path / "figs" / "dist.png"

    written = plot_feature_distributions(read_dataset(iris_dataset.parquet_path), IRIS_SCHEMA, out)

    assert written == out
    assert_valid_png(out)


def test_plot_confusion_matrix_writes_png(tmp_path: Path) -> None:
    out = plot_confusion_matrix([[5, 1], [0, 7]], ["no", "yes"], tmp_path / "cm.png")

    assert_valid_png(out)


def test_plot_confusion_matrix_rejects_shape_mismatch(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"matrix shape \(2, 2\) does not fit 3 labels"):
        plot_confusion_matrix([[5, 1], [0, 7]], ["a", "b", "c"], tmp_path / "cm.png")

    assert not (tmp_path / "cm.png").exists()


def test_plot_feature_importance_writes_png(tmp_path: Path) -> None:
    out = plot_feature_importance({"a": 0.5, "b": 0.3, "c": 0.2}, tmp_path / "imp.png", top_n=2)

    assert_valid_png(out)


def test_plots_are_reproducible_and_not_rewritten(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    frame = read_dataset(iris_dataset.parquet_path)
    first = plot_feature_distributions(frame, IRIS_SCHEMA, tmp_path / "a.png", dataset="iris")
    second = plot_feature_distributions(frame, IRIS_SCHEMA, tmp_path / "b.png", dataset="iris")
    mtime = first.stat().st_mtime_ns

    plot_feature_distributions(frame, IRIS_SCHEMA, first, dataset="iris")

    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_mtime_ns == mtime
    assert b"Software" not in first.read_bytes()


def test_plot_dataset_figures_draws_dataset_and_model_figures(iris_dataset: WrittenDataset, tmp_path: Path) -> None:
    trained = train_estimator(iris_dataset.parquet_path, tmp_path / "models")

    figures = plot_dataset_figures(iris_dataset.parquet_path, tmp_path / "figures", trained.model_path)

    assert [p.name for p in figures.all()] == [
        "iris_feature_distributions.png",
        "iris_random_forest_confusion_matrix.png",
        "iris_random_forest_feature_importance.png",
    ]
    for path in figures.all():
        assert_valid_png(path)


def test_the_correlation_heatmap_leaves_out_identifiers() -> None:
    schema = TableSchema.model_validate(
        {
            "columns": [
                {"name": "order_id", "type": "int"},
                {"name": "items", "type": "int"},
                {"name": "serial", "type": "int", "checks": {"unique": True}},
                {"name": "amount", "type": "float"},
                {"name": "channel", "type": "str"},
            ],
            "primary_key": ["order_id"],
        }
    )

    assert correlated_columns(schema) == ("items", "amount")


def test_feature_distributions_of_a_feature_with_empty_values_count_them(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, None, 2.0, 2.5], "y": [None, None, None, None]}, dtype="float64")
    columns = [{"name": name, "type": "float", "nullable": True} for name in ("x", "y")]
    schema = TableSchema.model_validate({"columns": columns})

    assert_valid_png(plot_feature_distributions(frame, schema, tmp_path / "dist.png", population=40))
