"""``airnub config validate`` and ``airnub config schema``: check config files and export their JSON Schemas,
without touching Prefect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from airnub_prefect_starter.cli.output import EXIT_USAGE, err, fail, out
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.departments import load_department_mapping
from airnub_prefect_starter.core.errors import ConfigError
from airnub_prefect_starter.registry.config_files import discover_config_files, load_stage_config_file
from airnub_prefect_starter.registry.schemas import SCHEMA_DIR_NAME, write_schema_files

__all__ = ["app"]

app = typer.Typer(help="Validate configuration files and export their JSON Schemas.", no_args_is_help=True)


@app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to check (default: every file under configs/variables/).")
    ] = None,
) -> None:
    """Validate stage configs (and the department mapping). Exit 2 if any file is invalid or none is found."""
    config_dir = load_settings().config_dir
    paths = files or discover_config_files(config_dir)
    problems = 0
    if not files:
        try:
            load_department_mapping(config_dir)
        except ConfigError as exc:
            problems += 1
            err.print(f"[red]invalid[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    for path in paths:
        try:
            loaded = load_stage_config_file(path)
        except ConfigError as exc:
            problems += 1
            err.print(f"[red]invalid[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        else:
            out.print(
                f"[green]ok[/] {path} -> Variable {loaded.variable_name} ({loaded.json_chars} chars)", highlight=False
            )
    if not paths:
        err.print(
            f"nothing to validate: no config files under {config_dir / 'variables'} (run it from the project root)"
        )
    if problems or not paths:
        raise typer.Exit(EXIT_USAGE)


@app.command("schema")
def schema(
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write into (default: configs/schemas/ in the config dir)."),
    ] = None,
) -> None:
    """Write a JSON Schema for every stage config model and the department mapping. The YAML files point at
    them in their first line, so editors validate and complete keys."""
    target = out_dir if out_dir is not None else load_settings().config_dir / SCHEMA_DIR_NAME
    try:
        written = write_schema_files(target)
    except OSError as exc:
        fail(f"cannot write schemas into {target}: {exc.strerror or exc}")
    for path, changed in written.items():
        out.print(f"{'[green]wrote[/]' if changed else 'unchanged'} {path}", highlight=False)
