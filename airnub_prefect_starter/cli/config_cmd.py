"""``airnub config validate``: check stage config files without touching Prefect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from airnub_prefect_starter.cli.output import EXIT_USAGE, err, out
from airnub_prefect_starter.common.settings import load_settings
from airnub_prefect_starter.core.config_files import discover_config_files, load_stage_config_file
from airnub_prefect_starter.core.departments import load_department_mapping
from airnub_prefect_starter.core.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(help="Validate configuration files.", no_args_is_help=True)


@app.command("validate")
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to check (default: every file under configs/variables/).")
    ] = None,
) -> None:
    """Validate stage configs (and the department mapping). Exit 2 if any file is invalid."""
    config_dir = load_settings().config_dir
    paths = files or discover_config_files(config_dir)
    problems = 0
    if not files:
        try:
            load_department_mapping(config_dir)
        except ConfigError as exc:
            problems += 1
            err.print(f"[red]invalid[/] {exc}", highlight=False, soft_wrap=True)
    for path in paths:
        try:
            loaded = load_stage_config_file(path)
        except ConfigError as exc:
            problems += 1
            err.print(f"[red]invalid[/] {exc}", highlight=False, soft_wrap=True)
        else:
            out.print(
                f"[green]ok[/] {path} -> Variable {loaded.variable_name} ({loaded.json_chars} chars)", highlight=False
            )
    if not paths:
        err.print(f"no config files found under {config_dir / 'variables'}")
    if problems:
        raise typer.Exit(EXIT_USAGE)
