"""``airnub schema infer``: by sha256 prefix, by URL and by file; to stdout or to a file; json records under a
key; columns typed despite a few bad values."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from airnub_prefect_starter.data_science.recipes import DatasetRecipe
from airnub_prefect_starter.demo.catalog import WINE_RECORDS_API_PATH, load_demo_catalog
from tests.cli.test_manifest_cmd import ingest
from tests.support.http_server import LoopbackHTTPServer

BODY = b"city,temp\nOslo,-3.5\nRome,14\nOslo,\n"


def test_schema_infer_by_sha256_prefix_and_by_url_print_the_same_declaration(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path
) -> None:
    [stored] = ingest(http_server, data_dir, BODY)
    url = http_server.url("/0.bin")

    by_sha = airnub("schema", "infer", stored.sha256[:10], "--format", "csv")
    by_url = airnub("schema", "infer", url, "--format", "csv")

    assert by_sha.exit_code == 0, by_sha.output
    assert by_url.stdout == by_sha.stdout
    assert by_sha.stdout.startswith(f"# Inferred by `airnub schema infer` from object {stored.sha256[:12]} (0.bin): 3")
    recipe = DatasetRecipe.model_validate(yaml.safe_load(by_sha.stdout))
    columns = [(c.name, c.type, c.nullable) for c in recipe.table_schema.columns]
    assert columns == [("city", "str", False), ("temp", "float", True)]


def test_schema_infer_writes_a_file_and_never_replaces_one_without_force(
    airnub: Callable[..., Result], tmp_path: Path
) -> None:
    raw = tmp_path / "cities.tsv"
    raw.write_bytes(BODY.replace(b",", b"\t"))
    target = tmp_path / "schema.yaml"

    first = airnub("schema", "infer", str(raw), "--output", str(target), "--target", "city")
    target.write_text("locked\n", encoding="utf-8")
    second = airnub("schema", "infer", str(raw), "--output", str(target))
    forced = airnub("schema", "infer", str(raw), "--output", str(target), "--force")

    assert first.exit_code == 0 and first.stdout == "" and f"wrote {target}" in first.stderr
    assert second.exit_code == 2 and "schema.yaml: exists (it may hold a schema you locked)" in second.stderr
    assert forced.exit_code == 0
    recipe = DatasetRecipe.model_validate(yaml.safe_load(target.read_text(encoding="utf-8")))
    assert recipe.format == "tsv" and recipe.table_schema.target is None


def test_schema_infer_exit_codes_name_what_is_wrong(
    airnub: Callable[..., Result], http_server: LoopbackHTTPServer, data_dir: Path, tmp_path: Path
) -> None:
    [stored] = ingest(http_server, data_dir, BODY)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    unknown = airnub("schema", "infer", "abcdef0123")
    no_format = airnub("schema", "infer", stored.sha256)
    unreadable = airnub("schema", "infer", str(empty))
    missing_file = airnub("schema", "infer", str(tmp_path / "nope.csv"))

    assert unknown.exit_code == 2 and "no raw object in the manifest index matches sha256 abcdef0123" in unknown.stderr
    assert no_format.exit_code == 2 and "0.bin: cannot tell its format" in no_format.stderr
    assert unreadable.exit_code == 1 and "empty.csv: empty file (0 bytes)" in unreadable.stderr
    assert missing_file.exit_code == 2 and "nope.csv: no such file" in missing_file.stderr


def test_schema_infer_without_the_data_stack_says_which_extra_to_install(tmp_path: Path) -> None:
    """The CLI imports the data stack only in the commands that read data: without it, `schema infer` is one
    line."""
    data = tmp_path / "rows.csv"
    data.write_text("a,b\n1,x\n", encoding="utf-8")
    code = (
        "import sys\n"
        "sys.modules['polars'] = None  # as if the 'ds' extra were not installed\n"
        "from airnub_prefect_starter.cli.main import app\n"
        f"app(['schema', 'infer', {str(data)!r}])\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert shown.returncode == 2, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "schema infer reads data with polars, which is not installed: install the 'ds' extra" in shown.stderr


def test_schema_infer_reads_the_records_under_the_only_key_holding_them_and_says_so(
    airnub: Callable[..., Result], tmp_path: Path
) -> None:
    """The demo's own API shape: ``{"dataset": ..., "feature_names": [...], "records": [{...}, ...]}``."""
    raw = tmp_path / "wine.json"
    raw.write_bytes(load_demo_catalog()[WINE_RECORDS_API_PATH].body)

    found = airnub("schema", "infer", str(raw))
    named = airnub("schema", "infer", str(raw), "--records-key", "records")

    note = (
        "records read from key 'records', the only top-level key holding a list of objects; reader.records_key names it"
    )
    assert found.exit_code == 0 and found.stderr.splitlines() == [f"note: {note}"]
    assert f"\n# {note[0].upper()}{note[1:]}.\n" in found.stdout
    recipe = DatasetRecipe.model_validate(yaml.safe_load(found.stdout))
    assert recipe.reader.records_key == "records" and len(recipe.table_schema.columns) == 14
    assert named.exit_code == 0 and named.stderr == ""
    assert named.stdout == found.stdout.replace(f"# {note[0].upper()}{note[1:]}.\n", "")


@pytest.mark.parametrize(
    ("document", "args", "message"),
    [
        (
            {"page": 1, "items": [{"id": 1}], "errors": [{"code": "x"}]},
            (),
            "2 top-level keys hold a list of objects (items, errors): choose one with --records-key KEY",
        ),
        (
            {"page": 1, "names": ["a", "b"]},
            (),
            "top level is an object and no key holds a list of objects (keys: page, names): name the key of the "
            "records with --records-key KEY",
        ),
        (
            {"items": [{"id": 1}], "total": 1},
            ("--records-key", "total"),
            "key 'total' does not hold a list of records (keys that do: items); fix --records-key",
        ),
        ([{"id": 1}], ("--records-key", "items"), "top level is an array, not an object: drop --records-key items"),
    ],
    ids=["several-keys", "no-key", "wrong-key", "array"],
)
def test_schema_infer_names_the_records_keys_of_a_json_object_in_one_line(
    airnub: Callable[..., Result], tmp_path: Path, document: object, args: tuple[str, ...], message: str
) -> None:
    raw = tmp_path / "page.json"
    raw.write_text(json.dumps(document), encoding="utf-8")

    result = airnub("schema", "infer", str(raw), *args)

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [f"error: {raw}: {message}"]


def test_schema_infer_types_a_column_despite_a_few_bad_values_and_names_them(
    airnub: Callable[..., Result], tmp_path: Path
) -> None:
    days = [f"2024-01-{1 + n % 28:02d}" for n in range(300)]
    days[10], days[200] = "2024-13-01", "n/a"
    raw = tmp_path / "days.csv"
    raw.write_text("n,day\n" + "".join(f"{n},{day}\n" for n, day in enumerate(days)), encoding="utf-8")

    result = airnub("schema", "infer", str(raw))

    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "note: 2 of 300 rows hold a value its column's type does not read: processing will quarantine them (see the "
        "columns' comments)"
    ]
    assert (
        "    - {name: day, type: date}  # 2 of 300 values are not a date (e.g. '2024-13-01', 'n/a'): those rows will "
        "be quarantined; observed 2024-01-01 to 2024-01-28\n"
    ) in result.stdout
