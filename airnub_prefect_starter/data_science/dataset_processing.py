"""Raw input -> clean, schema-checked table. Bad rows are quarantined with where, why and their raw text.

Two raw formats of the demo:

* scikit-learn's bundled CSV: ``n_samples,n_features,target_name_0,...`` then rows of ``n_features`` numbers and
  an integer target (:func:`parse_sklearn_csv`);
* a JSON API response ``{"dataset", "feature_names", "target_names", "records": [{...}, ...]}``
  (:func:`parse_records_json`).

A header that contradicts the declared schema raises :class:`ConfigError` naming the file; a single bad row never
does. Writing the result is :func:`write_dataset` (see ``dataset_store``). Run as a script::

    python -m airnub_prefect_starter.data_science.dataset_processing --raw iris.csv --schema iris
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import typer

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import AirnubError, ConfigError, StorageError
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_store import DatasetManifest, WrittenDataset, write_dataset
from airnub_prefect_starter.data_science.schemas import TableSchema, schema_for, snake_case
from airnub_prefect_starter.data_science.tables import ParsedTable, QuarantinedRow
from airnub_prefect_starter.data_science.validation import RowProblem, check_row

__all__ = [
    "DatasetManifest",
    "WrittenDataset",
    "app",
    "parse_records_json",
    "parse_sklearn_csv",
    "write_dataset",
]

logger = logging.getLogger(__name__)


class _Collector:
    """Accumulates clean rows and quarantined ones while a parser walks its input."""

    def __init__(self, schema: TableSchema) -> None:
        self.schema = schema
        self.features: list[list[float]] = []
        self.labels: list[int] = []
        self.quarantine: list[QuarantinedRow] = []
        self.rows_in = 0

    def add(self, line: int, raw: str, values: Sequence[object] | RowProblem) -> None:
        self.rows_in += 1
        checked = [values] if isinstance(values, RowProblem) else check_row(self.schema, values)
        if isinstance(checked, list):
            reason = "; ".join(p.text for p in checked)
            self.quarantine.append(QuarantinedRow(line=line, code=checked[0].code, reason=reason, raw=raw))
        else:
            self.features.append(checked[0])
            self.labels.append(checked[1])

    def frame(self) -> pd.DataFrame:
        schema = self.schema
        matrix = np.asarray(self.features, dtype="float64").reshape(len(self.features), len(schema.features))
        columns: dict[str, object] = {name: matrix[:, i] for i, name in enumerate(schema.feature_names)}
        columns[schema.target.name] = np.asarray(self.labels, dtype="int64")
        label_column = schema.target_name_column
        if label_column is not None:
            columns[label_column.name] = pd.Series([schema.label_name(t) for t in self.labels], dtype="str")
        return pd.DataFrame(columns)

    def result(self, source: Path, sha256: str, kind: Literal["line", "record"], declared: int | None) -> ParsedTable:
        table = ParsedTable(
            schema=self.schema,
            frame=self.frame(),
            quarantine=tuple(self.quarantine),
            rows_in=self.rows_in,
            source=source,
            source_sha256=sha256,
            location_kind=kind,
            declared_rows=declared,
        )
        if table.quarantine:
            logger.warning(
                "%s: quarantined %d of %d rows: %s",
                source.name,
                table.rows_quarantined,
                table.rows_in,
                table.quarantine_counts(),
            )
        return table


def _read(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"{path}: cannot read raw input: {exc.strerror or exc}") from exc
    return data.decode("utf-8-sig", errors="replace"), generate_sha256_hash(data)


def _check_target_names(path: Path, schema: TableSchema, names: Iterable[str], where: str) -> None:
    found = tuple(names)
    if found and found != schema.target_names:
        expected = list(schema.target_names)
        raise ConfigError(f"{path}: {where}: target names {list(found)} != schema '{schema.name}' {expected}")


def parse_sklearn_csv(path: Path, schema: TableSchema) -> ParsedTable:
    """Parse a scikit-learn bundled CSV; every data line is either in the frame or in the quarantine."""
    text, sha256 = _read(path)
    lines = [line.rstrip("\r") for line in text.split("\n")]
    header = [field.strip() for field in lines[0].split(",")]
    try:
        declared_rows, n_features = int(header[0]), int(header[1])
    except (IndexError, ValueError):
        raise ConfigError(
            f"{path}: line 1: header {lines[0][:80]!r} is not 'n_samples,n_features,target_names...'"
        ) from None
    if n_features != len(schema.features):
        raise ConfigError(
            f"{path}: line 1: header declares {n_features} features, schema '{schema.name}' has {len(schema.features)}"
        )
    _check_target_names(path, schema, header[2:], "line 1")
    collector = _Collector(schema)
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != n_features + 1:
            problem = RowProblem("field_count", f"expected {n_features + 1} fields, got {len(fields)}")
            collector.add(number, line, problem)
        else:
            collector.add(number, line, fields)
    if collector.rows_in != declared_rows:
        logger.warning("%s: header declares %d rows, found %d", path.name, declared_rows, collector.rows_in)
    return collector.result(path, sha256, "line", declared_rows)


def _record_values(schema: TableSchema, record: Mapping[str, object]) -> list[object] | RowProblem:
    by_name = {snake_case(str(key)): value for key, value in record.items()}
    missing = [name for name in (*schema.feature_names, schema.target.name) if name not in by_name]
    if missing:
        return RowProblem("missing", f"missing fields: {', '.join(missing)}")
    return [by_name[name] for name in (*schema.feature_names, schema.target.name)]


def parse_records_json(path: Path, schema: TableSchema, records_key: str = "records") -> ParsedTable:
    """Parse a JSON API response whose ``records_key`` holds one object per row (keys snake-cased on read)."""
    text, sha256 = _read(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: top level is {type(document).__name__}, expected an object")
    records = document.get(records_key)
    if not isinstance(records, list):
        raise ConfigError(f"{path}: '{records_key}': missing or not a list")
    dataset = document.get("dataset")
    if dataset is not None and snake_case(str(dataset)) != schema.name:
        raise ConfigError(f"{path}: dataset: {dataset!r} contradicts schema '{schema.name}'")
    names = document.get("feature_names")
    if names is not None:
        found = [snake_case(str(n)) for n in names] if isinstance(names, list) else []
        if sorted(found) != sorted(schema.feature_names):
            raise ConfigError(
                f"{path}: feature_names: {len(found)} names {found[:5]}... do not match schema "
                f"'{schema.name}' ({len(schema.features)} features)"
            )
    target_names = document.get("target_names")
    if target_names is not None:
        _check_target_names(path, schema, map(str, target_names), "target_names")
    collector = _Collector(schema)
    for index, record in enumerate(records):
        raw = json.dumps(record, sort_keys=True, ensure_ascii=False)
        if isinstance(record, dict):
            collector.add(index, raw, _record_values(schema, record))
        else:
            collector.add(index, raw, RowProblem("not_an_object", f"record is {type(record).__name__}, not an object"))
    return collector.result(path, sha256, "record", None)


app = typer.Typer(add_completion=False, help="Parse a raw input into a deterministic Parquet dataset.")


@app.command()
def main(
    raw: Annotated[Path, typer.Option(help="Raw input: scikit-learn CSV or JSON records.", dir_okay=False)],
    schema: Annotated[str, typer.Option(help="Declared schema: iris, wine or breast_cancer.")],
    name: Annotated[str | None, typer.Option(help="Dataset name; default: the schema name.")] = None,
    out_dir: Annotated[Path | None, typer.Option(help="Default: <data dir>/processed.")] = None,
    input_format: Annotated[str, typer.Option("--format", help="csv, json or auto (by suffix).")] = "auto",
    records_key: Annotated[str, typer.Option(help="JSON key holding the records.")] = "records",
) -> None:
    """Parse RAW against SCHEMA and write <name>.parquet, <name>.dataset.json (and a quarantine file)."""
    try:
        table_schema = schema_for(schema)
        kind = input_format if input_format != "auto" else ("json" if raw.suffix.lower() == ".json" else "csv")
        if kind not in ("csv", "json"):
            raise ConfigError(f"--format: {input_format!r} is not csv, json or auto")
        table = (
            parse_records_json(raw, table_schema, records_key)
            if kind == "json"
            else parse_sklearn_csv(raw, table_schema)
        )
        target = out_dir if out_dir is not None else data_paths().processed
        written = write_dataset(table, target, name or table_schema.name, [table.source_sha256])
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    manifest = written.manifest
    state = "written" if written.rewritten else "unchanged"
    typer.echo(f"{written.parquet_path} ({state}): {manifest.rows_out} rows, {manifest.rows_quarantined} quarantined")


if __name__ == "__main__":
    app()
