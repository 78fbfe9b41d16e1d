"""The analysis stage's steps without Prefect, and its incremental decision: the analysis record."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.analysis_config_models import AnalysedDataset
from airnub_prefect_starter.core.data_stage_results import AnalysisOutcome
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.core.processing_config_models import FileDatasetSpec
from airnub_prefect_starter.data_science.analysis_record import load_analysis_record
from airnub_prefect_starter.data_science.analysis_stage import (
    AnalysisLayout,
    draw_figures,
    plan_analysis,
    train_model,
    unchanged_outcome,
    write_report,
)
from airnub_prefect_starter.data_science.dataset_building import ProcessingRuntime, build_dataset
from tests.support.raw_inputs import publish_raw, sklearn_iris_csv

SPEC = AnalysedDataset(name="iris", model="logistic_regression", seed=3)


def layout_for(data_dir: Path) -> AnalysisLayout:
    settings = AirnubSettings(data_dir=data_dir)
    return AnalysisLayout.resolve(
        "classification_reports",
        settings,
        datasets_base="processed",
        models_base="models",
        reports_base="reports",
        figures_base="reports/figures",
    )


@dataclass(frozen=True)
class Done:
    data_dir: Path
    outcome: AnalysisOutcome


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> Done:
    """iris stored, processed and analysed once, everything (index included) inside one data dir."""
    data_dir = tmp_path_factory.mktemp("analysis-stage") / "data"
    layout = layout_for(data_dir)
    publish_raw(data_dir / "raw", layout.index_url, "iris.csv", sklearn_iris_csv())
    spec = FileDatasetSpec.model_validate(
        {"name": "iris", "schema_name": "iris", "input": {"data_source_name": "files", "filename": "iris.csv"}}
    )
    build_dataset(spec, ProcessingRuntime("tabular_files", layout.datasets_dir, layout.index_url))
    plan = plan_analysis(SPEC, layout)
    assert not plan.up_to_date
    trained = train_model(plan)
    return Done(data_dir, write_report(plan, trained, draw_figures(plan, trained)))


@pytest.fixture
def copied(done: Done, tmp_path: Path) -> Path:
    """The analysed data dir moved elsewhere (tests may change it)."""
    target = tmp_path / "moved"
    shutil.copytree(done.data_dir, target)
    return target


def test_analysis_record_lists_every_output_relative_to_the_data_dir(done: Done) -> None:
    record = load_analysis_record(done.data_dir / "reports" / "iris" / "analysis.json")

    assert record is not None
    assert [ref.path for ref in record.outputs.all()] == [
        "models/iris/iris_logistic_regression.joblib",
        "models/iris/iris_logistic_regression.metadata.json",
        "models/iris/metrics.json",
        "reports/figures/iris_feature_distributions.png",
        "reports/figures/iris_logistic_regression_confusion_matrix.png",
        "reports/figures/iris_logistic_regression_feature_importance.png",
        "reports/iris/report.md",
        "reports/iris/report.html",
    ]
    assert record.recipe.sources == ((record.recipe.input_sha256s[0], "http://h/iris.csv"),)
    assert (record.recipe.model_kind, record.recipe.seed) == ("logistic_regression", 3)


def test_plan_after_a_complete_analysis_is_up_to_date_and_reports_the_recorded_results(done: Done) -> None:
    plan = plan_analysis(SPEC, layout_for(done.data_dir))

    assert plan.up_to_date
    assert unchanged_outcome(plan) == replace(done.outcome, status="unchanged")


def test_plan_is_still_up_to_date_in_a_moved_data_dir(done: Done, copied: Path) -> None:
    outcome = unchanged_outcome(plan_analysis(SPEC, layout_for(copied)))

    assert outcome.report_html == str(copied / "reports" / "iris" / "report.html")
    assert outcome.model_sha256 == done.outcome.model_sha256


@pytest.mark.parametrize(
    "spec",
    [SPEC.model_copy(update={"seed": 4}), SPEC.model_copy(update={"model": "random_forest"})],
    ids=["seed", "model"],
)
def test_plan_needs_analysis_when_parameters_change(done: Done, spec: AnalysedDataset) -> None:
    assert not plan_analysis(spec, layout_for(done.data_dir)).up_to_date


def test_plan_needs_analysis_when_an_output_is_damaged_or_missing(copied: Path) -> None:
    figure = copied / "reports" / "figures" / "iris_feature_distributions.png"
    figure.write_bytes(figure.read_bytes()[:-1])
    assert not plan_analysis(SPEC, layout_for(copied)).up_to_date

    shutil.copy(figure.with_name("iris_logistic_regression_confusion_matrix.png"), figure)
    (copied / "reports" / "iris" / "report.html").unlink()
    assert not plan_analysis(SPEC, layout_for(copied)).up_to_date


def test_plan_needs_analysis_when_a_raw_input_gained_a_source_url(copied: Path) -> None:
    layout = layout_for(copied)
    iris = sklearn_iris_csv()
    publish_raw(copied / "raw", layout.index_url, "iris.csv", iris, data_source_name="pages")  # same URL again
    assert plan_analysis(SPEC, layout).up_to_date
    publish_raw(copied / "raw", layout.index_url, "iris.csv", iris, data_source_name="pages", url="http://m/iris.csv")

    plan = plan_analysis(SPEC, layout)

    assert not plan.up_to_date
    assert [url for _, url in plan.recipe.sources] == ["http://h/iris.csv", "http://m/iris.csv"]


def test_plan_of_a_dataset_never_processed_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="processed/iris.parquet does not exist \\(run the processing stage first\\)"):
        plan_analysis(SPEC, layout_for(tmp_path / "data"))
