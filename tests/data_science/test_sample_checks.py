"""The message a generated tabular test fails with: which rows of its sample the declaration now quarantines (or no
longer does), where they are, and what to update."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.data_science.dataset_processing import RawObject, parse_objects
from airnub_prefect_starter.data_science.recipes import DatasetRecipe
from airnub_prefect_starter.data_science.sample_checks import quarantine_by_check, sample_mismatch, sample_problem
from airnub_prefect_starter.data_science.tables import ParsedTable

CSV = b"id,amount\n1,5\n2,50\n3,7\n4,x\n5,60\n6,8\n7\n"


def parsed(path: Path, data: bytes, fmt: str, checks: dict[str, float]) -> ParsedTable:
    path.write_bytes(data)
    recipe = DatasetRecipe.model_validate(
        {
            "format": fmt,
            "schema": {"columns": [{"name": "id", "type": "int"}, {"name": "amount", "type": "int", "checks": checks}]},
        }
    )
    return parse_objects([RawObject(path, generate_sha256_hash(data), path.name)], recipe, dataset="orders")


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests").mkdir()
    return tmp_path / "tests" / "sample_orders.csv"


def test_quarantine_by_check_counts_rows_by_check_and_column(sample: Path) -> None:
    table = parsed(sample, CSV, "csv", {"min": 6})

    assert quarantine_by_check(table) == {"field_count": 1, "min on amount": 1, "type on amount": 1}


def test_rows_newly_quarantined_are_named_with_their_lines(sample: Path) -> None:
    table = parsed(sample, CSV, "csv", {"max": 10})

    message = sample_mismatch(table, 4, {"field_count": 1, "type on amount": 1}, sample)

    assert message == (
        "2 rows of the sample are now quarantined by your checks (max on amount: lines 3, 6): update the sample at "
        "tests/sample_orders.csv or the expected counts in this test (EXPECTED_ROWS, EXPECTED_QUARANTINE)"
    )


def test_more_rows_under_an_expected_check_and_rows_no_longer_quarantined_are_both_said(sample: Path) -> None:
    table = parsed(sample, CSV, "csv", {"min": 8})

    message = sample_mismatch(table, 4, {"field_count": 1, "min on amount": 1, "type on amount": 2}, sample)

    assert message == (
        "1 row of the sample is now quarantined by your checks (min on amount: 2 rows, 1 expected (lines 2, 4)); "
        "1 row of the sample expected in quarantine is not (type on amount: 1 row, 2 expected): update the sample "
        "at tests/sample_orders.csv or the expected counts in this test (EXPECTED_ROWS, EXPECTED_QUARANTINE)"
    )


def test_json_records_are_named_by_index_and_an_unchanged_quarantine_names_the_row_count(sample: Path) -> None:
    records = [{"id": n, "amount": n * 10} for n in range(1, 6)]
    path = sample.with_suffix(".json")
    table = parsed(path, json.dumps(records).encode(), "json", {"min": 25})
    unchanged = parsed(path, json.dumps(records).encode(), "json", {})

    assert sample_mismatch(table, 5, {}, path).startswith(
        "2 rows of the sample are now quarantined by your checks (min on amount: records 0, 1): update the sample at "
        "tests/sample_orders.json"
    )
    assert sample_mismatch(unchanged, 4, {}, path).startswith(
        "the declaration keeps 5 rows of the sample, 4 expected: update the sample at tests/sample_orders.json"
    )


def test_sample_problem_is_none_when_the_sample_reads_as_expected_and_names_what_differs_otherwise(
    sample: Path,
) -> None:
    sample.write_bytes(CSV)
    recipe = DatasetRecipe.model_validate(
        {"format": "csv", "schema": {"columns": [{"name": "id", "type": "int"}, {"name": "amount", "type": "int"}]}}
    )
    expected = {"field_count": 1, "type on amount": 1}

    assert sample_problem(recipe, sample, "orders", 5, expected) is None
    problem = sample_problem(recipe, sample, "orders", 5, {"field_count": 1})
    assert problem is not None and problem.startswith("1 row of the sample is now quarantined by your checks")
