"""``airnub manifest list/show/verify/gc``: query the manifest index, check the store against it (and repair
it from the source URLs) and collect the temp debris of killed runs. Stores on disk and on object storage
(``s3://`` storage bases, reached with the block ``AIRNUB_STORAGE_CREDENTIALS_BLOCK`` names, else the standard
``AWS_*`` variables) are handled alike; paths are printed
as locations (an ``s3://`` URL for an object in object storage)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, ParamSpec

import typer
from rich.markup import escape
from rich.text import Text

from airnub_prefect_starter.cli.environment import resolved_environment
from airnub_prefect_starter.cli.output import (
    EXIT_FAILED,
    EXIT_USAGE,
    aligned_lines,
    fail,
    fitted_table,
    out,
    print_json,
)
from airnub_prefect_starter.cli.prefect_api import PrefectApiUnreachableError
from airnub_prefect_starter.core.errors import AirnubError, ConfigError
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.store.backends import open_store
from airnub_prefect_starter.core.store.gc import DEFAULT_TTL_S, collect_temp_debris
from airnub_prefect_starter.core.store.index import IndexedObject, ManifestIndex, open_index
from airnub_prefect_starter.core.store.object_store import S3Credentials
from airnub_prefect_starter.core.store.verify import PROBLEM_KINDS, object_location, stored_manifest, verify_store
from airnub_prefect_starter.ingestion.repair import repair_objects, repairable

__all__ = ["app", "existing_index", "opened_index"]

app = typer.Typer(help="Query the manifest index and verify the store.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
P = ParamSpec("P")


def _one_line_errors(command: Callable[P, None]) -> Callable[P, None]:
    """``command`` with a store or index failure (e.g. an unreachable PostgreSQL index) as one line, exit 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except AirnubError as exc:
            fail(str(exc), EXIT_FAILED)

    return wrapper


def opened_index() -> tuple[ManifestIndex, S3Credentials | None]:
    """The manifest index to read, and the credentials its stores on object storage open with (both as the flows
    resolve them: :func:`~airnub_prefect_starter.cli.environment.resolved_environment`). A SQLite index that does
    not exist is exit 2, and is not created (these commands only read), as are a missing block and a Prefect API
    that does not answer. Relative storage bases resolve against the SQLite file's folder, or the data dir."""
    try:
        environment = resolved_environment()
    except (ConfigError, PrefectApiUnreachableError) as exc:
        fail(str(exc), EXIT_USAGE)
    settings = environment.settings
    url = settings.resolved_index_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).expanduser().is_file():
        fail(
            f"nothing to read: no manifest index at {url.removeprefix('sqlite:///')} (run ingestion first, e.g. "
            "`make demo`, or point AIRNUB_DATA_DIR / AIRNUB_INDEX_URL at an existing one)",
            EXIT_USAGE,
        )
    return open_index(url, settings.index_root), environment.credentials


def existing_index() -> ManifestIndex:
    """The manifest index to read (see :func:`opened_index`)."""
    return opened_index()[0]


@app.command("list")
@_one_line_errors
def list_objects(
    source: Annotated[str | None, typer.Option("--source", help="Only this data_source_name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    as_json: JsonFlag = False,
) -> None:
    """List stored objects, oldest first."""
    objects = existing_index().list_objects(source, limit)
    if as_json:
        print_json([asdict(o) for o in objects])
        return
    header = ("data source", "sha256", "file", "size", "kind", "stored at")
    rows = [
        (
            o.data_source_name,
            o.sha256[:16],
            o.filename,
            f"{o.size_bytes:,}",
            o.kind,
            f"{o.created_at:%Y-%m-%d %H:%M:%S}",
        )
        for o in objects
    ]
    if not out.is_terminal:  # piped: one line per object, columns aligned, nothing cut (--json has every field)
        for line in aligned_lines(header, rows):
            out.print(line, highlight=False, markup=False, soft_wrap=True)
        return
    cells = [[Text(cell) for cell in row] for row in rows]  # Text, never markup: file names are shown as they are
    out.print(fitted_table(header, cells, out.width, shorten=(0, 4, 1, 2), title=f"{len(objects)} objects"))


@app.command("show")
@_one_line_errors
def show(
    sha256: Annotated[str, typer.Argument(help="A sha256 or a unique prefix (at least 6 characters).")],
    source: Annotated[str | None, typer.Option("--source", help="Only the copy in this data_source_name.")] = None,
) -> None:
    """Print the content's manifest and every URL that served it, once per data source that stores it:
    ``{"sha256": ..., "objects": [{"object", "path", "manifest", "sources"}, ...]}``. Exit 2 when nothing or
    more than one content matches."""
    if len(sha256) < 6:
        fail("give at least 6 characters of the sha256")
    index, credentials = opened_index()
    matches = [o for o in index.find_objects(sha256) if source is None or o.data_source_name == source]
    contents = sorted({o.sha256 for o in matches})
    if not contents:
        where = f" in data source '{source}'" if source else ""
        fail(f"no object matches '{sha256}'{where} (see `airnub manifest list`)")
    if len(contents) > 1:
        fail(f"{len(contents)} different objects match '{sha256}': {', '.join(contents)}; give more characters")
    objects = []
    for obj in matches:
        sources = [asdict(s) for s in index.sources_of(obj.data_source_name, obj.sha256)]
        objects.append(
            {
                "object": asdict(obj),
                "path": object_location(obj),
                "manifest": _manifest(obj, credentials),
                "sources": sources,
            }
        )
    print_json({"sha256": contents[0], "objects": objects})


def _manifest(obj: IndexedObject, credentials: S3Credentials | None) -> object:
    """The object's manifest as JSON, read from its store (disk or object storage); ``None`` when it is gone or
    is not JSON (``manifest verify`` says which)."""
    data = stored_manifest(obj, credentials)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


@app.command("verify")
@_one_line_errors
def verify(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Re-download corrupt and missing objects from their recorded source URLs; the damaged copy is "
            "moved into <store>/.quarantine/, never deleted.",
        ),
    ] = False,
    allow_private_networks: Annotated[
        bool, typer.Option("--allow-private-networks", help="With --repair: let source URLs reach private addresses.")
    ] = False,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Report a temp entry as debris once idle for longer than this (90s, 30m, 1h, 2d; 0 = all): the "
            "same age 'manifest gc' removes by, so a running write's staging is not reported.",
        ),
    ] = f"{DEFAULT_TTL_S / 3600:g}h",
    as_json: JsonFlag = False,
) -> None:
    """Re-hash every indexed object and check its manifest and folder; report corrupt, missing, orphaned,
    malformed, mismatched, stray, symlinked objects and temp debris (temp entries idle for longer than
    --older-than). Exit 1 if any (left unrepaired). A store on object storage is checked through its keys, the
    same kinds reported (no symlinks there)."""
    debris_older_than_s = _seconds(older_than)
    index, credentials = opened_index()
    report = verify_store(index, debris_older_than_s=debris_older_than_s, credentials=credentials)
    repairs = []
    if repair:
        policy = HttpPolicy(allow_private_networks=allow_private_networks)
        repairs = repair_objects(index, repairable(report.problems), policy, credentials)
    repaired = {(r.data_source_name, r.sha256) for r in repairs if r.repaired}
    remaining = [p for p in report.problems if (p.data_source_name, p.sha256) not in repaired]
    if as_json:
        print_json(
            {
                "checked": report.checked,
                "problems": [asdict(p) for p in report.problems],
                "repairs": [asdict(r) for r in repairs],
                "remaining": len(remaining),
            }
        )
    else:
        for problem in report.problems:
            out.print(f"[red]{problem.kind:>10}[/] {escape(f'{problem.path}: {problem.detail}')}", highlight=False)
        for outcome in repairs:
            if outcome.repaired:
                moved = f", damaged copy moved to {outcome.quarantined}" if outcome.quarantined else ""
                text, style = f"{outcome.path}: re-downloaded from {outcome.url}{moved}", "green"
            else:
                text, style = f"{outcome.path}: not repaired: {outcome.detail}", "red"
            label = "repaired" if outcome.repaired else "unrepaired"
            out.print(f"[{style}]{label:>10}[/] {escape(text)}", highlight=False)
        counts = ", ".join(f"{len(report.of_kind(k))} {k}" for k in PROBLEM_KINDS)
        out.print(f"checked {report.checked} objects: {counts}")
        if repair:
            out.print(f"repaired {len(repaired)} of {len(repairs)} objects; {len(remaining)} problems remain")
    if remaining:
        raise typer.Exit(EXIT_FAILED)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: str) -> float:
    match = _DURATION.fullmatch(value)
    if match is None:
        raise typer.BadParameter(f"{value!r} is not a duration like 90s, 30m, 1h, 2d or 0")
    return float(match[1]) * _UNIT_S[match[2]]


@app.command("gc")
@_one_line_errors
def gc(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Remove temp entries idle for longer than this (90s, 30m, 1h, 2d; 0 = all). A running download "
            "keeps its entry fresh (a batch touches what it has staged every minute), so keep this above the "
            "longest write stall.",
        ),
    ] = f"{DEFAULT_TTL_S / 3600:g}h",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")] = False,
    stores: Annotated[
        list[str] | None,
        typer.Option(
            "--store",
            metavar="LOCATION",
            help="Also clean this store (a storage base: a folder or s3://bucket/prefix), beyond those the index "
            "knows.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Remove what killed runs left in each store's temp area (<store>/.tmp) and report entries and bytes freed.
    Stored objects and the quarantine are never touched; symlinks are never followed. For a store on object
    storage: the local staging files of its killed uploads ($TMPDIR/airnub-staging) and any <store>/.tmp/ keys;
    the parts of abandoned multipart uploads are not keys: a bucket lifecycle rule (AbortIncompleteMultipartUpload)
    removes those."""
    ttl = _seconds(older_than)
    index, credentials = opened_index()
    bases = sorted({*index.storage_bases(), *(_store_base(store, credentials) for store in stores or [])})
    report = collect_temp_debris(bases, older_than_s=ttl, dry_run=dry_run, credentials=credentials)
    if as_json:
        print_json(
            {
                "dry_run": dry_run,
                "removed": [asdict(e) for e in report.removed],
                "kept": [asdict(e) for e in report.kept],
                "freed_bytes": report.freed_bytes,
            }
        )
        return
    verb = "would remove" if dry_run else "removed"
    for entry in report.removed:
        out.print(f"{verb} {escape(str(entry.path))} ({entry.size_bytes:,} bytes, idle {entry.idle_s:.0f} s)")
    out.print(
        f"{verb} {len(report.removed)} temp entries ({report.freed_bytes:,} bytes) from {len(bases)} stores; "
        f"kept {len(report.kept)} younger than {older_than}"
    )


def _store_base(value: str, credentials: S3Credentials | None) -> str:
    """A ``--store`` value as a storage base: a bucket URL without its trailing ``/``, a folder made absolute (a
    location that is neither: :class:`StorageError`)."""
    return open_store(value, credentials).base
