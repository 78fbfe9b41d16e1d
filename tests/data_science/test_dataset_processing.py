"""Reading raw objects as a declared dataset: clean rows in the frame, bad rows in quarantine naming the column,
check and value; schema evolution and bad files each end in a defined, named outcome."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from airnub_prefect_starter.core.errors import ConfigError, IntegrityError, RawDataError, SchemaMismatchError
from airnub_prefect_starter.data_science import delimited, raw_batches, validation
from airnub_prefect_starter.data_science.dataset_processing import (
    DatasetRecipe,
    RawObject,
    build_dataset_files,
    parse_objects,
    recipe_from_config,
)
from airnub_prefect_starter.data_science.dataset_store import read_dataset, write_dataset
from airnub_prefect_starter.data_science.readers import decode_text
from airnub_prefect_starter.data_science.validation import POLARS_TYPES
from tests.support.demo_recipes import DEMO_PROCESSING_CONFIG, demo_recipe, parse_demo, raw_object

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

#: A small declared dataset with a header row, every column type and every check.
PEOPLE: dict[str, Any] = {
    "format": "csv",
    "schema": {
        "columns": [
            {"name": "id", "type": "int", "checks": {"min": 1}},
            {"name": "name", "type": "str", "checks": {"regex": "[A-Z][^@]*"}},
            {"name": "score", "type": "float", "nullable": True, "checks": {"max": 10}},
            {"name": "active", "type": "bool"},
            {"name": "born", "type": "date"},
            {"name": "seen_at", "type": "datetime"},
            {"name": "team", "type": "category", "checks": {"allowed": ["red", "blue"]}},
            {"name": "email", "type": "str", "checks": {"unique": True}},
        ],
        "renames": {"Full Name": "name"},
        "primary_key": ["id"],
    },
}
PEOPLE_HEADER = "id,Full Name,score,active,born,seen_at,team,email\n"


def recipe(base: dict[str, Any] = PEOPLE, **changes: Any) -> DatasetRecipe:
    return DatasetRecipe.model_validate({**base, **changes})


def write(tmp_path: Path, name: str, body: bytes | str, encoding: str = "utf-8") -> RawObject:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding) if isinstance(body, str) else body)
    return raw_object(path)


def test_demo_recipes_read_the_bundled_csvs_exactly(sklearn_csv: Callable[[str], Path]) -> None:
    expected = {"iris": (150, {0: 50, 1: 50, 2: 50}), "wine": (178, {0: 59, 1: 71, 2: 48})}
    expected["breast_cancer"] = (569, {0: 212, 1: 357})
    for name, (rows, classes) in expected.items():
        table = parse_demo(sklearn_csv(name), name)

        assert (table.rows_in, table.rows_out, table.quarantine) == (rows, rows, ())
        assert table.frame["target"].value_counts().to_dict() == classes
        assert list(table.frame.columns) == list(demo_recipe(name).table_schema.column_names)
    iris = parse_demo(sklearn_csv("iris"), "iris")
    assert iris.frame.loc[0, "sepal_length_cm"] == 5.1 and str(iris.frame["target"].dtype) == "Int64"
    assert demo_recipe("iris").table_schema.target_names == ("setosa", "versicolor", "virginica")


def test_demo_wine_api_records_equal_the_wine_csv(wine_json: Path, sklearn_csv: Callable[[str], Path]) -> None:
    from_json = parse_demo(wine_json, "wine_api")
    from_csv = parse_demo(sklearn_csv("wine"), "wine")

    assert from_json.rows_out == 178 and from_json.frame.equals(from_csv.frame)


def test_malformed_rows_are_quarantined_with_column_check_and_value(tmp_path: Path) -> None:
    obj = write(tmp_path, "iris_bad.csv", MALFORMED_IRIS)

    table = parse_objects([obj], demo_recipe("iris"), dataset="iris")

    assert (table.rows_in, table.rows_out, table.rows_quarantined) == (8, 2, 6)
    assert table.quarantine_counts() == {"allowed": 1, "field_count": 1, "min": 1, "missing": 1, "type": 2}
    found = [(q.location, q.column, q.check, q.value) for q in table.quarantine]
    assert found == [
        (3, "", "field_count", "4.9,3.0,1.4,0"),
        (4, "sepal_width_cm", "type", "abc"),
        (5, "target", "allowed", "7"),
        (6, "sepal_length_cm", "missing", "nan"),
        (7, "sepal_width_cm", "min", "-1.0"),
        (10, "target", "type", "2.5"),
    ]
    assert {q.object_sha256 for q in table.quarantine} == {obj.sha256}


def test_a_row_lists_every_problem_and_is_counted_once_by_its_first(tmp_path: Path) -> None:
    obj = write(tmp_path, "iris.csv", "x\n5.1,abc,-3,200,9\n" + "5.1,3.5,1.4,0.2,0\n")

    table = parse_objects([obj], demo_recipe("iris"), dataset="iris")

    assert table.quarantine_counts() == {"type": 1}
    assert table.quarantine[0].reason == (
        "sepal_width_cm: not a float: 'abc'; petal_length_cm: below min 0: '-3'; "
        "petal_width_cm: above max 100: '200'; target: not allowed (allowed: 0, 1, 2): '9'"
    )


def test_every_type_and_check_on_a_csv_with_a_header(tmp_path: Path) -> None:
    body = PEOPLE_HEADER + (
        "1,Ada,9.5,true,1990-01-02,2024-05-01T10:00:00+02:00,red,ada@x\n"
        "2,Bob,,no,1991-02-03,2024-05-01 08:00:00,blue,bob@x\n"
        "3,carl,1,yes,1992-03-04,2024-05-01T08:00:00Z,red,carl@x\n"  # regex
        "1,Dan,1,yes,1992-03-04,2024-05-01T08:00:00Z,red,dan@x\n"  # primary key repeated
        "5,Eve,11,yes,1992-03-04,2024-05-01T08:00:00Z,red,eve@x\n"  # max
        "6,Fay,1,maybe,1992-03-04,2024-05-01T08:00:00Z,red,fay@x\n"  # bool
        "7,Gus,1,yes,04/03/1992,2024-05-01T08:00:00Z,red,gus@x\n"  # date format
        "8,Hal,1,yes,1992-03-04,2024-05-01T08:00:00Z,green,hal@x\n"  # allowed
        "9,Ivy,1,yes,1992-03-04,2024-05-01T08:00:00Z,blue,ada@x\n"  # unique
    )
    table = parse_objects([write(tmp_path, "people.csv", body)], recipe(), dataset="people")

    assert table.rows_out == 2
    assert [(q.column, q.check) for q in table.quarantine] == [
        ("name", "regex"),
        ("id", "primary_key"),
        ("score", "max"),
        ("active", "type"),
        ("born", "type"),
        ("team", "allowed"),
        ("email", "unique"),
    ]
    frame = table.frame
    assert frame["id"].tolist() == [1, 2] and frame["name"].tolist() == ["Ada", "Bob"]
    assert frame["score"].isna().tolist() == [False, True] and frame["active"].tolist() == [True, False]
    assert frame["born"].tolist() == [date(1990, 1, 2), date(1991, 2, 3)]
    assert frame["seen_at"].tolist() == [datetime(2024, 5, 1, 8, tzinfo=UTC)] * 2


def test_written_types_are_arrow_types_of_the_schema(tmp_path: Path) -> None:
    body = PEOPLE_HEADER + "1,Ada,,true,1990-01-02,2024-05-01T10:00:00,red,ada@x\n"
    table = parse_objects([write(tmp_path, "people.csv", body)], recipe(), dataset="people")

    written = write_dataset(table, tmp_path / "out", "people", list(table.input_sha256s))

    schema = pq.read_schema(written.parquet_path)
    assert [str(schema.field(i).type) for i in range(len(schema))] == [
        "int64",
        "string",
        "double",
        "bool",
        "date32[day]",
        "timestamp[us, tz=UTC]",
        "dictionary<values=string, indices=int32, ordered=0>",
        "string",
    ]
    assert read_dataset(written.parquet_path)["score"].isna().all()


# -- schema evolution and bad files -------------------------------------------------------------------------------


def test_a_new_input_column_is_ignored_or_refused_as_declared(tmp_path: Path) -> None:
    body = "id,Full Name,score,active,born,seen_at,team,email,shoe\n1,Ada,1,true,1990-01-02,2024-05-01,red,a@x,42\n"
    obj = write(tmp_path, "people.csv", body)

    table = parse_objects([obj], recipe(), dataset="people")
    assert table.rows_out == 1 and "shoe" not in table.frame.columns

    strict = recipe(schema={**PEOPLE["schema"], "extra_columns": "error"})
    with pytest.raises(SchemaMismatchError, match=rf"dataset people: object {obj.sha256[:12]} \(people.csv\): "
                       r"column 'shoe' is not in the schema \(extra_columns: error\)"):  # fmt: skip
        parse_objects([obj], strict, dataset="people")


def test_a_missing_column_is_an_error_naming_dataset_object_and_column(tmp_path: Path) -> None:
    obj = write(
        tmp_path, "people.csv", "id,score,active,born,seen_at,team,email\n1,1,true,1990-01-02,2024-05-01,red,a\n"
    )

    with pytest.raises(SchemaMismatchError) as caught:
        parse_objects([obj], recipe(), dataset="people")

    assert str(caught.value).startswith(
        f"dataset people: object {obj.sha256[:12]} (people.csv): column 'name' (input name 'Full Name') missing"
    )


def test_a_column_whose_type_changed_is_an_error_not_an_empty_dataset(tmp_path: Path) -> None:
    body = "x\n" + "".join(f"5.1,3.5,1.4,0.2,{label}\n" for label in ("setosa", "versicolor", "virginica"))
    obj = write(tmp_path, "iris.csv", body)

    with pytest.raises(SchemaMismatchError, match=r"column 'target': no value is of type int \(first: 'setosa'\); "
                       "did the input's type change"):  # fmt: skip
        parse_objects([obj], demo_recipe("iris"), dataset="iris")


@pytest.mark.parametrize(
    ("body", "message"), [(b"", r"empty file \(0 bytes\)"), (b"\n  \n", r"empty file \(4 bytes\)")]
)
def test_an_empty_file_is_an_error(tmp_path: Path, body: bytes, message: str) -> None:
    obj = write(tmp_path, "people.csv", body)

    with pytest.raises(RawDataError, match=rf"dataset people: object {obj.sha256[:12]} \(people.csv\): {message}"):
        parse_objects([obj], recipe(), dataset="people")


def test_a_header_without_rows_is_an_error_unless_allowed(tmp_path: Path) -> None:
    obj = write(tmp_path, "people.csv", PEOPLE_HEADER)

    with pytest.raises(RawDataError, match="no data rows"):
        parse_objects([obj], recipe(), dataset="people")
    table = parse_objects([obj], recipe(allow_empty=True), dataset="people")

    written = write_dataset(table, tmp_path / "out", "people", list(table.input_sha256s))
    assert written.manifest.rows_out == 0 and pq.read_table(written.parquet_path).num_rows == 0


def test_a_file_in_another_encoding_is_an_error_until_declared(tmp_path: Path) -> None:
    body = PEOPLE_HEADER + "1,Zoë,1,true,1990-01-02,2024-05-01,red,z@x\n"
    obj = write(tmp_path, "people.csv", body, encoding="latin-1")

    offset = len(PEOPLE_HEADER) + len("1,Zo")
    with pytest.raises(RawDataError, match=rf"\(people.csv\): byte {offset} \(0xeb\) is not valid utf-8; set "
                       "reader.encoding"):  # fmt: skip
        parse_objects([obj], recipe(), dataset="people")
    table = parse_objects([obj], recipe(reader={"encoding": "latin-1"}), dataset="people")
    assert table.frame["name"].tolist() == ["Zoë"]


def test_embedded_delimiters_quotes_and_newlines_stay_in_their_field(tmp_path: Path) -> None:
    body = PEOPLE_HEADER + (
        '1,"Ada, Countess of ""Lovelace""\nMathematician",1,true,1815-12-10,2024-05-01,red,ada@x\n'
        "2,Bob,2,false,1990-01-02,2024-05-01,blue,bob@x\n"
        "3,Cy,3,false,1990-01-02,2024-05-01,blue\n"
    )

    table = parse_objects([write(tmp_path, "people.csv", body)], recipe(), dataset="people")

    assert table.frame["name"].tolist() == ['Ada, Countess of "Lovelace"\nMathematician', "Bob"]
    assert [(q.location, q.check) for q in table.quarantine] == [(5, "field_count")]  # the third row starts on line 5


def test_an_unterminated_quote_is_an_error_naming_the_line(tmp_path: Path) -> None:
    body = PEOPLE_HEADER + '1,"Ada,1,true,1990-01-02,2024-05-01,red,a@x\n'
    obj = write(tmp_path, "people.csv", body)

    with pytest.raises(RawDataError, match=r"\(people.csv\): line 2: not valid CSV"):
        parse_objects([obj], recipe(), dataset="people")


def test_tsv_semicolon_decimal_comma_and_custom_nulls(tmp_path: Path) -> None:
    schema = {"columns": [{"name": "x", "type": "float", "nullable": True}, {"name": "d", "type": "date"}]}
    tsv = write(tmp_path, "a.tsv", "x\td\n1,5\t02.01.2024\nNA\t03.01.2024\n")
    reader = {"decimal": ",", "null_values": ["", "NA"], "date_formats": ["%d.%m.%Y"]}

    table = parse_objects([tsv], recipe({"format": "tsv", "schema": schema}, reader=reader), dataset="a")

    assert table.frame["x"].tolist()[0] == 1.5 and table.frame["d"].tolist() == [date(2024, 1, 2), date(2024, 1, 3)]


def test_jsonl_and_parquet_inputs(tmp_path: Path) -> None:
    schema = {"columns": [{"name": "x", "type": "int"}, {"name": "s", "type": "str", "nullable": True}]}
    jsonl = write(tmp_path, "a.jsonl", '{"x": 1, "s": "a"}\n{"x": 2}\nnot json\n[3]\n{"x": "three"}\n')
    table = parse_objects([jsonl], recipe({"format": "jsonl", "schema": schema}), dataset="a")
    assert table.frame["x"].tolist() == [1, 2] and table.frame["s"].isna().tolist() == [False, True]
    assert [(q.location, q.check) for q in table.quarantine] == [(3, "malformed"), (4, "not_an_object"), (5, "type")]

    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"x": [3, 4], "s": ["c", None], "extra": [0.5, 0.5]}), path)
    table = parse_objects([raw_object(path)], recipe({"format": "parquet", "schema": schema}), dataset="a")
    assert table.frame["x"].tolist() == [3, 4]


def test_json_records_must_be_where_declared(tmp_path: Path) -> None:
    obj = write(tmp_path, "a.json", json.dumps({"data": [{"x": 1}]}))
    schema = {"columns": [{"name": "x", "type": "int"}]}

    with pytest.raises(RawDataError, match=r"\(a.json\): top level is dict, expected an array \(or set records_key\)"):
        parse_objects([obj], recipe({"format": "json", "schema": schema}), dataset="a")
    with pytest.raises(RawDataError, match=r"'records': missing or not an array of records"):
        parse_objects(
            [obj], recipe({"format": "json", "schema": schema}, reader={"records_key": "records"}), dataset="a"
        )


def test_several_objects_newest_first_keep_the_newest_row_of_a_key(tmp_path: Path) -> None:
    schema = {"columns": [{"name": "k", "type": "int"}, {"name": "v", "type": "str"}], "primary_key": ["k"]}
    newer = write(tmp_path, "new.csv", "k,v\n1,new\n2,new\n")
    older = write(tmp_path, "old.csv", "k,v\n1,old\n3,old\n")

    table = parse_objects([newer, older], recipe({"format": "csv", "schema": schema}), dataset="a")

    assert sorted(zip(table.frame["k"], table.frame["v"], strict=True)) == [(1, "new"), (2, "new"), (3, "old")]
    assert [(q.object_sha256, q.check, q.value) for q in table.quarantine] == [(older.sha256, "primary_key", "1")]
    assert table.input_sha256s == (newer.sha256, older.sha256)


def test_an_object_whose_bytes_changed_since_indexed_is_refused(tmp_path: Path) -> None:
    obj = write(tmp_path, "people.csv", PEOPLE_HEADER)
    obj.path.write_text("tampered", encoding="utf-8")

    with pytest.raises(IntegrityError, match=rf"differs from the index's {obj.sha256}"):
        parse_objects([obj], recipe(), dataset="people")


def test_a_changed_object_is_named_as_such_whatever_error_reading_it_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    obj = write(tmp_path, "people.csv", PEOPLE_HEADER + "1,Ada,1,true,1990-01-02,2024-05-01,red,a@x\n")
    obj.path.write_bytes(obj.path.read_bytes() + b"2,Bob\n")

    def failing(*args: object) -> object:  # stands for a bug in a reader
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(delimited.DelimitedReader, "batches", failing)

    with pytest.raises(IntegrityError, match=rf"differs from the index's {obj.sha256}"):
        parse_objects([obj], recipe(), dataset="people")
    obj.path.write_bytes(PEOPLE_HEADER.encode() + b"1,Ada,1,true,1990-01-02,2024-05-01,red,a@x\n")
    with pytest.raises(ZeroDivisionError):  # unchanged bytes: the error itself
        parse_objects([obj], recipe(), dataset="people")


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"columns": [{"name": "x", "type": "str", "checks": {"min": 1}}]}, "min/max apply to int and float"),
        ({"columns": [{"name": "x", "type": "int"}], "target": "y"}, r"undeclared columns: \['y'\]"),
        ({"columns": [{"name": "x", "type": "str"}], "target": "x", "target_labels": ["a"]}, "needs an int target"),
        ({"columns": [{"name": "x", "type": "int"}], "renames": {"X": "z"}}, r"renames: \['z'\] are not declared"),
        ({"columns": [{"name": "x", "type": "int"}, {"name": "x", "type": "int"}]}, "duplicate column names"),
    ],
)
def test_inconsistent_schemas_are_refused(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        recipe({"format": "csv", "schema": schema})


def test_recipe_from_config_reads_the_demo_declaration_and_names_unknown_datasets() -> None:
    assert recipe_from_config(DEMO_PROCESSING_CONFIG, "wine_api").reader.records_key == "records"

    with pytest.raises(ConfigError, match="no dataset named 'digits'"):
        recipe_from_config(DEMO_PROCESSING_CONFIG, "digits")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[" * 200_000 + b"]" * 200_000, "arrays or objects nested too deeply to read"),
        (b'[{"x": ' + b"7" * 100_000 + b"}]", "a number has too many digits (over 4300)"),
    ],
    ids=["nested_200000_deep", "integer_of_100000_digits"],
)
def test_json_that_no_parser_should_build_is_a_raw_data_error(tmp_path: Path, body: bytes, problem: str) -> None:
    obj = write(tmp_path, "a.json", body)
    schema = {"columns": [{"name": "x", "type": "int"}]}

    with pytest.raises(RawDataError) as raised:
        parse_objects([obj], recipe({"format": "json", "schema": schema}), dataset="a")

    assert str(raised.value) == f"dataset a: object {obj.sha256[:12]} (a.json): not valid JSON: {problem}"


def test_jsonl_lines_that_no_parser_should_build_are_quarantined(tmp_path: Path) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    body = b'{"x": 1}\n' + deep + b'\n{"x": ' + b"7" * 100_000 + b'}\n{"x": 2}\n'
    schema = {"columns": [{"name": "x", "type": "int"}]}

    table = parse_objects(
        [write(tmp_path, "a.jsonl", body)], recipe({"format": "jsonl", "schema": schema}), dataset="a"
    )

    assert table.frame["x"].tolist() == [1, 2]
    assert [(q.location, q.check, q.reason) for q in table.quarantine] == [
        (2, "malformed", "not valid JSON: arrays or objects nested too deeply to read"),
        (3, "malformed", "not valid JSON: a number has too many digits (over 4300)"),
    ]


@pytest.mark.parametrize(
    ("encoding", "problem"),
    [("zlib", "reader.encoding 'zlib' is not a text encoding"), ("undefined", "cannot be read as undefined: ")],
)
def test_decode_text_refuses_an_encoding_that_cannot_decode_text(encoding: str, problem: str) -> None:
    with pytest.raises(RawDataError, match=rf"^dataset a: object x: {re.escape(problem)}"):
        decode_text(b"x,y\n1,2\n", encoding, "dataset a: object x")


def _outcome(objects: list[RawObject], declared: DatasetRecipe) -> object:
    """What parsing gives: the rows and the quarantine, or the error's type and message."""
    try:
        table = parse_objects(objects, declared, dataset="a")
    except RawDataError as exc:
        return type(exc).__name__, str(exc)
    frame = table.frame.astype(object)
    return frame.where(frame.notna(), None).to_dict("list"), table.quarantine, table.rows_in


def _random_csv(rng: random.Random) -> str:
    """A small CSV with what real files have: quoted delimiters, quotes and newlines, blank lines, CRLF, rows with
    too few or too many fields, bad values, and sometimes a quote where RFC 4180 does not put one."""
    pieces = ["a", "b,c", 'say ""hi""', "two\nlines", "", " 7 ", "1.5", "12", "-3", "NA"]
    if rng.random() < 0.3:
        pieces.append('x"y')
    lines = ["k,v,n"]
    for key in range(rng.randint(1, 40)):
        if rng.random() < 0.1:
            lines.append("")
            continue
        width = 3 if rng.random() < 0.9 else rng.choice((2, 4))
        fields = [str(key if rng.random() < 0.9 else rng.choice(("x", "1", "")))]
        for _ in range(width - 1):
            piece = rng.choice(pieces)
            quoted = any(c in piece for c in ',"\n') and piece != 'x"y'
            fields.append(f'"{piece}"' if quoted or rng.random() < 0.1 else piece)
        lines.append(",".join(fields))
    newline = rng.choice(("\n", "\r\n"))
    return newline.join(lines) + (newline if rng.random() < 0.8 else "")


def test_the_columnar_reader_gives_what_the_csv_module_gives_on_random_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chunk read by polars after the vectorised scan equals the same text read by the ``csv`` module (the
    reference path, forced here), in rows, lines, quarantine and errors; also with chunks of a few bytes and the
    scan taking over again a few records after each irregular quote."""
    schema = {
        "columns": [
            {"name": "k", "type": "int", "checks": {"min": 0}},
            {"name": "v", "type": "str", "nullable": True},
            {"name": "n", "type": "float", "nullable": True},
        ],
        "primary_key": ["k"],
    }
    declared = recipe({"format": "csv", "schema": schema}, reader={"null_values": ["", "NA"]})
    rng = random.Random(20261207)
    for number in range(60):
        obj = write(tmp_path, f"r{number}.csv", _random_csv(rng))
        columnar = _outcome([obj], declared)
        with monkeypatch.context() as patched:
            patched.setattr(raw_batches, "CHUNK_BYTES", rng.randint(1, 64))
            patched.setattr(delimited, "_PYTHON_SPAN", rng.randint(1, 4))  # back to the scan after a few records
            small_chunks = _outcome([obj], declared)
        with monkeypatch.context() as patched:
            patched.setattr(delimited, "scan_records", _irregular)
            reference = _outcome([obj], declared)
        assert columnar == reference == small_chunks, obj.path.read_text(encoding="utf-8")


def _irregular(*args: object, **kwargs: object) -> object:
    raise delimited.Irregular


def test_a_dataset_built_in_many_batches_is_the_dataset_built_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = PEOPLE_HEADER + "".join(
        f'{i},"Name {i}, ""the {i}th""\nof many",{i % 12},{"yes" if i % 2 else "no"},1990-01-02,'
        f"2024-05-01T10:00:{i % 60:02d},{('red', 'blue', 'green')[i % 3]},{i % 1000}@x\n"
        for i in range(1, 3000)
    )
    obj = write(tmp_path, "people.csv", body)
    one = build_dataset_files([obj], recipe(), tmp_path / "one", dataset="people")
    monkeypatch.setattr(raw_batches, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(raw_batches, "BATCH_ROWS", 100)

    many = build_dataset_files([obj], recipe(), tmp_path / "many", dataset="people")

    assert many.manifest.rows_quarantined == one.manifest.rows_quarantined > 1000
    assert many.parquet_path.read_bytes() == one.parquet_path.read_bytes()
    assert many.quarantine_path is not None and one.quarantine_path is not None
    assert many.quarantine_path.read_bytes() == one.quarantine_path.read_bytes()
    assert pq.ParquetFile(one.parquet_path).metadata.num_row_groups == 1


TRICKY = {
    "int": ["7", " 7 ", "+7", "-0", "007", "1_0", "٣", "7.0", "1e3", "9223372036854775807", "9223372036854775808", "x"],
    "float": ["1.5", " 1.5", "+1.5", ".5", "5.", "1e3", "1E-3", "nan", "NaN", "inf", "-Infinity", "1_0", "0x10", "1,5"],
    "bool": ["true", "True", " yes ", "Y", "0", "1", "f", "no", "maybe", "2"],
    "date": [
        "2024-01-02",
        " 2024-01-02 ",
        "2024-1-2",
        "+2024-01-02",
        "2024-02-30",
        "20240102",
        "2024-01-02T00:00",
        "0000-01-01",
    ],
    "datetime": [
        "2024-01-02T03:04:05",
        "2024-01-02 03:04:05",
        " 2024-01-02T03:04:05",
        "2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05+02:00",
        "2024-01-02T03:04:05.250",
        "2024-01-02",
        "2024-01-02T3:04:05",
        "+2024-01-02T03:04:05",
        "2024-13-02T03:04:05",
        "2024-01-02T03:04:05.1",
        "2024-01-02T03:04:05.123456",
        "2024-01-02T03:04:05.1234567",
        "2024-01-02T03:04:05.250Z",
        "2024-01-02 03:04:05-05:30",
        "2024-01-02T03:04:05+14:00",
        "2024-01-02T03:04:05+25:00",
        "2024-01-02T03:04:05-00:00",
        "2024-01-02T03:04:05+0200",
        "2024-01-02T23:59:59.999999-12:00",
        "2024-12-31T23:59:60",
        "0000-01-01T00:00:00",
        "0001-01-01T00:00:00+01:00",
    ],
}


@pytest.mark.parametrize(
    ("column_type", "first"),
    [(t, 0) for t in sorted(TRICKY)] + [("datetime", i) for i in range(len(TRICKY["datetime"]))],
)
def test_whole_column_conversion_equals_the_reference_value_by_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column_type: str, first: int
) -> None:
    """polars converts only what it converts exactly as :func:`convert_value` does; the rest goes to it. (A
    batch's first datetime chooses the ISO 8601 form polars reads: each value is tried first.)"""
    values = TRICKY[column_type][first:] + TRICKY[column_type][:first]
    obj = write(tmp_path, "x.csv", "n,x\n" + "".join(f'{i},"{v}"\n' for i, v in enumerate(values)))
    declared = recipe({"format": "csv", "schema": {"columns": [
        {"name": "n", "type": "int"}, {"name": "x", "type": column_type, "nullable": True}]}},
        reader={"null_values": ["", "NA"]})  # fmt: skip

    columnar = _outcome([obj], declared)
    with monkeypatch.context() as patched:
        patched.setattr(validation, "_fast", lambda spec, source, *args: pl.lit(None, dtype=POLARS_TYPES[spec.type]))
        reference = _outcome([obj], declared)

    assert columnar == reference


def test_json_values_of_every_kind_convert_as_the_reference_converts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        {"i": 1, "f": 1, "s": "a", "b": True, "d": "2024-01-02", "t": "2024-01-02T03:04:05"},
        {"i": 2.0, "f": 2.5, "s": 3, "b": "yes", "d": "2024-1-2", "t": "2024-01-02T03:04:05+02:00"},
        {"i": "3", "f": "nan", "s": 4.5, "b": 1, "d": None, "t": None},
        {"i": True, "f": "inf", "s": None, "b": 2, "d": 5, "t": 7},
        {"i": 2.5, "f": [1], "s": {"x": 1}, "b": None, "d": "x", "t": "x"},
        {"i": 2**70, "f": 1e308, "s": True, "b": False, "d": "2024-01-03", "t": "2024-01-02 03:04:05"},
    ]
    columns = [("i", "int"), ("f", "float"), ("s", "str"), ("b", "bool"), ("d", "date"), ("t", "datetime")]
    schema = {"columns": [{"name": n, "type": t, "nullable": True} for n, t in columns]}
    objects = [write(tmp_path, f"x.{fmt}", body) for fmt, body in (
        ("json", json.dumps(records)), ("jsonl", "".join(json.dumps(r) + "\n" for r in records)))]  # fmt: skip

    for obj, fmt in zip(objects, ("json", "jsonl"), strict=True):
        declared = recipe({"format": fmt, "schema": schema})
        columnar = _outcome([obj], declared)
        with monkeypatch.context() as patched:
            patched.setattr(
                validation, "_fast", lambda spec, source, *args: pl.lit(None, dtype=POLARS_TYPES[spec.type])
            )
            reference = _outcome([obj], declared)
        assert columnar == reference


def test_a_row_dropped_for_one_key_still_holds_its_other_keys_whatever_the_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = {
        "columns": [{"name": "k", "type": "int"}, {"name": "u", "type": "str", "checks": {"unique": True}}],
        "primary_key": ["k"],
    }
    obj = write(tmp_path, "a.csv", "k,u\n1,a\n2,a\n2,b\n3,c\n")  # line 3: u repeats; line 4: k repeats line 3's
    declared = recipe({"format": "csv", "schema": schema})
    whole = parse_objects([obj], declared, dataset="a")
    monkeypatch.setattr(raw_batches, "CHUNK_BYTES", 4)

    one_row_a_batch = parse_objects([obj], declared, dataset="a")

    for table in (whole, one_row_a_batch):
        assert table.frame.to_dict("list") == {"k": [1, 3], "u": ["a", "c"]}
        assert [(q.location, q.check) for q in table.quarantine] == [(3, "unique"), (4, "primary_key")]


def test_json_ints_among_floats_in_a_text_column_read_as_the_ints_they_are(tmp_path: Path) -> None:
    obj = write(tmp_path, "a.json", json.dumps([{"s": 2.5}, {"s": 1}]))

    table = parse_objects([obj], recipe({"format": "json", "schema": {"columns": [{"name": "s", "type": "str"}]}}),
                          dataset="a")  # fmt: skip

    assert table.frame["s"].tolist() == ["2.5", "1"]


def _reference_outcome(objects: list[RawObject], declared: DatasetRecipe, monkeypatch: pytest.MonkeyPatch) -> object:
    """What the reference conversion alone (no value converted by polars) gives."""
    with monkeypatch.context() as patched:
        patched.setattr(validation, "_fast", lambda spec, source, *args: pl.lit(None, dtype=POLARS_TYPES[spec.type]))
        return _outcome(objects, declared)


@pytest.mark.parametrize(
    ("column_type", "reader", "values"),
    [
        ("date", {"date_formats": ["%Y-%m-%d %H:%M"]}, ["2024-05-01 10:00", "2024-05-01", "x"]),
        ("date", {"date_formats": ["%d/%m/%y"]}, ["01/05/69", "01/05/68", "1/5/69"]),
        ("datetime", {"datetime_formats": ["%s"]}, ["1700000000", "x"]),
        ("datetime", {"datetime_formats": ["%Y-%m-%d %H:%M:%S%z"]}, ["2024-05-01 10:00:00+0200", "x"]),
        ("datetime", {"datetime_formats": ["%d.%m.%Y %H:%M"]}, ["01.05.2024 10:00", "1.5.2024 10:00", "x"]),
    ],
    ids=["date_with_time", "two_digit_year", "epoch_seconds", "offset_format", "dotted"],
)
def test_declared_formats_polars_reads_otherwise_go_to_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column_type: str, reader: dict[str, Any], values: list[str]
) -> None:
    obj = write(tmp_path, "x.csv", "n,x\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    columns = [{"name": "n", "type": "int"}, {"name": "x", "type": column_type, "nullable": True}]
    declared = recipe({"format": "csv", "schema": {"columns": columns}}, reader=reader)

    assert _outcome([obj], declared) == _reference_outcome([obj], declared, monkeypatch)
    if reader.get("datetime_formats") == ["%Y-%m-%d %H:%M:%S%z"]:
        assert str(parse_objects([obj], declared, dataset="a").frame["x"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    ("reader", "body"),
    [
        ({"delimiter": "§"}, "a§b\n1§x\n2§y\n" + "9§z\n" * 20_000),
        ({"quote_char": "“"}, "a,b\n1,“x,y“\n2,z\n" + "9,z\n" * 20_000),
        ({}, "b,a\n" + "".join(f"\ufeffv{i},{i}\n" for i in range(20_000))),
        ({}, 'a,b\n1,12" ruler\n' + "".join(f"{i},v{i}\n" for i in range(2, 20_000))),
    ],
    ids=["non_ascii_delimiter", "non_ascii_quote", "byte_order_marks_starting_records", "inch_mark"],
)
def test_text_the_byte_scan_cannot_read_is_read_by_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reader: dict[str, Any], body: str
) -> None:
    obj = write(tmp_path, "x.csv", body)
    schema = {"columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "str"}]}
    declared = recipe({"format": "csv", "schema": schema}, reader=reader)
    with monkeypatch.context() as patched:
        patched.setattr(delimited, "scan_records", _irregular)
        reference = _outcome([obj], declared)
    scanned: list[int] = []
    scan = delimited.scan_records

    def spy(chunk: bytes, *args: Any) -> Any:
        scanned.append(len(chunk))
        return scan(chunk, *args)

    monkeypatch.setattr(raw_batches, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(delimited, "scan_records", spy)

    assert _outcome([obj], declared) == reference
    assert reference[0]["a"][:2] in ([1, 2], [0, 1])  # type: ignore[index]
    assert max(scanned, default=0) <= 70_000 < len(body)  # the header is looked for in the first 64 KiB at most


def test_text_values_python_strips_to_empty_are_empty(tmp_path: Path) -> None:
    obj = write(tmp_path, "x.csv", "a,b\n1,\x1f\n2, NA \n3,ok\n")
    schema = {"columns": [{"name": "a", "type": "int"}, {"name": "b", "type": "str"}]}

    table = parse_objects([obj], recipe({"format": "csv", "schema": schema}, reader={"null_values": ["", "NA"]}),
                          dataset="a")  # fmt: skip

    assert [(q.location, q.check) for q in table.quarantine] == [(2, "missing"), (3, "missing")]


def test_regex_checks_read_patterns_as_python_does(tmp_path: Path) -> None:
    values = ["e\u0301", "\u00b2", "a\u200d", "ab", "a\x1cb"]
    obj = write(tmp_path, "x.csv", "a,w,s\n" + "".join(f"{i},{v},{v}\n" for i, v in enumerate(values)))
    schema = {"columns": [
        {"name": "a", "type": "int"},
        {"name": "w", "type": "str", "checks": {"regex": r"\w+"}},
        {"name": "s", "type": "str"},
    ]}  # fmt: skip

    table = parse_objects([obj], recipe({"format": "csv", "schema": schema}), dataset="a")

    assert table.frame["w"].tolist() == [v for v in values if re.fullmatch(r"\w+", v)]


def test_int_bounds_hold_beyond_the_floats_exact_integers(tmp_path: Path) -> None:
    obj = write(tmp_path, "x.csv", "a\n9007199254740992\n9007199254740993\n")
    schema = {"columns": [{"name": "a", "type": "int", "checks": {"max": 9007199254740992}}]}

    table = parse_objects([obj], recipe({"format": "csv", "schema": schema}), dataset="a")

    assert table.frame["a"].tolist() == [9007199254740992]
    assert [(q.location, q.check) for q in table.quarantine] == [(3, "max")]


def test_json_booleans_among_ints_stay_booleans(tmp_path: Path) -> None:
    obj = write(tmp_path, "a.json", json.dumps([{"v": 2, "s": 2}, {"v": True, "s": True}]))
    schema = {"columns": [{"name": "v", "type": "int"}, {"name": "s", "type": "str"}]}

    table = parse_objects([obj], recipe({"format": "json", "schema": schema}), dataset="a")

    assert table.frame["s"].tolist() == ["2"] and [(q.location, q.check) for q in table.quarantine] == [(1, "type")]


def test_jsonl_lines_are_numbered_as_splitlines_counts_them(tmp_path: Path) -> None:
    obj = write(tmp_path, "a.jsonl", '{"x": 1}\r{"x": "a"}\r{"x": 3}\u2028{"x": "b"}\n')
    schema = {"columns": [{"name": "x", "type": "int"}]}

    table = parse_objects([obj], recipe({"format": "jsonl", "schema": schema}), dataset="a")

    assert [(q.location, q.check) for q in table.quarantine] == [(2, "type"), (4, "type")]


def test_a_bad_byte_after_a_byte_order_mark_is_named_at_its_offset(tmp_path: Path) -> None:
    obj = write(tmp_path, "a.csv", b"\xef\xbb\xbfa,b\n1,\xff\n")

    with pytest.raises(RawDataError, match=r"byte 9 \(0xff\) is not valid utf-8"):
        parse_objects([obj], recipe({"format": "csv", "schema": {"columns": [{"name": "a", "type": "int"}]}}),
                      dataset="a")  # fmt: skip
