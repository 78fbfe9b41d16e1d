"""Parsing raw inputs against a declared schema: clean rows in the frame, bad rows in quarantine with reasons."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from airnub_prefect_starter.common.utils import sha256_file
from airnub_prefect_starter.core.errors import ConfigError, StorageError
from airnub_prefect_starter.data_science.dataset_processing import parse_records_json, parse_sklearn_csv
from airnub_prefect_starter.data_science.schemas import BREAST_CANCER_SCHEMA, IRIS_SCHEMA, WINE_SCHEMA, TableSchema

MALFORMED_IRIS = """\
8,4,setosa,versicolor,virginica
5.1,3.5,1.4,0.2,0
4.9,3.0,1.4,0
4.7,abc,1.3,0.2,0
5.0,3.6,1.4,0.2,7
nan,3.9,1.7,0.4,0
5.0,-1.0,1.4,0.2,1

6.3,3.3,6.0,2.5,2
5.8,2.7,5.1,1.9,2.5
"""


def test_parse_sklearn_csv_reads_iris_exactly(sklearn_csv: Callable[[str], Path]) -> None:
    table = parse_sklearn_csv(sklearn_csv("iris"), IRIS_SCHEMA)

    assert (table.rows_in, table.rows_out, table.rows_quarantined) == (150, 150, 0)
    assert list(table.frame.columns) == [
        "sepal_length_cm",
        "sepal_width_cm",
        "petal_length_cm",
        "petal_width_cm",
        "target",
        "target_name",
    ]
    assert table.frame["target"].value_counts().to_dict() == {0: 50, 1: 50, 2: 50}
    assert table.frame.loc[0, "sepal_length_cm"] == 5.1 and table.frame.loc[0, "target_name"] == "setosa"
    assert str(table.frame["sepal_length_cm"].dtype) == "float64" and str(table.frame["target"].dtype) == "int64"
    assert table.source_sha256 == sha256_file(sklearn_csv("iris")) and table.declared_rows == 150


@pytest.mark.parametrize(
    ("name", "schema", "rows", "classes"),
    [("wine", WINE_SCHEMA, 178, {0: 59, 1: 71, 2: 48}), ("breast_cancer", BREAST_CANCER_SCHEMA, 569, {0: 212, 1: 357})],
)
def test_parse_sklearn_csv_reads_bundled_datasets_exactly(
    sklearn_csv: Callable[[str], Path], name: str, schema: TableSchema, rows: int, classes: dict[int, int]
) -> None:
    table = parse_sklearn_csv(sklearn_csv(name), schema)

    assert (table.rows_in, table.rows_out, table.quarantine) == (rows, rows, ())
    assert table.frame["target"].value_counts().to_dict() == classes
    assert list(table.frame.columns) == list(schema.column_names)


def test_parse_sklearn_csv_quarantines_each_malformed_row_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "iris_bad.csv"
    path.write_text(MALFORMED_IRIS, encoding="utf-8")

    table = parse_sklearn_csv(path, IRIS_SCHEMA)

    assert (table.rows_in, table.rows_out, table.rows_quarantined) == (8, 2, 6)
    assert table.quarantine_counts() == {
        "field_count": 1,
        "missing": 1,
        "non_numeric": 2,
        "out_of_range": 1,
        "unknown_label": 1,
    }
    by_line = {row.line: row for row in table.quarantine}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 10]
    assert by_line[3].reason == "expected 5 fields, got 4" and by_line[3].raw == "4.9,3.0,1.4,0"
    assert by_line[4].reason == "sepal_width_cm: not a number: 'abc'"
    assert by_line[5].reason == "target: unknown label 7 (allowed: 0, 1, 2)"
    assert by_line[6].reason == "sepal_length_cm: NaN" and by_line[6].code == "missing"
    assert by_line[7].reason == "sepal_width_cm: -1 below min 0"
    assert by_line[10].reason == "target: not an integer label: '2.5'"
    assert table.frame["target_name"].tolist() == ["setosa", "virginica"]


def test_parse_sklearn_csv_reports_every_problem_of_a_row(tmp_path: Path) -> None:
    path = tmp_path / "iris_bad.csv"
    path.write_text("1,4,setosa,versicolor,virginica\nx,,inf,0.2,9\n", encoding="utf-8")

    (row,) = parse_sklearn_csv(path, IRIS_SCHEMA).quarantine

    assert row.code == "non_numeric"
    assert row.reason == (
        "sepal_length_cm: not a number: 'x'; sepal_width_cm: missing value; petal_length_cm: not finite: 'inf'; "
        "target: unknown label 9 (allowed: 0, 1, 2)"
    )


def test_parse_sklearn_csv_rejects_header_contradicting_schema(tmp_path: Path) -> None:
    path = tmp_path / "iris_five.csv"
    path.write_text("1,5,setosa,versicolor,virginica\n1,2,3,4,5,0\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"iris_five\.csv: line 1: header declares 5 features, schema 'iris' has 4"):
        parse_sklearn_csv(path, IRIS_SCHEMA)


def test_parse_sklearn_csv_rejects_wrong_target_names(tmp_path: Path) -> None:
    path = tmp_path / "iris_labels.csv"
    path.write_text("1,4,a,b,c\n1,2,3,4,0\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"iris_labels\.csv: line 1: target names \['a', 'b', 'c'\]"):
        parse_sklearn_csv(path, IRIS_SCHEMA)


@pytest.mark.parametrize("header", ["", "n_samples,n_features", "150"])
def test_parse_sklearn_csv_rejects_unreadable_header(tmp_path: Path, header: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(f"{header}\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"broken\.csv: line 1: header .* is not 'n_samples,n_features"):
        parse_sklearn_csv(path, IRIS_SCHEMA)


def test_parse_sklearn_csv_raises_storage_error_for_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"absent\.csv: cannot read raw input"):
        parse_sklearn_csv(tmp_path / "absent.csv", IRIS_SCHEMA)


def test_parse_records_json_matches_csv_parse(wine_json: Path, sklearn_csv: Callable[[str], Path]) -> None:
    from_json = parse_records_json(wine_json, WINE_SCHEMA)
    from_csv = parse_sklearn_csv(sklearn_csv("wine"), WINE_SCHEMA)

    assert (from_json.rows_in, from_json.rows_out, from_json.quarantine) == (178, 178, ())
    assert from_json.location_kind == "record" and from_json.source_sha256 == sha256_file(wine_json)
    assert from_json.frame.equals(from_csv.frame)


def test_parse_records_json_quarantines_bad_records(tmp_path: Path) -> None:
    good = {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}
    records = [
        {**good, "target": 0},
        {**good, "target": 3},
        {**good, "sepal width (cm)": None, "target": 1},
        {**good, "petal width (cm)": "wide", "target": 1},
        {**good, "petal width (cm)": True, "target": 1},
        {"sepal length (cm)": 5.1, "target": 2},
        [5.1, 3.5, 1.4, 0.2, 0],
        {**good, "target": 2, "extra": "ignored"},
    ]
    path = tmp_path / "iris.json"
    path.write_text(json.dumps({"dataset": "iris", "records": records}), encoding="utf-8")

    table = parse_records_json(path, IRIS_SCHEMA)

    assert (table.rows_in, table.rows_out, table.rows_quarantined) == (8, 2, 6)
    reasons = {row.line: row.reason for row in table.quarantine}
    assert reasons == {
        1: "target: unknown label 3 (allowed: 0, 1, 2)",
        2: "sepal_width_cm: missing value",
        3: "petal_width_cm: not a number: 'wide'",
        4: "petal_width_cm: not a number: True",
        5: "missing fields: sepal_width_cm, petal_length_cm, petal_width_cm",
        6: "record is list, not an object",
    }
    assert json.loads(table.quarantine[-1].raw) == [5.1, 3.5, 1.4, 0.2, 0]


def test_parse_records_json_reads_nan_literal_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "iris.json"
    path.write_text(
        '{"records": [{"sepal_length_cm": NaN, "sepal_width_cm": 1, "petal_length_cm": 1, "petal_width_cm": 1,'
        ' "target": 0}]}',
        encoding="utf-8",
    )

    (row,) = parse_records_json(path, IRIS_SCHEMA).quarantine

    assert (row.line, row.code, row.reason) == (0, "missing", "sepal_length_cm: NaN")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[1, 2]", "top level is list, expected an object"),
        ("{not json", "not valid JSON"),
        ('{"items": []}', "'records': missing or not a list"),
        ('{"dataset": "wine", "records": []}', "dataset: 'wine' contradicts schema 'iris'"),
        ('{"feature_names": ["a", "b"], "records": []}', "feature_names: 2 names"),
        ('{"target_names": ["x"], "records": []}', r"target_names: target names \['x'\]"),
    ],
)
def test_parse_records_json_rejects_document_contradicting_schema(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "response.json"
    path.write_text(document, encoding="utf-8")

    with pytest.raises(ConfigError, match=rf"response\.json: {message}"):
        parse_records_json(path, IRIS_SCHEMA)
