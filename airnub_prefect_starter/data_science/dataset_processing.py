"""Raw objects -> one clean, schema-checked table, following a declared :class:`DatasetRecipe`.

A recipe is what the processing config declares for a dataset besides its name and input: the raw ``format``,
the ``reader`` options and the ``schema``. :func:`parse_objects` reads each object with a real parser
(:mod:`~airnub_prefect_starter.data_science.readers`), types and checks every row
(:mod:`~airnub_prefect_starter.data_science.validation`; bad rows to quarantine), then applies the primary key
and ``unique`` checks across all of them. Writing the result is :func:`write_dataset` (see ``dataset_store``).
Run as a script, with a dataset declared in a processing config file::

    python -m airnub_prefect_starter.data_science.dataset_processing --raw iris.csv \\
        --config configs/variables/dept_project_alpha/processing_config_dept_project_alpha.yaml --dataset iris
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.config import format_validation_error, load_yaml_file
from airnub_prefect_starter.core.errors import AirnubError, ConfigError, IntegrityError, RawDataError, StorageError
from airnub_prefect_starter.data_science.config_ds import data_paths
from airnub_prefect_starter.data_science.dataset_store import DatasetManifest, WrittenDataset, write_dataset
from airnub_prefect_starter.data_science.readers import read_raw_rows
from airnub_prefect_starter.data_science.recipes import DatasetRecipe
from airnub_prefect_starter.data_science.tables import ParsedTable
from airnub_prefect_starter.data_science.validation import check_rows, enforce_keys, to_frame

__all__ = [
    "DatasetManifest",
    "DatasetRecipe",
    "RawObject",
    "WrittenDataset",
    "app",
    "parse_objects",
    "recipe_from_config",
    "write_dataset",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawObject:
    """A stored raw object: its file, the sha256 the index records for it and its file name (for messages)."""

    path: Path
    sha256: str
    filename: str


def _read(obj: RawObject, where: str) -> bytes:
    try:
        data = obj.path.read_bytes()
    except OSError as exc:
        raise StorageError(f"{where}: cannot read {obj.path}: {exc.strerror or exc}") from exc
    actual = generate_sha256_hash(data)
    if actual != obj.sha256:
        raise IntegrityError(f"{where}: {obj.path}: sha256 {actual} differs from the index's {obj.sha256}")
    return data


def parse_objects(objects: Sequence[RawObject], recipe: DatasetRecipe, *, dataset: str) -> ParsedTable:
    """One table from ``objects`` (in priority order: on a repeated primary key the earlier object's row is kept).

    Raises :class:`RawDataError` (or its :class:`SchemaMismatchError`) naming the dataset, the object and, where
    there is one, the column: an empty or undecodable file, a missing column, a column whose type changed, no
    data rows at all (unless ``allow_empty``)."""
    schema = recipe.table_schema
    positional = tuple(schema.input_names[name] for name in schema.column_names)
    checked = []
    rows_in = 0
    kind = "record" if recipe.format in ("json", "parquet") else "line"
    for obj in objects:
        where = f"dataset {dataset}: object {obj.sha256[:12]} ({obj.filename})"
        raw = read_raw_rows(
            _read(obj, where), recipe.format, recipe.reader, positional=positional, sha256=obj.sha256, where=where
        )
        if raw.rows_in == 0 and not recipe.allow_empty:
            raise RawDataError(f"{where}: no data rows (set allow_empty: true to accept an empty input)")
        checked.append(check_rows(raw, schema, recipe.reader, where=where))
        rows_in += raw.rows_in
    kept = enforce_keys(checked, schema)
    order = {obj.sha256: position for position, obj in enumerate(objects)}
    table = ParsedTable(
        schema=schema,
        frame=to_frame(kept.rows, schema),
        quarantine=tuple(sorted(kept.quarantine, key=lambda q: (order[q.object_sha256], q.location))),
        rows_in=rows_in,
        location_kind="record" if kind == "record" else "line",
        input_sha256s=tuple(obj.sha256 for obj in objects),
    )
    if table.quarantine:
        logger.warning(
            "dataset %s: quarantined %d of %d rows: %s",
            dataset,
            table.rows_quarantined,
            table.rows_in,
            table.quarantine_counts(),
        )
    return table


def recipe_from_config(path: Path, dataset: str) -> DatasetRecipe:
    """The recipe of the dataset called ``dataset`` in a processing config file (any category's ``datasets``)."""
    document = load_yaml_file(path)
    sections = document.values() if isinstance(document, dict) else ()
    for section in sections:
        for spec in section.get("datasets", ()) if isinstance(section, dict) else ():
            if isinstance(spec, dict) and spec.get("name") == dataset:
                keys = {k: v for k, v in spec.items() if k in ("format", "reader", "schema", "allow_empty")}
                try:
                    return DatasetRecipe.model_validate(keys)
                except ValidationError as exc:
                    raise ConfigError(
                        format_validation_error(f"{path}: dataset {dataset}", exc, DatasetRecipe)
                    ) from None
    raise ConfigError(f"{path}: no dataset named {dataset!r}")


app = typer.Typer(add_completion=False, help="Parse raw inputs into a deterministic Parquet dataset.")


@app.command()
def main(
    raw: Annotated[list[Path], typer.Option(help="Raw input file (repeat for several).", dir_okay=False)],
    config: Annotated[Path, typer.Option(help="Processing config file declaring the dataset.", dir_okay=False)],
    dataset: Annotated[str, typer.Option(help="Name of the dataset declared in CONFIG.")],
    out_dir: Annotated[Path | None, typer.Option(help="Default: <data dir>/processed.")] = None,
) -> None:
    """Parse RAW as CONFIG declares DATASET; write <name>.parquet, <name>.dataset.json (and a quarantine file)."""
    try:
        recipe = recipe_from_config(config, dataset)
        objects = []
        for path in raw:
            try:
                objects.append(RawObject(path, generate_sha256_hash(path.read_bytes()), path.name))
            except OSError as exc:
                raise StorageError(f"{path}: cannot read raw input: {exc.strerror or exc}") from exc
        table = parse_objects(objects, recipe, dataset=dataset)
        target = out_dir if out_dir is not None else data_paths().processed
        written = write_dataset(
            table, target, dataset, [o.sha256 for o in objects], recipe_sha256=recipe.recipe_sha256()
        )
    except AirnubError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    manifest = written.manifest
    state = "written" if written.rewritten else "unchanged"
    typer.echo(f"{written.parquet_path} ({state}): {manifest.rows_out} rows, {manifest.rows_quarantined} quarantined")


if __name__ == "__main__":
    app()
