"""Project Alpha's processing stage on the session's Prefect test server: raw objects found through the index,
bad rows quarantined with exact counts, deterministic Parquet, and no work at all when nothing new arrived."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prefect.variables import Variable

from airnub_prefect_starter.core.errors import StageFailedError
from airnub_prefect_starter.processing.outcome import DatasetOutcome
from airnub_prefect_starter.stages.results import StageResult
from flows.dept_project_alpha.processing_flow_dept_project_alpha import processing_flow_dept_project_alpha
from tests.flows.test_ingestion_flow_dept_project_alpha import artifacts_of
from tests.support.demo_recipes import demo_dataset, iris_records_dataset
from tests.support.http_server import LoopbackHTTPServer, sha256_hex
from tests.support.raw_inputs import (
    FLOWERS_CSV,
    FLOWERS_CSV_QUARANTINE,
    FLOWERS_JSON,
    FLOWERS_JSON_QUARANTINE,
    ingest_raw,
)

Snapshot = dict[Path, tuple[int, bytes]]


def processing_config(**extra: Any) -> dict[str, Any]:
    return {
        "tabular_files": {
            "datasets": [
                demo_dataset(
                    "iris", name="flowers", input={"data_source_name": "alpha_files", "filename": "flowers.csv"}
                )
            ]
        },
        "api_records": {
            "datasets": [
                iris_records_dataset(
                    name="flowers_api", input={"data_source_name": "alpha_api", "name": "flower_records"}
                )
            ]
        },
        **extra,
    }


def ingest_flowers(server: LoopbackHTTPServer, csv_body: bytes = FLOWERS_CSV) -> None:
    ingest_raw(server, "/files/flowers.csv", csv_body, data_source_name="alpha_files", name="flowers")
    ingest_raw(server, "/api/flowers", FLOWERS_JSON, data_source_name="alpha_api", name="flower_records")


def run_processing(config: dict[str, Any] | None, **parameters: Any) -> tuple[Any, StageResult[DatasetOutcome]]:
    state = processing_flow_dept_project_alpha(config=config, return_state=True, **parameters)
    if state.is_completed():
        return state, state.result()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, StageFailedError), error
    return state, error.result


def snapshot(folder: Path) -> Snapshot:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


CLEANED_CSV = b"".join(line + b"\n" for line in FLOWERS_CSV.splitlines()[:7])  # header and the 6 good rows


@dataclass(frozen=True)
class Run:
    state: Any
    result: StageResult[DatasetOutcome]
    processed: Snapshot  # the processed folder right after the run

    def outcome(self, name: str) -> DatasetOutcome:
        return next(o for o in self.result.outcomes if o.name == name)


@dataclass(frozen=True)
class History:
    """One data dir through four processing runs (flow runs are the slow part, so the tests share them)."""

    data_dir: Path
    url: str
    built: Run  # first run over the fixture inputs
    repeated: Run  # no new raw data
    rebuilt: Run  # after deleting the processed folder: same inputs again
    updated: Run  # after the CSV's URL started serving a cleaned file


@pytest.fixture(scope="module")
def history(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    data_dir = tmp_path_factory.mktemp("processing") / "data"
    processed = data_dir / "processed"

    def run() -> Run:
        state, result = run_processing(processing_config())
        return Run(state, result, snapshot(processed))

    with pytest.MonkeyPatch.context() as patch, LoopbackHTTPServer() as server:
        patch.setenv("AIRNUB_DATA_DIR", str(data_dir))
        ingest_flowers(server)
        built, repeated = run(), run()
        shutil.rmtree(processed)
        rebuilt = run()
        ingest_raw(server, "/files/flowers.csv", CLEANED_CSV, data_source_name="alpha_files", name="flowers")
        updated = run()
        yield History(data_dir, server.url("/files/flowers.csv"), built, repeated, rebuilt, updated)


def test_processing_quarantines_bad_rows_with_exact_counts(history: History) -> None:
    run = history.built
    processed = history.data_dir / "processed"

    assert run.state.is_completed()
    flowers, api = run.outcome("flowers"), run.outcome("flowers_api")
    assert (flowers.status, flowers.rows_in, flowers.rows_out, flowers.rows_quarantined) == ("built", 12, 6, 6)
    assert dict(flowers.quarantine_counts) == FLOWERS_CSV_QUARANTINE
    assert (api.status, api.rows_in, api.rows_out, api.rows_quarantined) == ("built", 7, 4, 3)
    assert dict(api.quarantine_counts) == FLOWERS_JSON_QUARANTINE
    quarantine_csv = run.processed[processed / "flowers.quarantine.csv"][1].decode()
    quarantined = list(csv.DictReader(io.StringIO(quarantine_csv)))
    assert [(row["line"], row["column"], row["check"], row["value"]) for row in quarantined] == [
        ("8", "petal_length_cm", "type", "abc"),
        ("9", "", "field_count", "5.1,3.5,1.4,0"),
        ("10", "target", "allowed", "7"),
        ("11", "sepal_width_cm", "missing", ""),
        ("12", "sepal_length_cm", "max", "500"),
        ("13", "sepal_length_cm", "non_finite", "inf"),
    ]
    assert quarantined[0]["reason"] == "petal_length_cm: not a float: 'abc'"
    assert {row["object"] for row in quarantined} == {flowers.inputs[0].sha256}


def test_processing_writes_a_dataset_manifest_and_a_summary_artifact(history: History) -> None:
    run = history.built
    processed = history.data_dir / "processed"
    flowers = run.outcome("flowers")

    manifest = json.loads(run.processed[processed / "flowers.dataset.json"][1])
    assert manifest["input_sha256s"] == [sha256_hex(FLOWERS_CSV)]
    assert (manifest["rows_in"], manifest["rows_out"], manifest["rows_quarantined"]) == (12, 6, 6)
    assert manifest["table_schema"]["target"] == "target" and manifest["recipe_sha256"]
    assert (
        manifest["parquet"]["sha256"] == sha256_hex(run.processed[processed / "flowers.parquet"][1]) == flowers.sha256
    )
    assert pq.read_table(pa.BufferReader(run.processed[processed / "flowers.parquet"][1])).num_rows == 6
    assert flowers.inputs[0].urls == (history.url,)
    table = next(
        a for a in artifacts_of(run.state.state_details.flow_run_id) if a.key == "project-alpha-processing-summary"
    )
    rows = {row["dataset"]: row for row in json.loads(table.data)}
    assert (rows["flowers"]["rows in"], rows["flowers"]["rows out"], rows["flowers"]["quarantined"]) == ("12", "6", "6")
    assert rows["flowers_api"]["sha256"] == run.outcome("flowers_api").sha256


def test_processing_second_run_without_new_raw_data_does_nothing(history: History) -> None:
    run = history.repeated

    assert run.state.is_completed()
    assert [(o.name, o.status) for o in run.result.outcomes] == [("flowers", "unchanged"), ("flowers_api", "unchanged")]
    assert run.outcome("flowers").rows_quarantined == 6  # the recorded counts are still reported
    assert run.processed == history.built.processed  # same bytes, same mtimes: nothing rewritten


def test_processing_rebuilds_byte_identical_output_from_the_same_inputs(history: History) -> None:
    before, after = history.built.processed, history.rebuilt.processed

    assert [o.status for o in history.rebuilt.result.outcomes] == ["built", "built"]
    assert set(after) == set(before)
    for path in after:
        if path.name.endswith(".dataset.json"):  # only created_at may differ
            rebuilt, first = json.loads(after[path][1]), json.loads(before[path][1])
            assert rebuilt.pop("created_at") and first.pop("created_at") and rebuilt == first
        else:
            assert after[path][1] == before[path][1], path


def test_processing_runs_only_over_new_raw_data(history: History) -> None:
    run = history.updated
    processed = history.data_dir / "processed"

    assert [(o.name, o.status) for o in run.result.outcomes] == [("flowers", "built"), ("flowers_api", "unchanged")]
    flowers = run.outcome("flowers")
    assert (flowers.rows_in, flowers.rows_out, flowers.rows_quarantined) == (6, 6, 0)
    assert flowers.inputs[0].sha256 == sha256_hex(CLEANED_CSV)
    assert processed / "flowers.quarantine.csv" not in run.processed  # no bad rows left: no quarantine file
    unchanged = {p: v for p, v in history.rebuilt.processed.items() if p.name.startswith("flowers_api")}
    assert {p: v for p, v in run.processed.items() if p.name.startswith("flowers_api")} == unchanged


def test_processing_fails_for_a_missing_raw_input_after_building_the_others(
    http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest_flowers(http_server)
    config = processing_config()
    config["tabular_files"]["datasets"].append(
        demo_dataset("wine", name="ghost", input={"data_source_name": "alpha_files", "filename": "wine.csv"})
    )

    state, result = run_processing(config)

    assert state.is_failed()
    assert [(o.name, o.status) for o in result.outcomes] == [
        ("flowers", "built"),
        ("ghost", "failed"),
        ("flowers_api", "built"),
    ]
    ghost = result.outcomes[1]
    assert ghost.error_type == "RawInputNotFoundError"
    assert "no raw object in the manifest index matches alpha_files[filename='wine.csv']" in (ghost.error or "")
    assert "flowers.csv (flowers)" in (ghost.error or "")
    assert "ghost" in str(state.message) and not (data_dir / "processed" / "ghost.parquet").exists()


def test_processing_reads_its_variable_and_runs_selected_categories(
    http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    ingest_flowers(http_server)
    Variable.set("dept_project_alpha_processing_config", processing_config(), overwrite=True)

    state, result = run_processing(None, categories=["api_records"])

    assert state.is_completed()
    assert [(o.category, o.name, o.status) for o in result.outcomes] == [("api_records", "flowers_api", "built")]
    assert not (data_dir / "processed" / "flowers.parquet").exists()


def test_processing_rejects_invalid_config_naming_the_key(data_dir: Path) -> None:
    config = processing_config()
    config["tabular_files"]["datasets"][0]["schema"]["target"] = "species"

    state = processing_flow_dept_project_alpha(config=config, return_state=True)

    assert state.is_failed()
    assert "tabular_files.datasets[0].schema: primary_key/target name undeclared columns: ['species']" in str(
        state.message
    )
