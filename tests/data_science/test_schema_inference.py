"""Schema inference: real files through the processing readers; the YAML it renders is a declaration processing
accepts, which keeps every row it was inferred from but the few whose value is not of its column's type (and says
which)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import ConfigError, RawDataError
from airnub_prefect_starter.data_science import raw_batches, schema_inference
from airnub_prefect_starter.data_science.dataset_processing import RawObject, parse_objects
from airnub_prefect_starter.data_science.recipes import DatasetRecipe, RawFormat, ReaderOptions
from airnub_prefect_starter.data_science.sample_checks import quarantine_by_check
from airnub_prefect_starter.data_science.schema_inference import format_for, infer_schema

MIXED_CSV = (
    b"Station Name,reading,ok,day,seen at,kind,n\n"
    b"north,1.5,yes,2024-01-02,2024-01-02T10:00:00,a,1\n"
    b"south,,no,2024-01-03,2024-01-02T11:00:00+02:00,a,2\n"
    b'"west, upper",3,y,2024-01-04,2024-01-02 10:00,b,3\n'
    b'"east\nside",4,n,2024-01-05,2024-01-02,b,4\n'
)


def recipe_from(text: str) -> DatasetRecipe:
    return DatasetRecipe.model_validate(yaml.safe_load(text))


def parsed_rows(tmp_path: Path, data: bytes, recipe: DatasetRecipe, filename: str) -> tuple[int, int]:
    path = tmp_path / filename
    path.write_bytes(data)
    table = parse_objects([RawObject(path, generate_sha256_hash(data), filename)], recipe, dataset="inferred")
    return table.rows_out, len(table.quarantine)


def test_infer_types_nullability_and_renames_from_a_quoted_csv(tmp_path: Path) -> None:
    inferred = infer_schema(MIXED_CSV, "csv", where="stations.csv")

    schema = inferred.table_schema
    assert [(c.name, c.type, c.nullable) for c in schema.columns] == [
        ("station_name", "str", False),
        ("reading", "float", True),
        ("ok", "bool", False),
        ("day", "date", False),
        ("seen_at", "datetime", False),
        ("kind", "category", False),
        ("n", "int", False),
    ]
    assert schema.renames == {"Station Name": "station_name", "seen at": "seen_at"}
    assert inferred.rows == 4 and inferred.rejected == 0


def test_inferred_yaml_loads_as_a_declaration_that_keeps_every_row(tmp_path: Path) -> None:
    text = infer_schema(MIXED_CSV, "csv", where="stations.csv", target="n").to_yaml(source="object 3f2a (s.csv)")

    recipe = recipe_from(text)

    assert recipe.table_schema.target == "n"  # a YAML 1.1 boolean word, quoted
    assert recipe.table_schema == infer_schema(MIXED_CSV, "csv", where="s", target="n").table_schema
    assert parsed_rows(tmp_path, MIXED_CSV, recipe, "stations.csv") == (4, 0)


def test_inferred_yaml_comments_the_observed_ranges_and_values_without_declaring_checks() -> None:
    text = infer_schema(MIXED_CSV, "csv", where="stations.csv").to_yaml(source="object 3f2a (stations.csv)")
    lines = {
        line.split("#")[0].strip(): line.split("#", 1)[1].strip()
        for line in text.splitlines()
        if "- {" in line and "#" in line
    }

    assert text.startswith("# Inferred by `airnub schema infer` from object 3f2a (stations.csv): 4 rows.\n")
    assert lines["- {name: reading, type: float, nullable: true}"] == "observed 1.5 to 4; 1 empty of 4"
    assert lines["- {name: kind, type: category}"] == "2 values: a, b"
    assert lines['- {name: "n", type: int}'] == "observed 1 to 4; unique"
    assert lines["- {name: day, type: date}"] == "observed 2024-01-02 to 2024-01-05; unique"
    body = text.split("\n", 2)[2]  # past the two header comment lines
    assert "checks" not in body and "primary_key" not in body


def test_infer_reads_reader_options_and_keeps_only_the_non_default_ones(tmp_path: Path) -> None:
    data = "ort;wert\nKöln;1,5\nBonn;2,25\n".encode("latin-1")
    options = ReaderOptions(delimiter=";", encoding="latin-1", decimal=",")

    inferred = infer_schema(data, "csv", options, where="werte.csv")
    text = inferred.to_yaml(source="werte.csv")

    assert [(c.name, c.type) for c in inferred.table_schema.columns] == [("ort", "str"), ("wert", "float")]
    assert 'reader: {encoding: "latin-1", delimiter: ";", decimal: ","}' in text
    assert parsed_rows(tmp_path, data, recipe_from(text), "werte.csv") == (2, 0)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "parquet"])
def test_infer_structured_formats_keep_their_value_types(tmp_path: Path, fmt: RawFormat) -> None:
    records = [
        {"id": 1, "score": 1.0, "flag": True, "label": "x"},
        {"id": 2, "score": 2.5, "flag": False, "label": "x"},
        {"id": 3, "score": None, "flag": True, "label": "y"},
        {"id": 4, "score": 4.0, "flag": True, "label": "y"},
    ]
    if fmt == "json":
        data = json.dumps(records).encode()
    elif fmt == "jsonl":
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
    else:
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(records), buffer)
        data = buffer.getvalue()

    inferred = infer_schema(data, fmt, where=f"records.{fmt}")

    assert [(c.name, c.type, c.nullable) for c in inferred.table_schema.columns] == [
        ("id", "int", False),
        ("score", "float", True),  # whole floats stay float
        ("flag", "bool", False),
        ("label", "category", False),
    ]
    assert parsed_rows(tmp_path, data, recipe_from(inferred.to_yaml(source="r")), f"records.{fmt}") == (4, 0)


def test_infer_keeps_zero_one_columns_int_and_needs_repeats_for_a_category() -> None:
    data = b"flag,code\n0,a\n1,b\n1,c\n"

    columns = infer_schema(data, "csv", where="f.csv").table_schema.columns

    assert [(c.name, c.type) for c in columns] == [("flag", "int"), ("code", "str")]


def test_infer_names_columns_a_schema_can_hold() -> None:
    data = b"2021,x,X,%\n1,2,3,4\n"

    inferred = infer_schema(data, "csv", where="odd.csv")

    assert [c.name for c in inferred.table_schema.columns] == ["column_2021", "x", "x_2", "column_4"]
    assert inferred.table_schema.renames == {"2021": "column_2021", "X": "x_2", "%": "column_4"}


def test_infer_counts_rows_with_the_wrong_field_count_apart() -> None:
    inferred = infer_schema(b"a,b\n1,2\n3\n4,5\n", "csv", where="short.csv")

    assert (inferred.rows, inferred.rejected) == (2, 1)
    assert "2 rows, 1 more with the wrong field count" in inferred.to_yaml(source="short.csv")


def test_infer_errors_name_the_object_and_the_column() -> None:
    with pytest.raises(RawDataError, match=r"^empty.csv: empty file"):
        infer_schema(b"", "csv", where="empty.csv")
    with pytest.raises(ConfigError, match=r"^a.csv: target 'price' is not a column \(columns: a, b\)"):
        infer_schema(b"a,b\n1,2\n", "csv", where="a.csv", target="price")


def test_format_for_reads_the_extension_then_the_content_type() -> None:
    assert format_for("Data.CSV") == "csv"
    assert format_for("rows.ndjson") == "jsonl"
    assert format_for("download", "application/json; charset=utf-8") == "json"
    with pytest.raises(ConfigError, match=r"^report.xlsx: cannot tell its format"):
        format_for("report.xlsx", "application/octet-stream")


def dates_with(bad: dict[int, str], rows: int) -> bytes:
    """A csv of ``rows`` rows (id, day, amount), the days at the given row numbers replaced."""
    lines = ["id,day,amount"]
    for n in range(rows):
        lines.append(f"{n},{bad.get(n, f'2025-{1 + n % 12:02d}-{1 + n % 28:02d}')},{n * 1.5}")
    return ("\n".join(lines) + "\n").encode()


def test_a_few_bad_values_keep_the_column_type_and_processing_quarantines_exactly_their_rows(tmp_path: Path) -> None:
    """29 bad dates of 5,000 (as an export with typos has them): a date column, not text, and the count, examples
    and rows the YAML announces are the ones processing quarantines."""
    bad = {n: ("2026-13-01", "n/a", "31/01/2025")[n % 3] for n in range(7, 5000, 173)}
    data = dates_with(bad, 5000)

    inferred = infer_schema(data, "csv", where="orders.csv")
    text = inferred.to_yaml(source="orders.csv")

    assert len(bad) == 29
    assert [(c.name, c.type, c.nullable) for c in inferred.table_schema.columns] == [
        ("id", "int", False),
        ("day", "date", False),
        ("amount", "float", False),
    ]
    assert (
        "    - {name: day, type: date}      # 29 of 5,000 values are not a date (e.g. 'n/a', '2026-13-01', "
        "'31/01/2025'): those rows will be quarantined; observed 2025-01-01 to 2025-12-28\n"
    ) in text
    assert "# 29 of 5,000 rows hold a value its column's type does not read: processing will quarantine them" in text
    assert (inferred.rows_kept, inferred.quarantine) == (4971, {"type on day": 29})
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    table = parse_objects([RawObject(path, generate_sha256_hash(data), path.name)], recipe_from(text), dataset="o")
    assert (table.rows_out, quarantine_by_check(table)) == (inferred.rows_kept, inferred.quarantine)
    assert sorted(row.location for row in table.quarantine) == [n + 2 for n in sorted(bad)]  # header is line 1


@pytest.mark.parametrize(
    ("rows", "bad", "expected"),
    [
        (99, {5: "n/a"}, "str"),  # too few values to tell a typo from text
        (100, {5: "n/a"}, "date"),
        (200, {5: "n/a", 6: "n/a"}, "date"),
        (200, {5: "n/a", 6: "n/a", 7: "x"}, "str"),  # 1.5% are not dates
    ],
    ids=["99-values", "1-of-100", "2-of-200", "3-of-200"],
)
def test_bad_values_are_tolerated_only_in_a_column_with_enough_values(
    rows: int, bad: dict[int, str], expected: str
) -> None:
    [_, day, _] = infer_schema(dates_with(bad, rows), "csv", where="d.csv").table_schema.columns

    assert day.type == expected


def test_the_type_with_the_fewest_bad_values_wins_so_a_few_decimals_make_a_float() -> None:
    values = [str(n) for n in range(300)]
    values[3], values[4], values[5] = "2.5", "n/a", "inf"
    data = ("x\n" + "\n".join(values) + "\n").encode()

    inferred = infer_schema(data, "csv", where="x.csv")

    [column] = inferred.columns
    assert (column.type, column.bad, column.bad_examples) == ("float", 2, ("'n/a'", "'inf'"))
    assert inferred.quarantine == {"non_finite on x": 1, "type on x": 1}


def test_a_row_with_several_bad_values_is_counted_once_under_its_first_column() -> None:
    lines = ["a,b"] + [f"{n},{n}" for n in range(200)]
    lines[5], lines[6] = "x,y", "1,z"
    inferred = infer_schema(("\n".join(lines) + "\n").encode(), "csv", where="ab.csv")

    assert [c.bad for c in inferred.columns] == [1, 2]
    assert (inferred.rows_kept, inferred.quarantine) == (198, {"type on a": 1, "type on b": 1})


def test_json_records_under_the_only_key_holding_them_are_read_and_noted() -> None:
    document = {"source": "api", "columns": ["id", "x"], "records": [{"id": 1, "x": "a"}, {"id": 2, "x": "b"}]}
    data = json.dumps(document).encode()

    found = infer_schema(data, "json", where="api.json")
    named = infer_schema(data, "json", ReaderOptions(records_key="records"), where="api.json")

    assert found.reader.records_key == "records"
    assert (found.found_records_key, found.rows) == ("records", 2)
    assert found.notes == (
        "records read from key 'records', the only top-level key holding a list of objects; reader.records_key "
        "names it",
    )
    assert named.notes == () and named.table_schema == found.table_schema
    assert 'reader: {records_key: "records"}' in found.to_yaml(source="api.json")


def test_json_without_records_to_read_is_an_error_not_a_traceback() -> None:
    with pytest.raises(RawDataError, match=r"^e.json: no records to infer columns from$"):
        infer_schema(b"[]", "json", where="e.json")
    with pytest.raises(RawDataError, match=r"^k.json: no records to infer columns from$"):
        infer_schema(b'{"records": []}', "json", ReaderOptions(records_key="records"), where="k.json")
    with pytest.raises(ConfigError, match=r"^k.json: top level is an object and no key holds a list of objects"):
        infer_schema(b'{"records": []}', "json", where="k.json")
    with pytest.raises(ConfigError, match=r"^r.csv: --records-key records reads a json object; this input is csv$"):
        infer_schema(b"a\n1\n", "csv", ReaderOptions(records_key="records"), where="r.csv")


def test_rows_with_a_nested_json_value_are_counted_among_those_processing_quarantines(tmp_path: Path) -> None:
    records = [{"id": n, "label": f"label {n}"} for n in range(5)] + [{"id": 5, "label": {"nested": True}}]
    data = json.dumps(records).encode()

    inferred = infer_schema(data, "json", where="nested.json")

    assert [(c.name, c.type, c.unreadable) for c in inferred.columns] == [("id", "int", 0), ("label", "str", 1)]
    assert (inferred.rows_kept, inferred.quarantine) == (5, {"type on label": 1})
    path = tmp_path / "nested.json"
    path.write_bytes(data)
    recipe = recipe_from(inferred.to_yaml(source="nested.json"))
    table = parse_objects([RawObject(path, generate_sha256_hash(data), path.name)], recipe, dataset="nested")
    assert (table.rows_out, quarantine_by_check(table)) == (inferred.rows_kept, inferred.quarantine)


def test_a_large_input_is_inferred_from_its_first_rows_and_read_no_further(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.csv"
    path.write_text("n,x\n" + "".join(f"{i},{'oops' if i == 900 else i}\n" for i in range(1, 20_001)), encoding="utf-8")
    monkeypatch.setattr(schema_inference, "MAX_SAMPLE_ROWS", 50)
    monkeypatch.setattr(raw_batches, "CHUNK_BYTES", 256)

    with path.open("rb") as handle:
        inferred = infer_schema(handle, "csv", where="big.csv")
        read = handle.tell()

    assert read < path.stat().st_size // 2  # the header is looked for in the first 64 KiB
    assert (inferred.rows, [c.type for c in inferred.columns]) == (50, ["int", "int"])
    assert inferred.notes[0] == (
        "inferred from the first 50 rows of a longer input: rows further on may hold other values (processing "
        "checks every row)"
    )
