"""``airnub manifest list/show/verify``: query the manifest index and check the store against it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from airnub_prefect_starter.cli.output import EXIT_FAILED, EXIT_USAGE, fail, out, print_json
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.store.cas import MANIFEST_SUFFIX
from airnub_prefect_starter.core.store.index import ManifestIndex
from airnub_prefect_starter.core.store.verify import verify_store

__all__ = ["app"]

app = typer.Typer(help="Query the manifest index and verify the store.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def _index() -> ManifestIndex:
    """The manifest index to read; a SQLite index that does not exist is exit 2, and is not created (these
    commands only read)."""
    url = load_settings().resolved_index_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).expanduser().is_file():
        fail(
            f"nothing to read: no manifest index at {url.removeprefix('sqlite:///')} (run ingestion first, e.g. "
            "`make demo`, or point AIRNUB_DATA_DIR / AIRNUB_INDEX_URL at an existing one)",
            EXIT_USAGE,
        )
    return ManifestIndex(url)


@app.command("list")
def list_objects(
    source: Annotated[str | None, typer.Option("--source", help="Only this data_source_name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    as_json: JsonFlag = False,
) -> None:
    """List stored objects, oldest first."""
    objects = _index().list_objects(source, limit)
    if as_json:
        print_json([asdict(o) for o in objects])
        return
    table = Table(title=f"{len(objects)} objects")
    for column in ("data source", "sha256", "file", "size", "kind", "stored at"):
        table.add_column(column, overflow="fold")
    for o in objects:
        table.add_row(
            escape(o.data_source_name),
            o.sha256[:16],
            escape(o.filename),
            f"{o.size_bytes:,}",
            o.kind,
            f"{o.created_at:%Y-%m-%d %H:%M:%S}",
        )
    out.print(table)


@app.command("show")
def show(
    sha256: Annotated[str, typer.Argument(help="A sha256 or a unique prefix (at least 6 characters).")],
    source: Annotated[str | None, typer.Option("--source", help="Only the copy in this data_source_name.")] = None,
) -> None:
    """Print the content's manifest and every URL that served it, once per data source that stores it:
    ``{"sha256": ..., "objects": [{"object", "path", "manifest", "sources"}, ...]}``. Exit 2 when nothing or
    more than one content matches."""
    if len(sha256) < 6:
        fail("give at least 6 characters of the sha256")
    index = _index()
    matches = [o for o in index.find_objects(sha256) if source is None or o.data_source_name == source]
    contents = sorted({o.sha256 for o in matches})
    if not contents:
        where = f" in data source '{source}'" if source else ""
        fail(f"no object matches '{sha256}'{where} (see `airnub manifest list`)")
    if len(contents) > 1:
        fail(f"{len(contents)} different objects match '{sha256}': {', '.join(contents)}; give more characters")
    objects = []
    for obj in matches:
        path = Path(obj.storage_base) / obj.relative_path
        manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else None
        sources = [asdict(s) for s in index.sources_of(obj.data_source_name, obj.sha256)]
        objects.append({"object": asdict(obj), "path": str(path), "manifest": manifest, "sources": sources})
    print_json({"sha256": contents[0], "objects": objects})


@app.command("verify")
def verify(as_json: JsonFlag = False) -> None:
    """Re-hash every indexed object; report corrupt, missing and orphaned ones. Exit 1 if any."""
    report = verify_store(_index())
    if as_json:
        print_json({"checked": report.checked, "problems": [asdict(p) for p in report.problems]})
    else:
        for problem in report.problems:
            out.print(f"[red]{problem.kind:>8}[/] {escape(f'{problem.path}: {problem.detail}')}", highlight=False)
        counts = ", ".join(f"{len(report.of_kind(k))} {k}" for k in ("corrupt", "missing", "orphaned"))
        out.print(f"checked {report.checked} objects: {counts}")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
