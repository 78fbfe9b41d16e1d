"""Project Alpha's analysis stage on the session's Prefect test server: model and metrics, valid PNG figures, a
report whose lineage reaches the raw sha256 and its URL, artifacts, and nothing rewritten on a second run."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from matplotlib import image

from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import StageFailedError
from airnub_prefect_starter.data_science.modeling.metadata import MetricsFile, ModelMetadata
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import ProcessingRuntime, build_dataset
from airnub_prefect_starter.stages.results import StageResult
from flows.dept_project_alpha.analysis_flow_dept_project_alpha import analysis_flow_dept_project_alpha
from tests.flows.test_ingestion_flow_dept_project_alpha import artifacts_of
from tests.support.demo_recipes import demo_dataset
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.raw_inputs import ingest_raw, sklearn_iris_csv

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CONFIG = {"classification_reports": {"datasets": [{"name": "iris", "model": "random_forest", "seed": 7}]}}
Snapshot = dict[Path, tuple[int, bytes]]


def run_analysis(config: dict[str, Any] | None) -> tuple[Any, StageResult[AnalysisOutcome]]:
    state = analysis_flow_dept_project_alpha(config=config, return_state=True)
    if state.is_completed():
        return state, state.result()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, StageFailedError), error
    return state, error.result


def outputs(data_dir: Path) -> Snapshot:
    return {
        p: (p.stat().st_mtime_ns, p.read_bytes())
        for folder in ("models", "reports")
        for p in sorted((data_dir / folder).rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class Analysed:
    data_dir: Path
    url: str
    dataset_sha256: str
    first_state: Any
    first: AnalysisOutcome
    first_outputs: Snapshot
    second: AnalysisOutcome
    second_outputs: Snapshot


@pytest.fixture(scope="module")
def analysed(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analysed]:
    """Iris ingested from a loopback server and processed by the core, then analysed twice by the flow."""
    data_dir = tmp_path_factory.mktemp("analysis") / "data"
    with pytest.MonkeyPatch.context() as patch, LoopbackHTTPServer() as server:
        patch.setenv("AIRNUB_DATA_DIR", str(data_dir))
        ingest_raw(server, "/files/iris.csv", sklearn_iris_csv(), data_source_name="alpha_files", name="iris")
        spec = DatasetSpec.model_validate(
            demo_dataset("iris", input={"data_source_name": "alpha_files", "filename": "iris.csv"})
        )
        settings = load_settings()
        dataset = build_dataset(
            spec,
            ProcessingRuntime(
                category="tabular_files",
                output_dir=data_dir / "processed",
                index_url=settings.resolved_index_url,
            ),
        )
        assert dataset.sha256 is not None
        first_state, first = run_analysis(CONFIG)
        first_outputs = outputs(data_dir)
        _, second = run_analysis(CONFIG)
        yield Analysed(
            data_dir,
            server.url("/files/iris.csv"),
            dataset.sha256,
            first_state,
            first.outcomes[0],
            first_outputs,
            second.outcomes[0],
            outputs(data_dir),
        )


def test_analysis_saves_model_with_metadata_and_metrics(analysed: Analysed) -> None:
    outcome, data_dir = analysed.first, analysed.data_dir

    assert analysed.first_state.is_completed() and outcome.status == "analysed"
    model = data_dir / "models" / "iris" / "iris_random_forest.joblib"
    assert outcome.model_path == str(model) and sha256_file(model) == outcome.model_sha256
    metadata = ModelMetadata.model_validate_json(
        (data_dir / "models" / "iris" / "iris_random_forest.metadata.json").read_bytes()
    )
    assert (metadata.model_sha256, metadata.dataset_sha256) == (outcome.model_sha256, analysed.dataset_sha256)
    assert metadata.input_sha256s == (sha256_hex(sklearn_iris_csv()),)
    assert metadata.params["seed"] == 7 and metadata.params["test_size"] == 0.25
    metrics = MetricsFile.model_validate_json(Path(outcome.metrics_path or "").read_bytes())
    assert metrics.dataset_sha256 == outcome.dataset_sha256 == analysed.dataset_sha256
    assert metrics.metrics.accuracy == outcome.accuracy and 0.8 <= metrics.metrics.accuracy <= 1.0
    assert (metrics.metrics.n_train, metrics.metrics.n_test) == (112, 38)


def test_analysis_draws_valid_non_empty_png_figures(analysed: Analysed) -> None:
    figures = [Path(f) for f in analysed.first.figures]

    assert [f.name for f in figures] == [
        "iris_feature_distributions.png",
        "iris_random_forest_confusion_matrix.png",
        "iris_random_forest_feature_importance.png",
    ]
    for figure in figures:
        assert figure.parent == analysed.data_dir / "reports" / "figures"
        assert figure.read_bytes().startswith(PNG_SIGNATURE)
        pixels = image.imread(figure)
        height, width = pixels.shape[:2]
        assert height > 100 and width > 100
        assert pixels.min() < pixels.max()  # something was drawn, not a blank canvas


def test_analysis_report_traces_every_figure_and_metric_to_the_raw_source(analysed: Analysed) -> None:
    outcome = analysed.first
    page = Path(outcome.report_html or "").read_text(encoding="utf-8")
    markdown = Path(outcome.report_markdown or "").read_text(encoding="utf-8")
    raw_sha256 = sha256_hex(sklearn_iris_csv())

    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert [base64.b64decode(e) for e in embedded] == [Path(f).read_bytes() for f in outcome.figures]
    without_model = "figure: Feature distributions by class; table: descriptive statistics"
    with_model = (
        "figure: Confusion matrix (held-out split); figure: Feature importance; metric: accuracy; metric: macro F1; "
        "metric: per-class precision/recall/F1; metric: confusion matrix"
    )
    for artifacts, model in [(without_model, "-"), (with_model, outcome.model_sha256)]:
        # one row per distinct origin, not one per artifact repeating the same hashes
        row = (
            f"<td>{artifacts}</td><td>iris</td><td>{analysed.dataset_sha256}</td><td>{model}</td><td>{raw_sha256}</td>"
        )
        assert page.count(row) == 1, artifacts
        assert f"| {artifacts} | iris | {analysed.dataset_sha256} | {model} | {raw_sha256} |" in markdown, artifacts
    assert page.count(f"<td>{raw_sha256}</td><td>{analysed.url}</td>") == 1  # each raw input and its URL once
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
    generated = rf"<p>Generated {when} by airnub-prefect-starter \S+ in Prefect flow run [0-9a-f-]{{36}}\.</p>"
    assert re.search(generated, page)
    assert "word-break:break-all" not in page  # long hashes wrap where they must, words never mid-word
    assert f"<td>accuracy</td><td>{outcome.accuracy:.4f}</td>" in page
    assert outcome.sources == ((raw_sha256, analysed.url),)


def test_analysis_publishes_metrics_and_lineage_artifact_naming_the_report(analysed: Analysed) -> None:
    outcome = analysed.first
    artifacts = {a.key: a for a in artifacts_of(analysed.first_state.state_details.flow_run_id)}

    report = artifacts["project-alpha-analysis-report"]
    assert report.type == "markdown"
    scores = f"| {outcome.accuracy:.4f} | {outcome.f1_macro:.4f} |  |  |  | 112 / 38 |"  # no regression scores
    assert f"| iris | analysed | random_forest {scores}" in str(report.data)
    lineage = (
        f"| iris | {analysed.dataset_sha256} | {outcome.model_sha256} | {outcome.sources[0][0]} | {analysed.url} |"
    )
    assert lineage in str(report.data)
    assert "| reports/iris/report.html |" in str(report.data)  # named under the data dir, not a local file:// URL
    assert "project-alpha-analysis-iris-report" not in artifacts  # links only under AIRNUB_REPORTS_BASE_URL


def test_analysis_second_run_is_unchanged_and_rewrites_nothing(analysed: Analysed) -> None:
    first, second = analysed.first, analysed.second

    assert second.status == "unchanged"
    assert (second.accuracy, second.model_sha256, second.figures) == (first.accuracy, first.model_sha256, first.figures)
    assert analysed.second_outputs == analysed.first_outputs
    assert json.loads((analysed.data_dir / "reports" / "iris" / "analysis.json").read_text())["recipe"]["seed"] == 7


def test_analysis_fails_when_the_dataset_was_never_processed(data_dir: Path) -> None:
    state, result = run_analysis(CONFIG)

    assert state.is_failed()
    [outcome] = result.outcomes
    assert (outcome.status, outcome.error_type) == ("failed", "ConfigError")
    assert "run the processing stage first" in (outcome.error or "")
    assert not (data_dir / "models").exists()


def test_analysis_rejects_invalid_config_naming_the_key(data_dir: Path) -> None:
    state = analysis_flow_dept_project_alpha(
        config={"classification_reports": {"datasets": [{"name": "iris", "test_size": 1.5}]}}, return_state=True
    )

    assert state.is_failed()
    assert "classification_reports.datasets[0].test_size: Input should be less than 1" in str(state.message)
