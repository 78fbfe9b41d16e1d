"""``airnub run project_alpha processing|analysis``: the --json summary, the human table and the exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result

from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.processing.config import DatasetSpec
from airnub_prefect_starter.processing.datasets import ProcessingRuntime, build_dataset
from tests.support.demo_recipes import demo_dataset
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.raw_inputs import FLOWERS_CSV, ingest_raw, sklearn_iris_csv


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def processing_config(*datasets: tuple[str, str]) -> dict[str, Any]:
    return {
        "tabular_files": {
            "datasets": [
                demo_dataset("iris", name=name, input={"data_source_name": "cli_files", "filename": filename})
                for name, filename in datasets
            ]
        }
    }


def test_run_processing_json_summary_and_exit_zero(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    ingest_raw(http_server, "/flowers.csv", FLOWERS_CSV, data_source_name="cli_files", name="flowers")
    config = write_yaml(tmp_path / "p.yaml", processing_config(("flowers", "flowers.csv")))

    result = airnub("run", "project_alpha", "processing", "--config", str(config), "--json")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["stage"], summary["counts"]) == (
        "processing",
        {"built": 1, "unchanged": 0, "failed": 0, "total": 1},
    )
    [item] = summary["items"]
    assert (item["name"], item["status"], item["rows_in"], item["rows_out"], item["quarantined"]) == (
        "flowers",
        "built",
        12,
        6,
        6,
    )
    assert item["path"] == str(data_dir / "processed" / "flowers.parquet")
    assert item["inputs"] == [
        {"data_source_name": "cli_files", "sha256": sha256_hex(FLOWERS_CSV), "urls": [http_server.url("/flowers.csv")]}
    ]


def test_run_processing_exits_one_when_a_dataset_fails_and_prints_the_table(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    ingest_raw(http_server, "/flowers.csv", FLOWERS_CSV, data_source_name="cli_files", name="flowers")
    config = write_yaml(tmp_path / "p.yaml", processing_config(("flowers", "flowers.csv"), ("ghost", "ghost.csv")))

    result = airnub("run", "dept_project_alpha", "processing", "--config", str(config))

    assert result.exit_code == 1
    assert (
        "1 of 2 datasets failed: tabular_files/ghost: no raw object in the manifest index matches cli_files[filename="
        in (result.stderr)
    )
    assert "1 built, 0 unchanged, 1 failed" in result.stdout
    assert (data_dir / "processed" / "flowers.parquet").is_file()


def test_run_processing_exits_two_on_invalid_config_naming_the_key(
    airnub: Callable[..., Result], tmp_path: Path, data_dir: Path
) -> None:
    bad = processing_config(("flowers", "flowers.csv"))
    bad["tabular_files"]["datasets"][0]["input"] = {"data_source_name": "cli_files", "filenme": "flowers.csv"}
    config = write_yaml(tmp_path / "bad.yaml", bad)

    result = airnub("run", "project_alpha", "processing", "--config", str(config))

    assert result.exit_code == 2
    assert f"{config}: tabular_files.datasets[0].input.filenme: unknown key" in result.stderr


def test_run_analysis_json_summary_then_exit_one_for_a_missing_dataset(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, tmp_path: Path, data_dir: Path
) -> None:
    ingest_raw(http_server, "/iris.csv", sklearn_iris_csv(), data_source_name="cli_files", name="iris")
    spec = DatasetSpec.model_validate(processing_config(("iris", "iris.csv"))["tabular_files"]["datasets"][0])
    build_dataset(
        spec,
        ProcessingRuntime(
            category="tabular_files", output_dir=data_dir / "processed", index_url=load_settings().resolved_index_url
        ),
    )
    analysis = {"classification_reports": {"datasets": [{"name": "iris", "model": "logistic_regression"}]}}
    good = write_yaml(tmp_path / "a.yaml", analysis)
    analysis["classification_reports"]["datasets"].append({"name": "never_processed"})
    missing = write_yaml(tmp_path / "missing.yaml", analysis)

    analysed = airnub("run", "project_alpha", "analysis", "--config", str(good), "--json")
    failed = airnub("run", "project_alpha", "analysis", "--config", str(missing), "--json")

    assert analysed.exit_code == 0, analysed.stderr
    [item] = json.loads(analysed.stdout)["items"]
    assert (item["name"], item["status"], item["model"]) == ("iris", "analysed", "logistic_regression")
    assert item["report_html"] == str(data_dir / "reports" / "iris" / "report.html")
    assert item["sources"] == [{"sha256": sha256_hex(sklearn_iris_csv()), "url": http_server.url("/iris.csv")}]
    assert failed.exit_code == 1
    summary = json.loads(failed.stdout)
    assert summary["counts"] == {"analysed": 0, "unchanged": 1, "failed": 1, "total": 2}
    assert "never_processed" in summary["items"][1]["error"] and "run the processing stage first" in failed.stderr


def test_run_analysis_exits_two_on_unknown_category(
    airnub: Callable[..., Result], tmp_path: Path, data_dir: Path
) -> None:
    config = write_yaml(tmp_path / "a.yaml", {"classification_reports": {"datasets": [{"name": "iris"}]}})

    result = airnub("run", "project_alpha", "analysis", "--config", str(config), "--category", "clustering")

    assert result.exit_code == 2
    assert "categories: unknown clustering (known: classification_reports)" in result.stderr
