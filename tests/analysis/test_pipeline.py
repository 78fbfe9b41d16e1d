"""The analysis stage's steps without Prefect, and its incremental decision: the analysis record."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airnub_prefect_starter.analysis.config import AnalysedDataset
from airnub_prefect_starter.analysis.outcome import AnalysisOutcome
from airnub_prefect_starter.analysis.pipeline import (
    AnalysisLayout,
    draw_figures,
    plan_analysis,
    train_model,
    unchanged_outcome,
    write_report,
)
from airnub_prefect_starter.analysis.record import load_analysis_record
from airnub_prefect_starter.common.settings import AirnubSettings
from airnub_prefect_starter.core.errors import ConfigError, IntegrityError
from airnub_prefect_starter.data_science.dataset_store import read_dataset
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import ProcessingRuntime, build_dataset
from tests.support.demo_recipes import demo_dataset
from tests.support.raw_inputs import publish_raw, sklearn_iris_csv

SPEC = AnalysedDataset(name="iris", model="logistic_regression", seed=3)
CHANGED_SPEC = SPEC.model_copy(update={"seed": 4})


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
class Processed:
    """A data dir holding one processed dataset, and the analysis layout over it."""

    data_dir: Path
    layout: AnalysisLayout


def process_raw(tmp_path: Path, spec: dict[str, Any], body: bytes) -> Processed:
    """``body`` stored and indexed under ``spec``'s input file name, then processed as ``spec`` declares."""
    data_dir = tmp_path / "data"
    layout = layout_for(data_dir)
    publish_raw(data_dir / "raw", layout.index_url, spec["input"]["filename"], body)
    build_dataset(
        DatasetSpec.model_validate(spec),
        ProcessingRuntime(category="tabular", output_dir=layout.datasets_dir, index_url=layout.index_url),
    )
    return Processed(data_dir, layout)


def analyse(spec: AnalysedDataset, layout: AnalysisLayout) -> AnalysisOutcome:
    """The steps as the category flow runs them."""
    plan = plan_analysis(spec, layout)
    if plan.up_to_date:
        return unchanged_outcome(plan)
    trained = train_model(plan)
    return write_report(plan, trained, draw_figures(plan, trained))


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
    spec = DatasetSpec.model_validate(demo_dataset("iris", input={"data_source_name": "files", "filename": "iris.csv"}))
    build_dataset(
        spec, ProcessingRuntime(category="tabular_files", output_dir=layout.datasets_dir, index_url=layout.index_url)
    )
    outcome = analyse(SPEC, layout)
    assert outcome.status == "analysed"
    return Done(data_dir, outcome)


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
    "spec", [CHANGED_SPEC, SPEC.model_copy(update={"model": "random_forest"})], ids=["seed", "model"]
)
def test_plan_needs_analysis_when_parameters_change(done: Done, spec: AnalysedDataset) -> None:
    assert not plan_analysis(spec, layout_for(done.data_dir)).up_to_date


def test_plan_needs_analysis_when_an_output_is_damaged_or_missing(copied: Path) -> None:
    figure = copied / "reports" / "figures" / "iris_feature_distributions.png"
    good = figure.read_bytes()
    figure.write_bytes(good[:-1])
    assert not plan_analysis(SPEC, layout_for(copied)).up_to_date

    figure.write_bytes(good)
    assert plan_analysis(SPEC, layout_for(copied)).up_to_date
    (copied / "reports" / "iris" / "report.html").unlink()
    assert not plan_analysis(SPEC, layout_for(copied)).up_to_date


def test_plan_stays_up_to_date_when_a_raw_input_gained_a_source_url(copied: Path) -> None:
    """URLs are provenance, not identity: the same bytes from another URL (a source on another port) are no
    reason to analyse again, and the recipe keeps naming the first URL that served them, once."""
    layout = layout_for(copied)
    iris = sklearn_iris_csv()
    publish_raw(copied / "raw", layout.index_url, "iris.csv", iris, data_source_name="pages")  # same URL again
    publish_raw(copied / "raw", layout.index_url, "iris.csv", iris, data_source_name="pages", url="http://m/iris.csv")
    publish_raw(copied / "raw", layout.index_url, "iris.csv", iris, url="http://a/iris.csv")

    plan = plan_analysis(SPEC, layout)

    assert plan.up_to_date
    assert plan.recipe.sources == ((plan.recipe.input_sha256s[0], "http://h/iris.csv"),)


def test_a_record_of_an_earlier_schema_version_means_analysing_again(
    copied: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Version 1 records know no ``sample_rows``: their models saw every row."""
    path = copied / "reports" / "iris" / "analysis.json"
    record = json.loads(path.read_bytes())
    del record["recipe"]["sample_rows"]
    path.write_text(json.dumps({**record, "schema_version": 1}), encoding="utf-8")

    with caplog.at_level(logging.INFO, logger="airnub_prefect_starter.analysis.record"):
        plan = plan_analysis(SPEC, layout_for(copied))

    assert not plan.up_to_date
    assert "analysis.json: analysis record of schema version 1; analysing again" in caplog.text
    assert "ignoring unreadable" not in caplog.text


def test_plan_of_a_dataset_never_processed_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="processed/iris.parquet does not exist \\(run the processing stage first\\)"):
        plan_analysis(SPEC, layout_for(tmp_path / "data"))


@pytest.mark.parametrize("spec", [SPEC, CHANGED_SPEC], ids=["up-to-date", "to-analyse"])
def test_plan_refuses_a_dataset_replaced_behind_its_manifest(copied: Path, spec: AnalysedDataset) -> None:
    """Valid Parquet with rows missing: only the hash check tells it from the dataset the manifest describes."""
    dataset = copied / "processed" / "iris.parquet"
    pq.write_table(pa.Table.from_pandas(read_dataset(dataset).iloc[:-3], preserve_index=False), dataset)

    with pytest.raises(IntegrityError, match=r"iris\.parquet: sha256 [0-9a-f]{64} differs from its manifest's"):
        plan_analysis(spec, layout_for(copied))


def count_dataset_hashes(monkeypatch: pytest.MonkeyPatch, dataset: Path) -> list[str]:
    """Every hash of ``dataset`` (as a file or as its bytes) from now on, through any module of the package that
    imported the hashing helpers, so a verification added anywhere on the analysis path is counted too."""
    contents = dataset.read_bytes()
    hashed: list[str] = []

    def counting(original: Callable[[Any], str], kind: str) -> Callable[[Any], str]:
        def wrapper(subject: Any) -> str:
            if subject == dataset or subject == contents:
                hashed.append(kind)
            return original(subject)

        return wrapper

    for name, module in list(sys.modules.items()):
        if name.startswith("airnub_prefect_starter"):
            for helper, kind in (("sha256_file", "file"), ("generate_sha256_hash", "bytes")):
                if hasattr(module, helper):
                    monkeypatch.setattr(module, helper, counting(getattr(module, helper), kind))
    return hashed


def count_parquet_reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The source of every whole-file Parquet read into memory from now on."""
    read_table, sources = pq.read_table, []

    def counting(source: object, *args: Any, **kwargs: Any) -> pa.Table:
        sources.append(source)
        return read_table(source, *args, **kwargs)

    monkeypatch.setattr(pq, "read_table", counting)
    return sources


@pytest.mark.parametrize(
    ("spec", "status"), [(SPEC, "unchanged"), (CHANGED_SPEC, "analysed")], ids=["up-to-date", "analysed"]
)
def test_an_analysis_hashes_the_dataset_once_in_chunks_and_never_reads_it_whole(
    copied: Path, monkeypatch: pytest.MonkeyPatch, spec: AnalysedDataset, status: str
) -> None:
    hashed = count_dataset_hashes(monkeypatch, copied / "processed" / "iris.parquet")
    parsed = count_parquet_reads(monkeypatch)

    outcome = analyse(spec, layout_for(copied))

    assert outcome.status == status
    assert (hashed, parsed) == (["file"], [])
