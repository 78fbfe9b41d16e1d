"""Artifact content of the analysis stage (pure functions of its results)."""

from __future__ import annotations

from pathlib import Path

from airnub_prefect_starter.analysis.artifacts import analysis_summary_markdown, report_link, stage_artifacts
from airnub_prefect_starter.analysis.contract import ANALYSIS
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.stages.artifacts import LinkArtifact, MarkdownArtifact

DATASET, MODEL, RAW = "d" * 64, "e" * 64, "f" * 64


def test_analysis_markdown_has_metrics_lineage_and_failures() -> None:
    analysed = AnalysisOutcome(
        category="classification_reports",
        name="iris",
        status="analysed",
        dataset_sha256=DATASET,
        sources=((RAW, "http://h/iris.csv"), (RAW, "http://mirror/a|b.csv")),
        model_kind="random_forest",
        model_sha256=MODEL,
        accuracy=0.97368,
        f1_macro=0.9733,
        n_train=112,
        n_test=38,
        report_html="/d/reports/iris/report.html",
    )
    failed = AnalysisOutcome.failure("classification_reports", "wine", ConfigError("dataset 'wine': missing"))
    result = ANALYSIS.result("Project Alpha", {"classification_reports": [analysed, failed]})

    markdown = analysis_summary_markdown(result)

    assert markdown.startswith("# Project Alpha: analysis\n\n1 analysed, 0 unchanged, 1 failed.\n")
    assert (
        "| iris | analysed | random_forest | 0.9737 | 0.9733 |  |  |  | 112 / 38 | /d/reports/iris/report.html |"
        in markdown
    )
    assert f"| iris | {DATASET} | {MODEL} | {RAW} | http://h/iris.csv |" in markdown
    assert f"| iris | {DATASET} | {MODEL} | {RAW} | http://mirror/a\\|b.csv |" in markdown  # pipes escaped
    assert "- **classification_reports / wine**: dataset 'wine': missing" in markdown
    no_base = AirnubSettings(data_dir=Path("/d"))
    served = AirnubSettings(data_dir=Path("/d"), reports_base_url="https://reports.example.org/alpha/")
    assert report_link(analysed, served) == "https://reports.example.org/alpha/reports/iris/report.html"
    assert report_link(analysed, no_base) is None and report_link(failed, served) is None
    assert "| reports/iris/report.html |" in analysis_summary_markdown(result, Path("/d"))


def test_analysis_markdown_shows_a_regression_s_errors_and_says_no_model_without_a_target() -> None:
    regression = AnalysisOutcome(
        "order_report",
        "orders",
        "analysed",
        dataset_sha256=DATASET,
        task="regression",
        model_kind="linear_regression",
        r2=0.91234,
        mae=3.14159,
        rmse=4.5,
        n_train=45,
        n_test=15,
        report_html="/d/reports/orders/report.html",
    )
    statistics = AnalysisOutcome("order_stats", "visits", "unchanged", dataset_sha256=DATASET, report_html="/r.html")
    result = ANALYSIS.result("Shop", {"order_report": [regression], "order_stats": [statistics]})

    markdown = analysis_summary_markdown(result)

    assert "| orders | analysed | linear_regression |  |  | 0.9123 | 3.142 | 4.5 | 45 / 15 | " in markdown
    assert "| visits | unchanged | none (statistics only) |  |  |  |  |  |  | /r.html |" in markdown
    assert f"| visits | {DATASET} |  | (unknown) | (unknown) |" in markdown  # no model sha256 in its lineage


def test_analysis_publishes_the_report_then_a_link_per_html_report_under_the_base_url() -> None:
    analysed = AnalysisOutcome("classification_reports", "iris", "analysed", report_html="/d/reports/iris/report.html")
    result = ANALYSIS.result("Project Alpha", {"classification_reports": [analysed]})
    settings = AirnubSettings(data_dir=Path("/d"), reports_base_url="http://reports.local")

    (only,) = stage_artifacts(result, AirnubSettings(data_dir=Path("/d")))
    report, link = stage_artifacts(result, settings)

    assert isinstance(report, MarkdownArtifact) and report.key == "project-alpha-analysis-report"
    assert report.description == "Project Alpha: analysis: 1 analysed, 0 unchanged, 0 failed"
    assert isinstance(link, LinkArtifact) and link.key == "project-alpha-analysis-iris-report"
    assert link.link == "http://reports.local/reports/iris/report.html" and link.link_text == "iris: HTML report"
    assert only == report
