"""The analysis of a dataset by its target: statistics and figures without a target (no model), a regression of a
float target, and the incremental decision when the target changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airnub_prefect_starter.analysis.config import AnalysedDataset
from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.pipeline import analyse_dataset, plan_analysis
from airnub_prefect_starter.analysis.record import load_analysis_record
from airnub_prefect_starter.cli.output import stage_listing
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.modeling.metadata import MetricsFile
from tests.analysis.test_pipeline import Processed, process_raw

#: 40 orders: amount = 3 * items + 0.5 * distance (a float target), a channel and a date with one gap.
ORDERS = b"items,distance,amount,channel,ordered_on\n" + b"".join(
    f"{i % 7 + 1},{(i * 13) % 17}.5,{3 * (i % 7 + 1) + 0.5 * ((i * 13) % 17 + 0.5):.2f},"
    f"{('web', 'shop')[i % 2]},{'' if i == 5 else f'2024-01-{i % 28 + 1:02d}'}\n".encode()
    for i in range(40)
)
ORDERS_SPEC = {
    "name": "orders",
    "input": {"data_source_name": "files", "filename": "orders.csv"},
    "format": "csv",
    "schema": {
        "columns": [
            {"name": "items", "type": "int"},
            {"name": "distance", "type": "float"},
            {"name": "amount", "type": "float"},
            {"name": "channel", "type": "category"},
            {"name": "ordered_on", "type": "date", "nullable": True},
        ]
    },
}
STATISTICS = AnalysedDataset(name="orders")
REGRESSION = AnalysedDataset(name="orders", target="amount", model="linear_regression", seed=1)
PNG = re.compile(r'<img src="data:image/png;base64,')


@pytest.fixture
def processed(tmp_path: Path) -> Processed:
    """orders.csv stored, indexed and processed into ``orders.parquet`` (no target declared)."""
    return process_raw(tmp_path, ORDERS_SPEC, ORDERS)


def test_analysis_without_a_target_reports_statistics_and_figures_and_no_model(processed: Processed) -> None:
    outcome = analyse_dataset(STATISTICS, processed.layout)

    assert (outcome.status, outcome.task, outcome.model_kind, outcome.model_path, outcome.accuracy) == (
        "analysed",
        None,
        None,
        None,
        None,
    )
    assert [Path(f).name for f in outcome.figures] == ["orders_feature_distributions.png", "orders_correlation.png"]
    assert not (processed.data_dir / "models").exists()
    markdown = Path(outcome.report_markdown or "").read_text(encoding="utf-8")
    page = Path(outcome.report_html or "").read_text(encoding="utf-8")
    assert len(PNG.findall(page)) == 2 and "Metrics (held-out split)" not in page
    assert "No model: the analysis names no target." in markdown
    assert "| items | 40 | 0 | 3.875 | 1.99 | 1 | 2 | 4 | 5.25 | 7 |" in markdown
    assert "| channel | 40 | 0 | 2 | shop (20); web (20) |" in markdown
    assert "| amount | 40 | 0 | 15.8 | 6.637 | 3.25 | 11.12 | 15.5 | 20.5 | 29.25 |" in markdown
    assert "| ordered_on | 39 | 1 | 2024-01-01 | 2024-01-28 |" in markdown
    assert "figure: Feature distributions; figure: Correlation of the numeric columns; table: descriptive" in markdown
    record = load_analysis_record(processed.data_dir / "reports" / "orders" / "analysis.json")
    assert record is not None and (record.model_sha256, record.metrics, record.recipe.model_kind) == (None, None, None)
    assert [ref.path for ref in record.outputs.all()][-2:] == ["reports/orders/report.md", "reports/orders/report.html"]

    again = analyse_dataset(STATISTICS, processed.layout)

    assert again.status == "unchanged" and again.report_html == outcome.report_html
    listing = stage_listing(ANALYSIS.result("Shop", {"reports": [outcome]}), "Shop: analysis", processed.data_dir)
    assert (
        listing[1]
        == "analysed   classification_reports/orders  model none (statistics only)  reports/orders/report.html"
    )


def test_analysis_of_a_float_target_is_a_regression_scored_on_held_out_rows(processed: Processed) -> None:
    outcome = analyse_dataset(REGRESSION, processed.layout)

    assert (outcome.status, outcome.task, outcome.model_kind, outcome.accuracy) == (
        "analysed",
        "regression",
        "linear_regression",
        None,
    )
    assert outcome.r2 is not None and outcome.r2 > 0.999 and outcome.mae is not None and outcome.mae < 0.01
    assert (outcome.n_train, outcome.n_test) == (30, 10)
    assert [Path(f).name for f in outcome.figures] == [
        "orders_feature_distributions.png",
        "orders_correlation.png",
        "orders_linear_regression_predicted_vs_actual.png",
        "orders_linear_regression_feature_importance.png",
    ]
    saved = MetricsFile.model_validate_json(Path(outcome.metrics_path or "").read_bytes())
    assert saved.metrics.n_test == 10 and getattr(saved.metrics, "r2", None) == outcome.r2
    markdown = Path(outcome.report_markdown or "").read_text(encoding="utf-8")
    page = Path(outcome.report_html or "").read_text(encoding="utf-8")
    assert len(PNG.findall(page)) == 4
    assert f"<td>R²</td><td>{outcome.r2:.4f}</td>" in page and f"| RMSE | {outcome.rmse:.4g} |" in markdown
    assert "| model | linear_regression regression of amount (orders_linear_regression.joblib) |" in markdown
    assert "| amount | 40 | 0 |" in markdown  # a regression's target is summarised with the numbers
    assert f"metric: R²; metric: MAE; metric: RMSE | orders | {outcome.dataset_sha256} | {outcome.model_sha256}" in (
        markdown.replace("figure: Predicted vs actual (held-out split); figure: Feature importance; ", "")
    )
    listing = stage_listing(ANALYSIS.result("Shop", {"reports": [outcome]}), "Shop: analysis", processed.data_dir)
    assert listing[1] == (
        "analysed   classification_reports/orders  model linear_regression  "
        f"R² {outcome.r2:.4f}  MAE {outcome.mae:.4g}  RMSE {outcome.rmse:.4g}  reports/orders/report.html"
    )


def test_changing_the_target_analyses_again_and_an_unchanged_one_does_not(processed: Processed) -> None:
    layout = processed.layout
    assert analyse_dataset(STATISTICS, layout).status == "analysed"
    assert plan_analysis(STATISTICS, layout).up_to_date

    assert not plan_analysis(REGRESSION, layout).up_to_date
    assert analyse_dataset(REGRESSION, layout).status == "analysed"
    assert analyse_dataset(REGRESSION, layout).status == "unchanged"
    by_channel = AnalysedDataset(name="orders", target="channel", seed=1)
    assert not plan_analysis(by_channel, layout).up_to_date
    assert not plan_analysis(STATISTICS, layout).up_to_date


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            AnalysedDataset(name="orders", target="amount", model="logistic_regression"),
            r"dataset 'orders': target 'amount' is float, a regression; model logistic_regression does not fit it "
            r"\(use random_forest or linear_regression\)",
        ),
        (
            AnalysedDataset(name="orders", target="channel", model="linear_regression"),
            r"dataset 'orders': target 'channel' is category, a classification; model linear_regression",
        ),
        (AnalysedDataset(name="orders", target="ordered_on"), r"dataset 'orders': target 'ordered_on' is date"),
    ],
    ids=["classifier-of-a-float", "regressor-of-a-category", "date"],
)
def test_a_model_that_cannot_fit_the_target_is_an_error_naming_dataset_and_column(
    processed: Processed, spec: AnalysedDataset, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        analyse_dataset(spec, processed.layout)

    assert not (processed.data_dir / "reports" / "orders").exists()
