"""The report: self-contained HTML with embedded figures, metrics and statistics, full lineage, escaped text."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.data_science.dataset_profile import profile_dataset
from airnub_prefect_starter.data_science.dataset_store import WrittenDataset, write_dataset
from airnub_prefect_starter.data_science.modeling.metadata import ClassificationMetrics
from airnub_prefect_starter.data_science.modeling.train import TrainResult, train_estimator
from airnub_prefect_starter.data_science.plots import plot_dataset_figures
from airnub_prefect_starter.data_science.reporting import Report, ReportFigure, build_report
from tests.support.demo_recipes import parse_demo

SOURCE_URL = "http://127.0.0.1:8765/files/iris.csv"


@dataclass(frozen=True)
class Pipeline:
    dataset: WrittenDataset
    trained: TrainResult
    figures: list[ReportFigure]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, sklearn_csv: Callable[[str], Path]) -> Pipeline:
    """iris parsed, written, trained and plotted once for the module (reports only read these files)."""
    base = tmp_path_factory.mktemp("pipeline")
    table = parse_demo(sklearn_csv("iris"), "iris")
    dataset = write_dataset(table, base / "processed", "iris", list(table.input_sha256s))
    trained = train_estimator(dataset.parquet_path, base / "models")
    drawn = plot_dataset_figures(dataset.parquet_path, base / "reports" / "figures", trained.model_path)
    assert drawn.confusion_matrix is not None and drawn.feature_importance is not None
    figures = [
        ReportFigure("Feature distributions", drawn.feature_distributions),
        ReportFigure("Confusion matrix <held-out>", drawn.confusion_matrix, from_model=True),
        ReportFigure("Feature importance", drawn.feature_importance, from_model=True),
    ]
    return Pipeline(dataset, trained, figures)


@pytest.fixture
def iris_dataset(pipeline: Pipeline) -> WrittenDataset:
    return pipeline.dataset


@pytest.fixture
def trained(pipeline: Pipeline) -> TrainResult:
    return pipeline.trained


@pytest.fixture
def figures(pipeline: Pipeline) -> list[ReportFigure]:
    return pipeline.figures


def make_report(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> Report:
    return build_report(
        tmp_path / "reports",
        profile=profile_dataset(iris_dataset.parquet_path),
        sources=[(iris_dataset.manifest.input_sha256s[0], SOURCE_URL)],
        figures=figures,
        model=trained.metadata,
    )


def test_build_report_embeds_every_figure(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> None:
    report = make_report(iris_dataset, trained, figures, tmp_path)

    page = report.html_path.read_text(encoding="utf-8")
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(embedded) == 3
    assert [base64.b64decode(e) for e in embedded] == [f.path.read_bytes() for f in figures]
    assert 'src="http' not in page and "<link" not in page and "<script" not in page  # self-contained


def test_build_report_has_metrics_and_statistics(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> None:
    report = make_report(iris_dataset, trained, figures, tmp_path)

    page = report.html_path.read_text(encoding="utf-8")
    markdown = report.markdown_path.read_text(encoding="utf-8")
    assert isinstance(trained.metrics, ClassificationMetrics)
    accuracy = f"{trained.metrics.accuracy:.4f}"
    assert f"<td>accuracy</td><td>{accuracy}</td>" in page and f"| accuracy | {accuracy} |" in markdown
    assert "<th>mean</th>" in page and "| sepal_length_cm | 150 | 0 | 5.843 |" in markdown
    assert "| setosa | 50 |" in markdown
    links = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", markdown)
    assert [title for title, _ in links] == [
        "Feature distributions",
        "Confusion matrix &lt;held-out&gt;",
        "Feature importance",
    ]
    assert [(report.markdown_path.parent / target).resolve() for _, target in links] == [f.path for f in figures]


def test_build_report_lineage_names_dataset_model_and_raw_inputs(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> None:
    report = make_report(iris_dataset, trained, figures, tmp_path)

    raw_sha = iris_dataset.manifest.input_sha256s[0]
    for text in (report.html_path.read_text(encoding="utf-8"), report.markdown_path.read_text(encoding="utf-8")):
        lineage = text[text.index("Lineage</h2>" if text.startswith("<!DOCTYPE") else "## Lineage") :]
        assert iris_dataset.manifest.sha256 in lineage and raw_sha in lineage and SOURCE_URL in lineage
        assert trained.model_sha256 in lineage
    artifacts = [entry.artifact for entry in report.lineage]
    assert artifacts[:3] == [f"figure: {f.title}" for f in figures]
    assert "metric: accuracy" in artifacts and "metric: confusion matrix" in artifacts
    assert all(e.dataset_sha256 == iris_dataset.manifest.sha256 for e in report.lineage)
    assert all(e.inputs == ((raw_sha, SOURCE_URL),) for e in report.lineage)
    by_artifact = {e.artifact: e.model_sha256 for e in report.lineage}
    assert by_artifact["figure: Feature distributions"] is None
    assert by_artifact["figure: Feature importance"] == trained.model_sha256


def test_build_report_escapes_text(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> None:
    hostile = [ReportFigure('<script>alert("x")</script>', figures[0].path)]

    report = build_report(
        tmp_path / "reports",
        profile=profile_dataset(iris_dataset.parquet_path),
        sources=[(iris_dataset.manifest.input_sha256s[0], "http://h/<b>?token=secret")],
        figures=hostile,
        title="A & B <i>",
    )

    page = report.html_path.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<title>A &amp; B &lt;i&gt;</title>" in page
    assert "secret" not in page and "token=REDACTED" in page
    assert "<script>" not in report.markdown_path.read_text(encoding="utf-8")


def test_build_report_is_not_rewritten_when_unchanged(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> None:
    first = make_report(iris_dataset, trained, figures, tmp_path)
    mtime = first.html_path.stat().st_mtime_ns

    second = make_report(iris_dataset, trained, figures, tmp_path)

    assert first.rewritten is True and second.rewritten is False
    assert second.html_path.stat().st_mtime_ns == mtime


def test_build_report_refuses_model_of_another_dataset(
    iris_dataset: WrittenDataset, trained: TrainResult, tmp_path: Path
) -> None:
    other = trained.metadata.model_copy(update={"dataset_sha256": "f" * 64})

    with pytest.raises(ConfigError, match="was trained on dataset sha256 f{64}"):
        build_report(
            tmp_path / "reports",
            profile=profile_dataset(iris_dataset.parquet_path),
            sources=[],
            model=other,
        )


def test_build_report_lists_each_raw_input_once_when_several_urls_served_it(
    iris_dataset: WrittenDataset, trained: TrainResult, figures: list[ReportFigure], tmp_path: Path
) -> None:
    raw_sha = iris_dataset.manifest.input_sha256s[0]
    ports = [SOURCE_URL.replace("8765", port) for port in ("8765", "41001", "41002")]  # a source on three ports

    report = build_report(
        tmp_path / "reports",
        profile=profile_dataset(iris_dataset.parquet_path),
        sources=[(raw_sha, url) for url in ports],
        figures=figures,
        model=trained.metadata,
    )

    markdown = report.markdown_path.read_text(encoding="utf-8")
    raw_inputs = markdown.split("### Raw inputs", 1)[1]
    assert re.findall(rf"^\| {raw_sha} \| (.*) \|$", raw_inputs, flags=re.MULTILINE) == [f"{SOURCE_URL} (and 2 more)"]
    assert all(e.inputs == ((raw_sha, f"{SOURCE_URL} (and 2 more)"),) for e in report.lineage)
