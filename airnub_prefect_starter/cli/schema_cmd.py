"""``airnub schema infer``: a dataset declaration (format, reader options, schema) inferred from a stored object
or a file, for review before it is locked into the processing config."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO, get_args

import typer

from airnub_prefect_starter.cli.manifest_cmd import opened_index
from airnub_prefect_starter.cli.output import EXIT_FAILED, err, fail
from airnub_prefect_starter.common.utils import generate_sha256_hash
from airnub_prefect_starter.core.errors import DS_EXTRA_HINT, AirnubError, ConfigError, RawDataError, StorageError
from airnub_prefect_starter.core.store.lineage import find_stored_object, read_raw_input
from airnub_prefect_starter.data_science.recipes import RawFormat, ReaderOptions

__all__ = ["app"]

FORMATS: dict[str, RawFormat] = {name: name for name in get_args(RawFormat)}

app = typer.Typer(help="Infer a dataset's schema from stored data, to review and lock.", no_args_is_help=True)


@contextlib.contextmanager
def _opened(source: str) -> Iterator[tuple[BinaryIO | bytes, str, str]]:
    """What ``source`` names (see :func:`_read`); a file opened, so that inference reads only the rows it needs
    of a large one."""
    path = Path(source).expanduser()
    if not path.is_file():
        yield _read(source)
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise StorageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        yield handle, path.name, str(path)


def _read(source: str) -> tuple[bytes, str, str]:
    """The bytes ``source`` names, its file name and how to name it in messages: a stored object by sha256 (prefix)
    or URL through the manifest index (its bytes checked against its sha256)."""
    if "://" not in source and ("/" in source or "." in source):
        raise ConfigError(f"{source}: no such file")
    index, credentials = opened_index()
    found = find_stored_object(index, source)
    where = f"object {found.sha256[:12]} ({found.filename})"
    try:
        data = read_raw_input(found, credentials)
    except StorageError as exc:
        raise StorageError(f"{where}: {exc}") from exc
    if generate_sha256_hash(data) != found.sha256:
        raise StorageError(f"{where}: {found.location} no longer hashes to its sha256 (run `airnub manifest verify`)")
    return data, found.filename, where


@app.command("infer")
def infer(
    source: Annotated[
        str,
        typer.Argument(metavar="SOURCE", help="A stored object's sha256 (or prefix), a URL it came from, or a file."),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"{', '.join(FORMATS)} (default: from the file name).")
    ] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="csv/tsv field separator.")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding.")] = "utf-8",
    records_key: Annotated[
        str | None,
        typer.Option(
            "--records-key",
            metavar="KEY",
            help="json: the top-level key holding the records (default: the array, else the only key holding a list "
            "of objects).",
        ),
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="Declare this column the target.")] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Write the YAML to this file, not stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --output file.")] = False,
) -> None:
    """Print the declaration of a dataset holding SOURCE's rows: format, reader options and schema (types and
    nullability), with observed ranges and values as comments, and the values of a column's type to be
    quarantined. Exit 1 when the data cannot be read, 2 on a usage error (or a json object whose records key is
    not given and not the only key holding a list of objects)."""
    if fmt is not None and fmt not in FORMATS:
        fail(f"--format {fmt}: must be one of {', '.join(FORMATS)}")
    if output is not None and output.exists() and not force:
        fail(f"{output}: exists (it may hold a schema you locked); pass --force to replace it")
    # imported here: the readers and the dataset store need polars and pyarrow, imports that every other command
    # (and `airnub run` above all) skips
    try:
        from airnub_prefect_starter.data_science.dataset_store import atomic_write_bytes
        from airnub_prefect_starter.data_science.schema_inference import format_for, infer_schema
    except ImportError as exc:
        fail(f"schema infer reads data with {exc.name}, which is not installed: {DS_EXTRA_HINT}")

    try:
        with _opened(source) as (data, filename, where):
            chosen = FORMATS[fmt] if fmt is not None else format_for(filename)
            options = ReaderOptions(encoding=encoding, delimiter=delimiter, records_key=records_key or None)
            inferred = infer_schema(data, chosen, options, where=where, target=target)
        text = inferred.to_yaml(source=where)
    except (RawDataError, StorageError) as exc:  # the data is there but cannot be read (or no longer hashes)
        fail(str(exc), EXIT_FAILED)
    except AirnubError as exc:
        fail(str(exc))
    for note in inferred.notes:
        err.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
    if output is None:
        typer.echo(text, nl=False)
        return
    atomic_write_bytes(output, text.encode("utf-8"))
    err.print(f"wrote {output}", highlight=False, markup=False)
